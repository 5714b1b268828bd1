using Thorax.Dicom;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Imaging.Ops;

namespace Thorax.Data.Datasets;

/// <summary>Decoding of image and mask files (PNG, JPEG, DICOM) into grey float images, shared by the datasets.</summary>
public static class ImageFiles
{
    /// <summary>Extensions probed by <see cref="Find"/>, in order.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg", ".dcm"];

    /// <summary>
    /// Reads an image as grey float32 in [0, 1]: 8-bit PNG/JPEG / 255, 16-bit PNG / 65535, colour converted with
    /// ITU-R 601 weights (PIL <c>convert("L")</c>); DICOM (any other extension, or <c>.dcm</c>) through
    /// <see cref="GrayscalePipeline"/> with <paramref name="presentation"/> (MONOCHROME1 inverted by default).
    /// </summary>
    /// <param name="path">Image file.</param>
    /// <param name="presentation">DICOM rendering options; null = <see cref="PresentationOptions.Default"/>.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ImageFormatException">Corrupt PNG/JPEG (from the codecs).</exception>
    /// <exception cref="DicomException">Corrupt or unsupported DICOM.</exception>
    public static GreyImage ReadGrey(string path, PresentationOptions? presentation = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"image file not found: {path}", path);
        string ext = Path.GetExtension(path).ToLowerInvariant();
        switch (ext)
        {
            case ".png":
            {
                var png = Png.Read(path);
                if (png.Image16 is { } img16)
                {
                    var g = img16.Channels == 1 ? img16 : FirstChannel(img16);
                    var px = new float[g.Width * g.Height];
                    var s = g.Pixels;
                    for (int i = 0; i < px.Length; i++) px[i] = s[i] * (1f / 65535f);
                    return new GreyImage(g.Width, g.Height, px);
                }
                return FromByte(png.AsByte());
            }
            case ".jpg" or ".jpeg":
                return FromByte(Jpeg.Read(path));
            default:
            {
                var file = DicomFile.Open(path);
                var pixels = DicomPixelData.Create(file);
                var pipeline = GrayscalePipeline.Create(file.Dataset, pixels.Info, presentation ?? PresentationOptions.Default, path);
                var frame = pixels.DecodeFrame(0);
                return new GreyImage(pixels.Info.Columns, pixels.Info.Rows, pipeline.Render(frame));
            }
        }
    }

    /// <summary>Reads a mask image (PNG/JPEG; first channel) as row-major 0/1 bytes: any value above
    /// <paramref name="threshold"/> is foreground.</summary>
    /// <param name="path">Mask file.</param>
    /// <param name="threshold">8-bit threshold (default 0: non-zero is foreground; use 127 for JPEG masks).</param>
    /// <returns>(width, height, data).</returns>
    public static (int Width, int Height, byte[] Data) ReadMask(string path, byte threshold = 0)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"mask file not found: {path}", path);
        Image<byte> img = Path.GetExtension(path).ToLowerInvariant() is ".jpg" or ".jpeg" ? Jpeg.Read(path) : Png.Read(path).ToByte();
        var data = new byte[img.Width * img.Height];
        var s = img.Pixels;
        int cn = img.Channels;
        for (int i = 0; i < data.Length; i++) data[i] = s[i * cn] > threshold ? (byte)1 : (byte)0;
        return (img.Width, img.Height, data);
    }

    /// <summary>Native (width, height) of an image file without decoding its pixels where the format allows:
    /// PNG from IHDR, DICOM from Rows/Columns (header-only read); JPEG is decoded.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">A PNG shorter than its signature and IHDR.</exception>
    public static (int Width, int Height) ReadSize(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"image file not found: {path}", path);
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".png":
            {
                Span<byte> head = stackalloc byte[24];
                using (var fs = File.OpenRead(path))
                    if (fs.ReadAtLeast(head, 24, throwOnEndOfStream: false) < 24)
                        throw new DataFormatException("PNG file is shorter than its signature and IHDR chunk", path);
                return (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(head[16..]), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(head[20..]));
            }
            case ".jpg" or ".jpeg":
            {
                var img = Jpeg.Read(path);
                return (img.Width, img.Height);
            }
            default:
            {
                var file = DicomFile.Open(path, new DicomReadOptions { HeaderOnly = true });
                return (file.Dataset.GetInt(DicomTag.Columns), file.Dataset.GetInt(DicomTag.Rows));
            }
        }
    }

    /// <summary>Finds <c>folder/stem.ext</c> for the first existing extension of <see cref="Extensions"/>, or null.</summary>
    public static string? Find(string folder, string stem)
    {
        foreach (var ext in Extensions)
        {
            string p = Path.Combine(folder, stem + ext);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>Resizes a grey image (bilinear, cv2.resize INTER_LINEAR semantics); returns the input when the size already matches.</summary>
    public static GreyImage Resize(GreyImage image, ImageSize size)
    {
        if (image.Width == size.Width && image.Height == size.Height) return image;
        var src = new Image<float>(image.Width, image.Height, 1, image.Pixels);
        var dst = Resampling.Resize(src, size.Width, size.Height, Interpolation.Linear);
        return new GreyImage(size.Width, size.Height, dst.Data);
    }

    /// <summary>Resizes a 0/1 mask with nearest-neighbour sampling (cv2 INTER_NEAREST).</summary>
    public static byte[] ResizeMask(byte[] mask, int width, int height, ImageSize size)
    {
        if (width == size.Width && height == size.Height) return mask;
        var dst = Resampling.Resize(new Image<byte>(width, height, 1, mask), size.Width, size.Height, Interpolation.Nearest);
        return dst.Data;
    }

    /// <summary>Repeats a grey plane into <paramref name="channels"/> planes ([C, H, W]); returns the input for 1 channel.</summary>
    public static float[] ToChannels(float[] plane, int channels)
    {
        if (channels == 1) return plane;
        var result = new float[plane.Length * channels];
        for (int c = 0; c < channels; c++) plane.CopyTo(result, c * plane.Length);
        return result;
    }

    private static GreyImage FromByte(Image<byte> img)
    {
        var g = img.Channels == 1 ? img : PixelConvert.ToGrey(img);
        var px = new float[g.Width * g.Height];
        var s = g.Pixels;
        for (int i = 0; i < px.Length; i++) px[i] = s[i] * (1f / 255f);
        return new GreyImage(g.Width, g.Height, px);
    }

    private static Image<ushort> FirstChannel(Image<ushort> img)
    {
        var dst = new Image<ushort>(img.Width, img.Height, 1);
        var s = img.Pixels;
        var d = dst.Pixels;
        for (int i = 0; i < d.Length; i++) d[i] = s[i * img.Channels];
        return dst;
    }
}
