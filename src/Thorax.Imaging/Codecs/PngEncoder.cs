using System.Buffers.Binary;
using System.IO.Compression;

namespace Thorax.Imaging.Codecs;

/// <summary>PNG encoding with per-row adaptive filter choice (minimum sum of absolute filtered bytes).</summary>
internal static class PngEncoder
{
    public static void Encode(Stream output, int width, int height, int channels, int bitDepth,
        ReadOnlySpan<byte> bigEndianSamples, CompressionLevel level)
    {
        var ct = channels switch
        {
            1 => PngColorType.Grey,
            2 => PngColorType.GreyAlpha,
            3 => PngColorType.Rgb,
            4 => PngColorType.Rgba,
            _ => throw new ArgumentOutOfRangeException(nameof(channels)),
        };
        output.Write(PngDecoder.Signature);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr[4..], (uint)height);
        ihdr[8] = (byte)bitDepth;
        ihdr[9] = (byte)ct;
        ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
        WriteChunk(output, "IHDR"u8, ihdr);

        int bpp = channels * bitDepth / 8;
        int stride = width * bpp;
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, level, leaveOpen: true))
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
        var data = compressed.GetBuffer().AsSpan(0, (int)compressed.Length);
        const int maxChunk = 1 << 20;
        for (int off = 0; off < data.Length; off += maxChunk)
            WriteChunk(output, "IDAT"u8, data.Slice(off, Math.Min(maxChunk, data.Length - off)));
        WriteChunk(output, "IEND"u8, ReadOnlySpan<byte>.Empty);
    }

    private static long Filter(int f, ReadOnlySpan<byte> cur, ReadOnlySpan<byte> prev, int bpp, Span<byte> dst)
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
