using System.IO.Compression;
using System.Runtime.InteropServices;

namespace Thorax.Imaging.Codecs;

/// <summary>
/// PNG reading and writing. Reads every standard colour type and bit depth, both filter-method-0 row filters,
/// Adam7 interlacing and checks every chunk CRC. Writes grey/grey+alpha/RGB/RGBA at 8 or 16 bits, non-interlaced,
/// with adaptive per-row filtering by default or a fixed filter and zlib level chosen with <see cref="PngEncodeOptions"/>.
/// </summary>
public static class Png
{
    /// <summary>Decodes a PNG held in memory.</summary>
    /// <param name="data">The whole encoded file.</param>
    /// <param name="filePath">Optional path used only in error messages.</param>
    /// <exception cref="ImageFormatException">Bad signature, truncated data, CRC mismatch, invalid IHDR, corrupt zlib data.</exception>
    public static PngImage Decode(ReadOnlySpan<byte> data, string? filePath = null) => PngDecoder.Decode(data, filePath);

    /// <summary>Reads and decodes a PNG file.</summary>
    /// <exception cref="ImageFormatException">The file is not a valid PNG (the exception names the file).</exception>
    public static PngImage Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return PngDecoder.Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>Encodes an 8-bit image (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA channels) to PNG bytes.</summary>
    public static byte[] Encode(Image<byte> image, CompressionLevel level = CompressionLevel.Optimal)
    {
        ArgumentNullException.ThrowIfNull(image);
        return PngEncoder.EncodeToArray(image.Width, image.Height, image.Channels, 8, image.Pixels, PngEncodeOptions.From(level));
    }

    /// <summary>Encodes an 8-bit image (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA channels) to PNG bytes with the given
    /// filter and deflate settings (e.g. <see cref="PngEncodeOptions.Fast"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static byte[] Encode(Image<byte> image, PngEncodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        return PngEncoder.EncodeToArray(image.Width, image.Height, image.Channels, 8, image.Pixels, options);
    }

    /// <summary>Encodes a 16-bit image (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA channels) to PNG bytes.</summary>
    public static byte[] Encode(Image<ushort> image, CompressionLevel level = CompressionLevel.Optimal)
    {
        ArgumentNullException.ThrowIfNull(image);
        return PngEncoder.EncodeToArray(image.Width, image.Height, image.Channels, 16, ToBigEndian(image.Pixels), PngEncodeOptions.From(level));
    }

    /// <summary>Encodes a 16-bit image (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA channels) to PNG bytes with the given
    /// filter and deflate settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static byte[] Encode(Image<ushort> image, PngEncodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        return PngEncoder.EncodeToArray(image.Width, image.Height, image.Channels, 16, ToBigEndian(image.Pixels), options);
    }

    /// <summary>Writes an 8-bit image as PNG atomically (temporary file + rename).</summary>
    public static void Write(string path, Image<byte> image, CompressionLevel level = CompressionLevel.Optimal)
    {
        ArgumentNullException.ThrowIfNull(image);
        AtomicFile.Write(path, s => PngEncoder.Encode(s, image.Width, image.Height, image.Channels, 8, image.Pixels, level));
    }

    /// <summary>Writes an 8-bit image as PNG atomically (temporary file + rename) with the given encoder settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static void Write(string path, Image<byte> image, PngEncodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        AtomicFile.Write(path, s => PngEncoder.Encode(s, image.Width, image.Height, image.Channels, 8, image.Pixels, options));
    }

    /// <summary>Writes a 16-bit image as PNG atomically (temporary file + rename).</summary>
    public static void Write(string path, Image<ushort> image, CompressionLevel level = CompressionLevel.Optimal)
    {
        ArgumentNullException.ThrowIfNull(image);
        byte[] be = ToBigEndian(image.Pixels);
        AtomicFile.Write(path, s => PngEncoder.Encode(s, image.Width, image.Height, image.Channels, 16, be, level));
    }

    /// <summary>Writes a 16-bit image as PNG atomically (temporary file + rename) with the given encoder settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static void Write(string path, Image<ushort> image, PngEncodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        byte[] be = ToBigEndian(image.Pixels);
        AtomicFile.Write(path, s => PngEncoder.Encode(s, image.Width, image.Height, image.Channels, 16, be, options));
    }

    private static byte[] ToBigEndian(ReadOnlySpan<ushort> samples)
    {
        var bytes = new byte[samples.Length * 2];
        var src = MemoryMarshal.AsBytes(samples);
        if (BitConverter.IsLittleEndian)
        {
            for (int i = 0; i < samples.Length; i++)
            {
                bytes[2 * i] = src[2 * i + 1];
                bytes[2 * i + 1] = src[2 * i];
            }
        }
        else src.CopyTo(bytes);
        return bytes;
    }
}
