using Thorax.Dicom;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;

namespace Thorax.Pipelines;

/// <summary>Reads DICOM, PNG or JPEG into a float grey image in [0, 1] (DICOM through its presentation pipeline).</summary>
public static class XrayImage
{
    /// <summary>True for a <c>.dcm</c>/<c>.dicom</c> file, false for <c>.png</c>/<c>.jpg</c>/<c>.jpeg</c>; otherwise whether the file has
    /// the DICOM preamble (<c>DICM</c> at offset 128).</summary>
    public static bool IsDicom(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is ".dcm" or ".dicom") return true;
        if (ext is ".png" or ".jpg" or ".jpeg") return false;
        using var f = File.OpenRead(path);
        var head = new byte[132];
        return f.Read(head, 0, 132) == 132 && head[128] == 'D' && head[129] == 'I' && head[130] == 'C' && head[131] == 'M';
    }

    /// <summary>Reads <paramref name="path"/>; for DICOM, <paramref name="options"/> select window/normalisation.</summary>
    public static Image<float> ReadUnit(string path, PresentationOptions? options = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        if (IsDicom(path)) return DicomUnit(File.ReadAllBytes(path), path, options);
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is ".jpg" or ".jpeg") return JpegUnit(Jpeg.Read(path));
        return PngUnit(Png.Read(path), path);
    }

    /// <summary>
    /// Reads an image held in memory (a request body, a message from a modality): PNG and JPEG are recognised by their
    /// signatures, anything else is read as DICOM (with or without the 128-byte preamble and "DICM"), whose first frame
    /// goes through the presentation pipeline as <see cref="ReadUnit(string, PresentationOptions?)"/> does for a file.
    /// </summary>
    /// <param name="bytes">The whole encoded file.</param>
    /// <param name="name">The name used in error messages (a file name, "request body", ...).</param>
    /// <param name="options">For DICOM: window and normalisation; <see cref="PresentationOptions.Default"/> when null.</param>
    /// <exception cref="DicomException">Not a usable DICOM (the message names <paramref name="name"/> and the field).</exception>
    /// <exception cref="ImageFormatException">A malformed PNG or JPEG (the message names <paramref name="name"/>).</exception>
    public static Image<float> ReadUnit(ReadOnlyMemory<byte> bytes, string name, PresentationOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var span = bytes.Span;
        if (span.StartsWith(PngSignature)) return PngUnit(Png.Decode(span, name), name);
        if (span.Length >= 3 && span[0] == 0xFF && span[1] == 0xD8 && span[2] == 0xFF) return JpegUnit(Jpeg.Decode(span, name));
        return DicomUnit(bytes, name, options);
    }

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private static Image<float> DicomUnit(ReadOnlyMemory<byte> bytes, string name, PresentationOptions? options)
    {
        var file = DicomFile.Parse(bytes, name);
        var pixels = DicomPixelData.Create(file);
        var frame = pixels.DecodeFrame(0);
        var values = GrayscalePipeline.Create(file.Dataset, pixels.Info, options ?? PresentationOptions.Default, name).Render(frame);
        return new Image<float>(pixels.Info.Columns, pixels.Info.Rows, 1, values);
    }

    private static Image<float> JpegUnit(Image<byte> j) => Scale(j.Channels == 1 ? j : Thorax.Imaging.Ops.PixelConvert.ToGrey(j), 255f);

    private static Image<float> PngUnit(PngImage png, string name)
    {
        if (png.Image16 is { } i16)
        {
            if (i16.Channels != 1) throw new ImageFormatException("16-bit colour PNG is not supported as X-ray input (grey expected)", name, field: "IHDR colour type");
            var f = new Image<float>(i16.Width, i16.Height);
            var src = i16.Pixels;
            var dst = f.Pixels;
            for (var i = 0; i < dst.Length; i++) dst[i] = src[i] / 65535f;
            return f;
        }
        var b = png.AsByte();
        return Scale(b.Channels == 1 ? b : Thorax.Imaging.Ops.PixelConvert.ToGrey(b), 255f);
    }

    private static Image<float> Scale(Image<byte> img, float max)
    {
        var f = new Image<float>(img.Width, img.Height);
        var src = img.Pixels;
        var dst = f.Pixels;
        for (var i = 0; i < dst.Length; i++) dst[i] = src[i] / max;
        return f;
    }
}
