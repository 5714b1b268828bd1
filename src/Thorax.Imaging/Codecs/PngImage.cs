namespace Thorax.Imaging.Codecs;

/// <summary>
/// A decoded PNG. Exactly one of <see cref="Image8"/> (bit depth &lt;= 8, palette) and <see cref="Image16"/>
/// (bit depth 16) is set.
/// </summary>
/// <remarks>
/// Decoded layout: grey = 1 channel, grey+alpha = 2, RGB = 3, RGBA = 4. Grey at 1/2/4 bits is scaled to 8 bits
/// (v * 255 / (2^bits - 1)), like PIL's "L" mode. Palette images are expanded to RGB, or RGBA when a tRNS chunk is
/// present (PIL: <c>convert("RGB"/"RGBA")</c>). 16-bit samples are kept at full precision.
/// </remarks>
public sealed class PngImage
{
    internal PngImage(PngHeader header, Image<byte>? image8, Image<ushort>? image16)
    {
        Header = header;
        Image8 = image8;
        Image16 = image16;
    }

    /// <summary>The IHDR fields of the source file.</summary>
    public PngHeader Header { get; }

    /// <summary>8-bit pixels, or null for 16-bit files.</summary>
    public Image<byte>? Image8 { get; }

    /// <summary>16-bit pixels, or null for files of 8 bits or fewer.</summary>
    public Image<ushort>? Image16 { get; }

    /// <summary>Width in pixels.</summary>
    public int Width => Header.Width;

    /// <summary>Height in pixels.</summary>
    public int Height => Header.Height;

    /// <summary>Decoded channels (see remarks on the class).</summary>
    public int Channels => Image8?.Channels ?? Image16!.Channels;

    /// <summary>The 8-bit image; throws <see cref="ImagingException"/> when the file is 16-bit.</summary>
    public Image<byte> AsByte() => Image8 ?? throw new ImagingException("PNG is 16-bit; use AsUInt16() or ToByte().");

    /// <summary>The 16-bit image; throws <see cref="ImagingException"/> when the file is 8-bit or less.</summary>
    public Image<ushort> AsUInt16() => Image16 ?? throw new ImagingException("PNG is 8-bit; use AsByte().");

    /// <summary>
    /// 8-bit pixels: the 8-bit image itself, or 16-bit samples reduced by taking the high byte (v &gt;&gt; 8).
    /// </summary>
    public Image<byte> ToByte()
    {
        if (Image8 is not null) return Image8;
        var src = Image16!.Pixels;
        var dst = new Image<byte>(Image16.Width, Image16.Height, Image16.Channels);
        var d = dst.Pixels;
        for (int i = 0; i < d.Length; i++) d[i] = (byte)(src[i] >> 8);
        return dst;
    }
}
