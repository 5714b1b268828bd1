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

    /// <summary>
    /// Encodes a palette PNG (colour type 3): one palette index per pixel, a PLTE chunk of RGB triples and, when
    /// <paramref name="alpha"/> is given, a tRNS chunk of per-entry opacities. For label maps and coloured masks:
    /// the file stores one index per pixel at the smallest bit depth that holds the palette (1, 2, 4 or 8 bits for
    /// up to 2, 4, 16 or 256 entries); decoders expand it to RGB (or RGBA with tRNS).
    /// </summary>
    /// <param name="indices">Single-channel image of palette indices, each below the palette's entry count.</param>
    /// <param name="paletteRgb">R, G, B of each entry: 3 to 768 bytes, a multiple of 3.</param>
    /// <param name="alpha">Opacity of the first entries (at most one per entry; entries beyond it are opaque), or
    /// empty for none.</param>
    /// <param name="options">Filter and deflate settings; default <see cref="PngEncodeOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">More than one channel, a palette that is empty, too long or not whole
    /// triples, too many alpha values, or an index outside the palette (the message gives its position).</exception>
    public static byte[] EncodeIndexed(Image<byte> indices, ReadOnlySpan<byte> paletteRgb, ReadOnlySpan<byte> alpha = default,
        PngEncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int depth = IndexedBitDepth(indices, paletteRgb, alpha);
        return PngEncoder.EncodeIndexedToArray(indices.Width, indices.Height, depth, indices.Pixels, paletteRgb, alpha,
            options ?? PngEncodeOptions.Default);
    }

    /// <summary>Writes a palette PNG atomically (temporary file + rename); see <see cref="EncodeIndexed"/>.</summary>
    /// <inheritdoc cref="EncodeIndexed" path="/param"/>
    /// <exception cref="ArgumentException">See <see cref="EncodeIndexed"/>.</exception>
    public static void WriteIndexed(string path, Image<byte> indices, ReadOnlySpan<byte> paletteRgb, ReadOnlySpan<byte> alpha = default,
        PngEncodeOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = EncodeIndexed(indices, paletteRgb, alpha, options);
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    /// <summary>Checks an indexed image against its palette and returns the bit depth to store it at.</summary>
    private static int IndexedBitDepth(Image<byte> indices, ReadOnlySpan<byte> paletteRgb, ReadOnlySpan<byte> alpha)
    {
        if (indices.Channels != 1)
            throw new ArgumentException($"A palette image has one index per pixel, got {indices.Channels} channels.", nameof(indices));
        if (paletteRgb.Length is < 3 or > 768 || paletteRgb.Length % 3 != 0)
            throw new ArgumentException($"Palette of {paletteRgb.Length} bytes: it must hold 1 to 256 RGB triples.", nameof(paletteRgb));
        int entries = paletteRgb.Length / 3;
        if (alpha.Length > entries)
            throw new ArgumentException($"{alpha.Length} alpha values for a palette of {entries} entries.", nameof(alpha));
        var px = indices.Pixels;
        int bad = entries == 256 ? -1 : px.IndexOfAnyInRange((byte)entries, (byte)255);
        if (bad >= 0)
            throw new ArgumentException(
                $"Pixel ({bad % indices.Width}, {bad / indices.Width}) has index {px[bad]} but the palette has {entries} entries.", nameof(indices));
        return entries <= 2 ? 1 : entries <= 4 ? 2 : entries <= 16 ? 4 : 8;
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
