// A minimal ASP.NET endpoint: POST a DICOM file's bytes to /segment, get the lung mask back as a PNG.
//   THORAX_RUN=RUN_FOLDER dotnet run --urls http://127.0.0.1:5080
//   curl --data-binary @chest.dcm -H 'Content-Type: application/dicom' http://127.0.0.1:5080/segment -o mask.png
// DICOM, PNG or JPEG bytes are accepted (LungModel.Predict). A malformed file is answered with 400 and the reader's message (file, tag, offset); the service keeps running.
using Thorax.Dicom;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Pipelines.Lungs;

var builder = WebApplication.CreateBuilder(args);
var run = builder.Configuration["THORAX_RUN"] ?? builder.Configuration["run"]
    ?? throw new InvalidOperationException("set THORAX_RUN (or --run) to a Thorax lung run folder");
builder.Services.AddSingleton(_ => new Segmenter(LungModel.Load(run)));
var app = builder.Build();
app.Services.GetRequiredService<Segmenter>(); // load the model before the first request

app.MapGet("/health", (Segmenter s) => Results.Ok(new { status = "ok", model = s.Model.Architecture, size = s.Model.Size }));
app.MapPost("/segment", async (HttpRequest request, Segmenter s) =>
{
    using var body = new MemoryStream();
    await request.Body.CopyToAsync(body);
    Image<byte> mask;
    try
    {
        mask = s.Predict(body.ToArray(), "request body");
    }
    catch (Exception e) when (e is DicomException or ImageFormatException)
    {
        return Results.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest, title: "not a usable DICOM, PNG or JPEG");
    }
    return Results.File(Png.Encode(mask), "image/png", "mask.png");
});
app.Run();

/// <summary>One model for the process; requests take turns on it (TorchSharp modules are not re-entrant).</summary>
sealed class Segmenter(LungModel model)
{
    private readonly Lock _gate = new();
    public LungModel Model => model;
    public Image<byte> Predict(byte[] dicom, string name)
    {
        lock (_gate) return model.Predict(dicom, name);
    }
}
