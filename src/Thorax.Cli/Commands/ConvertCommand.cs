using System.CommandLine;
using System.Globalization;
using Thorax.Pipelines;
using Thorax.Dicom;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax convert IN OUT [--window C,W] [--normalize dataset|full] [--bits 8|16] [--quality Q]</c>.</summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "DICOM, PNG or JPEG file." };
        var output = new Argument<string>("output") { Description = "PNG (.png) or JPEG (.jpg/.jpeg) file to write." };
        var window = new Option<string?>("--window") { Description = "DICOM window 'center,width' in modality units (overrides the file's VOI)." };
        var normalize = new Option<string>("--normalize")
            { Description = "DICOM VOI when no --window: 'dataset' (the file's VOI LUT/window) or 'full' (full stored range).", DefaultValueFactory = _ => "dataset" };
        var bits = new Option<int>("--bits") { Description = "PNG bit depth: 8 or 16.", DefaultValueFactory = _ => 8 };
        var quality = new Option<int>("--quality") { Description = "JPEG quality 1-100.", DefaultValueFactory = _ => 95 };
        var cmd = new Command("convert", "Convert an X-ray between DICOM/PNG/JPEG and PNG (8/16-bit) or JPEG, applying DICOM presentation (modality LUT, VOI, MONOCHROME1).")
            { input, output, window, normalize, bits, quality };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var inPath = r.GetValue(input)!;
            var outPath = r.GetValue(output)!;
            var b = r.GetValue(bits);
            var q = r.GetValue(quality);
            if (b is not (8 or 16)) throw new ArgumentException($"--bits must be 8 or 16, got {b}");
            if (q is < 1 or > 100) throw new ArgumentException($"--quality must be in [1, 100], got {q}");
            var options = r.GetValue(normalize) switch
            {
                "dataset" => PresentationOptions.Default,
                "full" => PresentationOptions.Default with { Voi = VoiMode.FullRange },
                var n => throw new ArgumentException($"--normalize must be 'dataset' or 'full', got '{n}'"),
            };
            if (r.GetValue(window) is { } w)
            {
                var parts = w.Split(',');
                if (parts.Length != 2 || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var c)
                    || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var width) || width < 1)
                    throw new ArgumentException($"--window must be 'center,width' with width >= 1, got '{w}'");
                options = options with { Voi = VoiMode.Explicit, WindowCenter = c, WindowWidth = width };
            }
            var img = XrayImage.ReadUnit(inPath, options);
            var ext = Path.GetExtension(outPath).ToLowerInvariant();
            switch (ext)
            {
                case ".png" when b == 16:
                    Png.Write(outPath, To16(img));
                    break;
                case ".png":
                    Png.Write(outPath, To8(img));
                    break;
                case ".jpg" or ".jpeg":
                    if (b == 16) throw new ArgumentException("JPEG output is 8-bit; use --bits 8 or a .png output");
                    Thorax.Training.RunFiles.WriteBytes(outPath, Jpeg.Encode(To8(img), q));
                    break;
                default:
                    throw new ArgumentException($"{outPath}: output must end in .png, .jpg or .jpeg");
            }
            Console.WriteLine($"{inPath} -> {outPath} ({img.Width}x{img.Height}, {(ext == ".png" ? b : 8)}-bit)");
            return 0;
        }));
        return cmd;
    }

    private static Image<byte> To8(Image<float> f)
    {
        var o = new Image<byte>(f.Width, f.Height);
        var s = f.Pixels;
        var d = o.Pixels;
        for (var i = 0; i < d.Length; i++) d[i] = (byte)Math.Clamp(MathF.Round(s[i] * 255f), 0f, 255f);
        return o;
    }

    private static Image<ushort> To16(Image<float> f)
    {
        var o = new Image<ushort>(f.Width, f.Height);
        var s = f.Pixels;
        var d = o.Pixels;
        for (var i = 0; i < d.Length; i++) d[i] = (ushort)Math.Clamp(MathF.Round(s[i] * 65535f), 0f, 65535f);
        return o;
    }
}
