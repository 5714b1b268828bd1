using System.Buffers.Binary;
using System.IO.Compression;
using Thorax.Imaging.Codecs;

namespace Thorax.Imaging.Tests.Codecs;

/// <summary>The fixed-filter encoder hands zlib blocks of many scanlines at once and reuses per-thread buffers; its
/// files must be byte-identical to the straightforward construction (one zlib write per filtered row, chunk CRCs
/// from a bitwise CRC-32), including images larger than one block and IDAT chunk.</summary>
public class PngFixedFilterEncodeTests
{
    private static uint BitwiseCrc(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        uint c = 0xFFFFFFFFu;
        foreach (var part in new[] { a.ToArray(), b.ToArray() })
            foreach (byte x in part)
            {
                c ^= x;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
        return c ^ 0xFFFFFFFFu;
    }

    private static void Chunk(MemoryStream s, string type, ReadOnlySpan<byte> body)
    {
        var t = System.Text.Encoding.ASCII.GetBytes(type);
        Span<byte> b4 = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b4, (uint)body.Length);
        s.Write(b4); s.Write(t); s.Write(body);
        BinaryPrimitives.WriteUInt32BigEndian(b4, BitwiseCrc(t, body));
        s.Write(b4);
    }

    /// <summary>Up filter, one zlib write per scanline, IDAT chunks of at most 1 MiB.</summary>
    private static byte[] Reference(byte[] bigEndian, int w, int h, int channels, int bitDepth, PngEncodeOptions o)
    {
        int stride = w * channels * bitDepth / 8;
        var z = new MemoryStream();
        using (var zs = new ZLibStream(z, new ZLibCompressionOptions { CompressionLevel = o.ZLibLevel!.Value, CompressionStrategy = o.ZLibStrategy }, leaveOpen: true))
        {
            var line = new byte[stride + 1];
            line[0] = 2;
            for (int y = 0; y < h; y++)
            {
                for (int i = 0; i < stride; i++)
                    line[1 + i] = (byte)(bigEndian[y * stride + i] - (y > 0 ? bigEndian[(y - 1) * stride + i] : 0));
                zs.Write(line);
            }
        }
        var file = new MemoryStream();
        file.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)w);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)h);
        ihdr[8] = (byte)bitDepth;
        ihdr[9] = channels switch { 1 => 0, 2 => 4, 3 => 2, _ => 6 };
        Chunk(file, "IHDR", ihdr);
        var data = z.ToArray();
        for (int off = 0; off < data.Length; off += 1 << 20)
            Chunk(file, "IDAT", data.AsSpan(off, Math.Min(1 << 20, data.Length - off)));
        Chunk(file, "IEND", ReadOnlySpan<byte>.Empty);
        return file.ToArray();
    }

    [Theory]
    [InlineData(1, 1, 1, false, 1)]
    [InlineData(37, 19, 3, false, 2)]
    [InlineData(1100, 1000, 1, false, 3)] // 1.1 MB of scanlines: two blocks
    [InlineData(700, 800, 2, true, 4)] // 16-bit grey+alpha, 2.2 MB of scanlines
    [InlineData(1024, 1200, 1, false, 5)] // noise: compressed data above 1 MiB, two IDAT chunks
    public void FastEncode_MatchesRowByRowReference(int w, int h, int channels, bool wide, int seed)
    {
        var rng = new Random(seed);
        var o = PngEncodeOptions.Fast;
        byte[] expected, actual, viaFile;
        string path = Path.Combine(Path.GetTempPath(), $"thorax-png-fixed-{Guid.NewGuid():N}.png");
        try
        {
            if (wide)
            {
                var img = new Image<ushort>(w, h, channels);
                for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (ushort)(i % 977 * 61 + rng.Next(40));
                var be = new byte[img.Pixels.Length * 2];
                for (int i = 0; i < img.Pixels.Length; i++) BinaryPrimitives.WriteUInt16BigEndian(be.AsSpan(2 * i), img.Pixels[i]);
                expected = Reference(be, w, h, channels, 16, o);
                actual = Png.Encode(img, o);
                Png.Write(path, img, o);
            }
            else
            {
                var img = new Image<byte>(w, h, channels);
                if (seed == 5) rng.NextBytes(img.Pixels);
                else for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (byte)(i % 251 + rng.Next(4));
                expected = Reference(img.Pixels.ToArray(), w, h, channels, 8, o);
                actual = Png.Encode(img, o);
                Png.Write(path, img, o);
            }
            viaFile = File.ReadAllBytes(path);
        }
        finally { File.Delete(path); }
        Assert.Equal(expected, actual);
        Assert.Equal(expected, viaFile);
    }

    [Fact]
    public void Encode_TwoImagesOnOneThread_SecondUnaffectedByReusedBuffers()
    {
        var big = new Image<byte>(900, 900, 1);
        new Random(1).NextBytes(big.Pixels);
        var small = new Image<byte>(5, 3, 1);
        for (int i = 0; i < small.Pixels.Length; i++) small.Pixels[i] = (byte)(i * 17);
        var smallFirst = Png.Encode(small, PngEncodeOptions.Fast);
        Png.Encode(big, PngEncodeOptions.Fast);
        Assert.Equal(smallFirst, Png.Encode(small, PngEncodeOptions.Fast));
        Assert.Equal(small.Pixels, Png.Decode(smallFirst).AsByte().Pixels);
    }
}
