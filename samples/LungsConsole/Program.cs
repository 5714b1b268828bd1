// Reads a DICOM file, segments the lungs with a trained Thorax lung run folder and writes the mask as a PNG.
// Usage: LungsConsole RUN_FOLDER INPUT.dcm MASK.png
using Thorax.Dicom;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Pipelines.Lungs;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: LungsConsole RUN_FOLDER INPUT.dcm MASK.png");
    return 2;
}
var (run, input, output) = (args[0], args[1], args[2]);
Image<byte> xray;
try
{
    xray = ToGrey8(DicomFile.Open(input));
}
catch (DicomException e)
{
    Console.Error.WriteLine($"not a usable DICOM: {e.Message}");
    return 2;
}
using var model = LungModel.Load(run);                  // config.json + model.safetensors
var mask = model.Segment(xray);                          // 0/255 at the input's resolution
Png.Write(output, mask);                                 // atomic: temp file, then rename
var lung = mask.Pixels.Length - mask.Pixels.Count((byte)0);
Console.WriteLine($"{input}: {xray.Width}x{xray.Height}, {model.Architecture} at {model.Size} px, {lung} lung pixels -> {output}");
return 0;

// The first frame through the DICOM presentation pipeline (modality LUT, VOI window, MONOCHROME1 inverted) to 8 bits.
static Image<byte> ToGrey8(DicomFile file)
{
    var pixels = DicomPixelData.Create(file);
    var unit = GrayscalePipeline.Create(file.Dataset, pixels.Info, PresentationOptions.Default, file.FilePath)
        .Render(pixels.DecodeFrame(0));
    var grey = new Image<byte>(pixels.Info.Columns, pixels.Info.Rows);
    for (var i = 0; i < unit.Length; i++) grey.Pixels[i] = (byte)Math.Clamp(MathF.Round(unit[i] * 255f), 0f, 255f);
    return grey;
}
