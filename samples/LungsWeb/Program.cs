// A minimal ASP.NET endpoint: POST a DICOM file's bytes to /segment, get the lung mask back as a PNG.
//   THORAX_RUN=RUN_FOLDER dotnet run --urls http://127.0.0.1:5080
//   curl --data-binary @chest.dcm -H 'Content-Type: application/dicom' http://127.0.0.1:5080/segment -o mask.png
// A malformed DICOM is answered with 400 and the reader's message (file, tag, offset); the service keeps running.
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
    Image<byte> xray;
    try
    {
        xray = ToGrey8(DicomFile.Parse(body.ToArray(), "request body"));
    }
    catch (DicomException e)
    {
        return Results.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest, title: "not a usable DICOM");
    }
    var mask = s.Segment(xray);
    return Results.File(Png.Encode(mask), "image/png", "mask.png");
});
app.Run();

static Image<byte> ToGrey8(DicomFile file)
{
    var pixels = DicomPixelData.Create(file);
    var unit = GrayscalePipeline.Create(file.Dataset, pixels.Info, PresentationOptions.Default, file.FilePath)
        .Render(pixels.DecodeFrame(0));
    var grey = new Image<byte>(pixels.Info.Columns, pixels.Info.Rows);
    for (var i = 0; i < unit.Length; i++) grey.Pixels[i] = (byte)Math.Clamp(MathF.Round(unit[i] * 255f), 0f, 255f);
    return grey;
}

/// <summary>One model for the process; requests take turns on it (TorchSharp modules are not re-entrant).</summary>
sealed class Segmenter(LungModel model)
{
    private readonly Lock _gate = new();
    public LungModel Model => model;
    public Image<byte> Segment(Image<byte> xray)
    {
        lock (_gate) return model.Segment(xray);
    }
}
