using System.Buffers.Binary;
using System.IO.Compression;

namespace Thorax.Synthetic.Internal;

/// <summary>Minimal PNG encoder for greyscale images (8 or 16 bits), filter "Up" on every row,
/// zlib stream via <see cref="ZLibStream"/>. Output is deterministic for a given input and level.</summary>
internal static class PngWriter
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    public static byte[] Encode8(ReadOnlySpan<byte> pixels, int width, int height, CompressionLevel level = CompressionLevel.Fastest)
    {
        if (pixels.Length != width * height) throw new ArgumentException($"Expected {width * height} pixels, got {pixels.Length}.", nameof(pixels));
        var raw = new byte[(width + 1) * height];
        for (int y = 0; y < height; y++)
        {
            var dst = raw.AsSpan(y * (width + 1) + 1, width);
            var cur = pixels.Slice(y * width, width);
            raw[y * (width + 1)] = 2; // Up
            if (y == 0) cur.CopyTo(dst);
            else
            {
                var prev = pixels.Slice((y - 1) * width, width);
                for (int x = 0; x < width; x++) dst[x] = (byte)(cur[x] - prev[x]);
            }
        }
        return Assemble(raw, width, height, 8, level);
    }

    public static byte[] Encode16(ReadOnlySpan<ushort> pixels, int width, int height, CompressionLevel level = CompressionLevel.Fastest)
    {
        if (pixels.Length != width * height) throw new ArgumentException($"Expected {width * height} pixels, got {pixels.Length}.", nameof(pixels));
        int stride = width * 2 + 1;
        var raw = new byte[stride * height];
        for (int y = 0; y < height; y++)
        {
            raw[y * stride] = 2;
            for (int x = 0; x < width; x++)
            {
                ushort v = pixels[y * width + x];
                ushort up = y > 0 ? pixels[(y - 1) * width + x] : (ushort)0;
                int o = y * stride + 1 + 2 * x;
                raw[o] = (byte)((v >> 8) - (up >> 8));
                raw[o + 1] = (byte)((v & 0xFF) - (up & 0xFF));
            }
        }
        return Assemble(raw, width, height, 16, level);
    }

    private static byte[] Assemble(byte[] raw, int width, int height, int bitDepth, CompressionLevel level)
    {
        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, level, leaveOpen: true)) z.Write(raw);
        using var ms = new MemoryStream();
        ms.Write(Signature);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = (byte)bitDepth; ihdr[9] = 0; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
        Chunk(ms, "IHDR"u8, ihdr);
        Chunk(ms, "IDAT"u8, idat.GetBuffer().AsSpan(0, (int)idat.Length));
        Chunk(ms, "IEND"u8, []);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        s.Write(type);
        s.Write(data);
        uint crc = Crc32(Crc32(0xFFFFFFFFu, type), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(len, crc);
        s.Write(len);
    }

    private static readonly uint[] CrcTable = BuildCrcTable();

    private static uint[] BuildCrcTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }

    private static uint Crc32(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }
}
