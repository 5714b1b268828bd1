using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Thorax.Imaging.Codecs;

/// <summary>PNG encoding: per-row adaptive filter choice (minimum sum of absolute filtered bytes) or one fixed
/// filter for every row, then zlib.</summary>
internal static class PngEncoder
{
    public static void Encode(Stream output, int width, int height, int channels, int bitDepth,
        ReadOnlySpan<byte> bigEndianSamples, CompressionLevel level) =>
        Encode(output, width, height, channels, bitDepth, bigEndianSamples, PngEncodeOptions.From(level));

    public static void Encode(Stream output, int width, int height, int channels, int bitDepth,
        ReadOnlySpan<byte> bigEndianSamples, PngEncodeOptions options)
    {
        var ct = Validate(options, channels);
        WriteFile(output, width, height, ct, bitDepth, Deflate(width, height, channels, bitDepth, bigEndianSamples, options));
    }

    /// <summary>The whole PNG file as an array of exactly its length (no intermediate growing buffers).</summary>
    public static byte[] EncodeToArray(int width, int height, int channels, int bitDepth,
        ReadOnlySpan<byte> bigEndianSamples, PngEncodeOptions options)
    {
        var ct = Validate(options, channels);
        var data = Deflate(width, height, channels, bitDepth, bigEndianSamples, options);
        int idatChunks = (data.Length + MaxChunk - 1) / MaxChunk;
        // Signature, IHDR (12 + 13), one 12-byte frame per IDAT chunk plus the data, IEND (12).
        var file = new byte[PngDecoder.Signature.Length + 25 + 12 * idatChunks + data.Length + 12];
        using var ms = new MemoryStream(file, writable: true);
        WriteFile(ms, width, height, ct, bitDepth, data);
        if (ms.Position != file.Length) throw new InvalidOperationException("PNG length mismatch.");
        return file;
    }

    private const int MaxChunk = 1 << 20;

    /// <summary>Palette PNG (colour type 3) of one index per pixel, packed at <paramref name="bitDepth"/> (1, 2, 4 or
    /// 8) bits, with a PLTE chunk of <paramref name="paletteRgb"/> and, when not empty, a tRNS chunk of
    /// <paramref name="alpha"/>. Inputs are validated by the caller.</summary>
    public static byte[] EncodeIndexedToArray(int width, int height, int bitDepth, ReadOnlySpan<byte> indices,
        ReadOnlySpan<byte> paletteRgb, ReadOnlySpan<byte> alpha, PngEncodeOptions options)
    {
        options.Validate();
        var packed = bitDepth == 8 ? indices : Pack(indices, width, height, bitDepth);
        var data = Deflate(width, height, 1, bitDepth, packed, options);
        int idatChunks = (data.Length + MaxChunk - 1) / MaxChunk;
        var file = new byte[PngDecoder.Signature.Length + 25 + (12 + paletteRgb.Length) + (alpha.IsEmpty ? 0 : 12 + alpha.Length)
            + 12 * idatChunks + data.Length + 12];
        using var ms = new MemoryStream(file, writable: true);
        WriteFile(ms, width, height, PngColorType.Palette, bitDepth, data, paletteRgb, alpha);
        if (ms.Position != file.Length) throw new InvalidOperationException("PNG length mismatch.");
        return file;
    }

    /// <summary>Packs one value per pixel into rows of <paramref name="bitDepth"/>-bit samples, most significant
    /// bits first, each row starting on a byte boundary (PNG 7.2).</summary>
    private static byte[] Pack(ReadOnlySpan<byte> values, int width, int height, int bitDepth)
    {
        int stride = (width * bitDepth + 7) / 8, perByte = 8 / bitDepth;
        var packed = new byte[stride * height];
        for (int y = 0; y < height; y++)
        {
            var row = values.Slice(y * width, width);
            var dst = packed.AsSpan(y * stride, stride);
            for (int x = 0; x < width; x++)
                dst[x / perByte] |= (byte)(row[x] << (8 - bitDepth * (x % perByte + 1)));
        }
        return packed;
    }

    /// <summary>Per-thread buffers reused across encodes: a block of filtered scanlines and the zlib stream.
    /// Buffers above <see cref="MaxRetained"/> bytes are not kept.</summary>
    [ThreadStatic] private static byte[]? t_filtered;
    [ThreadStatic] private static MemoryStream? t_compressed;
    private const int MaxRetained = 16 << 20;

    /// <summary>Target size of one block of filtered scanlines handed to zlib.</summary>
    private const int BlockBytes = 1 << 20;

    private static PngColorType Validate(PngEncodeOptions options, int channels)
    {
        options.Validate();
        return channels switch
        {
            1 => PngColorType.Grey,
            2 => PngColorType.GreyAlpha,
            3 => PngColorType.Rgb,
            4 => PngColorType.Rgba,
            _ => throw new ArgumentOutOfRangeException(nameof(channels)),
        };
    }

    /// <summary>Filters and compresses the samples; the result lives in a per-thread buffer that the next
    /// encode on this thread overwrites.</summary>
    private static ReadOnlySpan<byte> Deflate(int width, int height, int channels, int bitDepth,
        ReadOnlySpan<byte> bigEndianSamples, PngEncodeOptions options)
    {
        // Filters work on bytes: bpp is the bytes per complete pixel, at least 1 (PNG 9.2); rows of sub-byte samples
        // are packed, so the stride rounds up.
        int bpp = Math.Max(1, channels * bitDepth / 8);
        int stride = (int)(((long)width * channels * bitDepth + 7) / 8);
        var compressed = t_compressed ?? new MemoryStream();
        compressed.SetLength(0);
        using (var z = options.ZLibLevel is int zl
            ? new ZLibStream(compressed, new ZLibCompressionOptions { CompressionLevel = zl, CompressionStrategy = options.ZLibStrategy }, leaveOpen: true)
            : new ZLibStream(compressed, options.CompressionLevel, leaveOpen: true))
        {
            if (options.Filter != PngFilterStrategy.Adaptive)
            {
                // Scanlines are filtered into a block buffer (about 1 MiB) and handed to zlib a block at a time:
                // deflate's output does not depend on how its input is split, so this gives the same bytes as
                // row-by-row writes with far fewer calls.
                WriteFixed(z, FilterType(options.Filter), bigEndianSamples, height, stride, bpp);
            }
            else
                WriteAdaptive(z, bigEndianSamples, height, stride, bpp);
        }
        if (compressed.Capacity <= MaxRetained) t_compressed = compressed;
        else t_compressed = null;
        return compressed.GetBuffer().AsSpan(0, (int)compressed.Length);
    }

    private static void WriteFile(Stream output, int width, int height, PngColorType ct, int bitDepth, ReadOnlySpan<byte> data)
        => WriteFile(output, width, height, ct, bitDepth, data, default, default);

    private static void WriteFile(Stream output, int width, int height, PngColorType ct, int bitDepth, ReadOnlySpan<byte> data,
        ReadOnlySpan<byte> palette, ReadOnlySpan<byte> alpha)
    {
        output.Write(PngDecoder.Signature);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr[4..], (uint)height);
        ihdr[8] = (byte)bitDepth;
        ihdr[9] = (byte)ct;
        ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
        WriteChunk(output, "IHDR"u8, ihdr);
        if (!palette.IsEmpty) WriteChunk(output, "PLTE"u8, palette);
        if (!alpha.IsEmpty) WriteChunk(output, "tRNS"u8, alpha);
        for (int off = 0; off < data.Length; off += MaxChunk)
            WriteChunk(output, "IDAT"u8, data.Slice(off, Math.Min(MaxChunk, data.Length - off)));
        WriteChunk(output, "IEND"u8, ReadOnlySpan<byte>.Empty);
    }

    private static int FilterType(PngFilterStrategy f) => f switch
    {
        PngFilterStrategy.None => 0,
        PngFilterStrategy.Sub => 1,
        PngFilterStrategy.Up => 2,
        PngFilterStrategy.Average => 3,
        _ => 4,
    };

    /// <summary>Same filter type on every row; filtered scanlines (filter byte + row) are collected in a per-thread
    /// block buffer of about <see cref="BlockBytes"/> and written to <paramref name="z"/> a block at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops, called once per image
    private static void WriteFixed(Stream z, int filter, ReadOnlySpan<byte> samples, int height, int stride, int bpp)
    {
        int line = stride + 1;
        int rowsPerBlock = Math.Clamp(BlockBytes / line, 1, Math.Max(1, height));
        int need = rowsPerBlock * line;
        var buf = t_filtered;
        if (buf is null || buf.Length < need)
        {
            buf = new byte[need];
            if (need <= MaxRetained) t_filtered = buf;
        }
        var zero = new byte[stride];
        for (int y0 = 0; y0 < height; y0 += rowsPerBlock)
        {
            int rows = Math.Min(rowsPerBlock, height - y0);
            for (int r = 0; r < rows; r++)
            {
                int y = y0 + r;
                var dstLine = buf.AsSpan(r * line, line);
                dstLine[0] = (byte)filter;
                var dst = dstLine[1..];
                var cur = samples.Slice(y * stride, stride);
                var prev = y == 0 ? zero : samples.Slice((y - 1) * stride, stride);
                switch (filter)
                {
                    case 0:
                        cur.CopyTo(dst);
                        break;
                    case 1:
                        int head = Math.Min(bpp, stride);
                        cur[..head].CopyTo(dst);
                        Subtract(cur[head..], cur[..(stride - head)], dst[head..]);
                        break;
                    case 2:
                        Subtract(cur, prev, dst);
                        break;
                    default:
                        Filter(filter, cur, prev, bpp, dst, score: false);
                        break;
                }
            }
            z.Write(buf, 0, rows * line);
        }
    }

    /// <summary>Per row, the filter with the smallest sum of absolute (signed) filtered bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops, called once per image
    private static void WriteAdaptive(Stream z, ReadOnlySpan<byte> bigEndianSamples, int height, int stride, int bpp)
    {
        var candidates = new byte[5][];
        for (int f = 0; f < 5; f++) candidates[f] = new byte[stride + 1];
        var zero = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            var cur = bigEndianSamples.Slice(y * stride, stride);
            var prev = y == 0 ? zero : bigEndianSamples.Slice((y - 1) * stride, stride);
            int best = 0;
            long bestScore = long.MaxValue;
            for (int f = 0; f < 5; f++)
            {
                var line = candidates[f];
                line[0] = (byte)f;
                long score = Filter(f, cur, prev, bpp, line.AsSpan(1));
                if (score < bestScore) { bestScore = score; best = f; }
            }
            z.Write(candidates[best]);
        }
    }

    /// <summary>dst[i] = a[i] - b[i] (mod 256), vectorised.</summary>
    private static void Subtract(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> dst)
    {
        int n = a.Length, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= n - Vector<byte>.Count; i += Vector<byte>.Count)
                (new Vector<byte>(a[i..]) - new Vector<byte>(b[i..])).CopyTo(dst[i..]);
        }
        for (; i < n; i++) dst[i] = (byte)(a[i] - b[i]);
    }

    private static long Filter(int f, ReadOnlySpan<byte> cur, ReadOnlySpan<byte> prev, int bpp, Span<byte> dst, bool score = true)
    {
        int n = cur.Length;
        int head = Math.Min(bpp, n);
        switch (f)
        {
            case 0:
                cur.CopyTo(dst);
                break;
            case 1:
                cur[..head].CopyTo(dst);
                for (int i = bpp; i < n; i++) dst[i] = (byte)(cur[i] - cur[i - bpp]);
                break;
            case 2:
                for (int i = 0; i < n; i++) dst[i] = (byte)(cur[i] - prev[i]);
                break;
            case 3:
                for (int i = 0; i < head; i++) dst[i] = (byte)(cur[i] - (prev[i] >> 1));
                for (int i = bpp; i < n; i++) dst[i] = (byte)(cur[i] - ((cur[i - bpp] + prev[i]) >> 1));
                break;
            default:
                for (int i = 0; i < head; i++) dst[i] = (byte)(cur[i] - prev[i]);
                for (int i = bpp; i < n; i++) dst[i] = (byte)(cur[i] - PngDecoder.Paeth(cur[i - bpp], prev[i], prev[i - bpp]));
                break;
        }
        if (!score) return 0;
        long sum = 0;
        for (int i = 0; i < n; i++)
        {
            int s = (sbyte)dst[i];
            sum += s < 0 ? -s : s;
        }
        return sum;
    }

    private static void WriteChunk(Stream s, ReadOnlySpan<byte> type, ReadOnlySpan<byte> body)
    {
        Span<byte> buf = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(buf, (uint)body.Length);
        s.Write(buf);
        s.Write(type);
        s.Write(body);
        uint crc = Crc32.Update(Crc32.Update(0xFFFFFFFFu, type), body) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(buf, crc);
        s.Write(buf);
    }
}
