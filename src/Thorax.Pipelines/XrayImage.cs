using Thorax.Dicom;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;

namespace Thorax.Pipelines;

/// <summary>Reads DICOM, PNG or JPEG into a float grey image in [0, 1] (DICOM through its presentation pipeline).</summary>
public static class XrayImage
{
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
        if (IsDicom(path))
        {
            var file = DicomFile.Open(path);
            var pixels = DicomPixelData.Create(file);
            var frame = pixels.DecodeFrame(0);
            var values = GrayscalePipeline.Create(file.Dataset, pixels.Info, options ?? PresentationOptions.Default, path).Render(frame);
            return new Image<float>(pixels.Info.Columns, pixels.Info.Rows, 1, values);
        }
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is ".jpg" or ".jpeg")
        {
            var j = Jpeg.Read(path);
            return Scale(j.Channels == 1 ? j : Thorax.Imaging.Ops.PixelConvert.ToGrey(j), 255f);
        }
        var png = Png.Read(path);
        if (png.Image16 is { } i16)
        {
            if (i16.Channels != 1) throw new ImageFormatException("16-bit colour PNG is not supported as X-ray input (grey expected)", path, field: "IHDR colour type");
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
