// Reads a DICOM file, segments the lungs with a trained Thorax lung run folder and writes the mask as a PNG.
// Usage: LungsConsole RUN_FOLDER INPUT.dcm MASK.png
using Thorax.Dicom;
using Thorax.Imaging.Codecs;
using Thorax.Pipelines.Lungs;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: LungsConsole RUN_FOLDER INPUT.dcm MASK.png");
    return 2;
}
var (run, input, output) = (args[0], args[1], args[2]);
using var model = LungModel.Load(run);                  // config.json + model.safetensors
Thorax.Imaging.Image<byte> mask;
try
{
    // DICOM (first frame through the presentation pipeline: modality LUT, VOI window, MONOCHROME1 inverted), PNG or
    // JPEG bytes in; the lung mask (0/255) at the input's resolution out.
    mask = model.Predict(File.ReadAllBytes(input), input);
}
catch (Exception e) when (e is DicomException or Thorax.Imaging.ImageFormatException)
{
    Console.Error.WriteLine($"not a usable DICOM, PNG or JPEG: {e.Message}");
    return 2;
}
Png.Write(output, mask);                                 // atomic: temp file, then rename
var lung = mask.Pixels.Length - mask.Pixels.Count((byte)0);
Console.WriteLine($"{input}: {mask.Width}x{mask.Height}, {model.Architecture} at {model.Size} px, {lung} lung pixels -> {output}");
return 0;
