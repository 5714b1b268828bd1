using System.Buffers.Binary;
using System.IO.Compression;
using FsCheck;
using FsCheck.Fluent;
using Thorax.Imaging.Codecs;

namespace Thorax.Imaging.Tests.Codecs;

public class PngEncodeOptionsTests
{
    private static readonly PngFilterStrategy[] Strategies = Enum.GetValues<PngFilterStrategy>();

    [Fact]
    public void Encode_EveryStrategyLevelAndLayout_RoundTripsExactly()
    {
        var gen = from w in Gen.Choose(1, 37)
                  from h in Gen.Choose(1, 19)
                  from c in Gen.Choose(1, 4)
                  from wide in Gen.Elements(false, true)
                  from smooth in Gen.Elements(false, true)
                  from strategy in Gen.Elements(Strategies)
                  from level in Gen.Elements<int?>(null, 0, 1, 6, 9)
                  from zs in Gen.Elements(Enum.GetValues<ZLibCompressionStrategy>())
                  from seed in Gen.Choose(0, 100000)
                  select (w, h, c, wide, smooth, strategy, level, zs, seed);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var rng = new Random(t.seed);
            var o = new PngEncodeOptions { Filter = t.strategy, ZLibLevel = t.level, ZLibStrategy = t.zs };
            int Sample(int i, int max) => t.smooth ? (i * 7 + rng.Next(3)) % (max + 1) : rng.Next(max + 1);
            if (t.wide)
            {
                var img = new Image<ushort>(t.w, t.h, t.c);
                for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (ushort)Sample(i * 301, 65535);
                var back = Png.Decode(Png.Encode(img, o));
                return back.Channels == t.c && back.AsUInt16().Pixels.SequenceEqual(img.Pixels);
            }
            else
            {
                var img = new Image<byte>(t.w, t.h, t.c);
                for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (byte)Sample(i, 255);
                var back = Png.Decode(Png.Encode(img, o));
                return back.Channels == t.c && back.AsByte().Pixels.SequenceEqual(img.Pixels);
            }
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData(PngFilterStrategy.None, 0)]
    [InlineData(PngFilterStrategy.Sub, 1)]
    [InlineData(PngFilterStrategy.Up, 2)]
    [InlineData(PngFilterStrategy.Average, 3)]
    [InlineData(PngFilterStrategy.Paeth, 4)]
    public void Encode_FixedStrategy_EveryRowUsesThatFilterType(PngFilterStrategy strategy, int filterType)
    {
        var img = new Image<byte>(70, 9, 3);
        new Random(3).NextBytes(img.Data);
        var raw = InflateIdat(Png.Encode(img, new PngEncodeOptions { Filter = strategy }));
        int stride = 70 * 3 + 1;
        Assert.Equal(9 * stride, raw.Length);
        for (int y = 0; y < 9; y++) Assert.Equal(filterType, raw[y * stride]);
    }

    [Fact]
    public void Encode_UpFilterOnKnownRows_WritesWrappedDifferences()
    {
        var img = new Image<byte>(3, 2);
        img.Pixels[0] = 10; img.Pixels[1] = 200; img.Pixels[2] = 0;
        img.Pixels[3] = 5; img.Pixels[4] = 201; img.Pixels[5] = 255;
        var raw = InflateIdat(Png.Encode(img, new PngEncodeOptions { Filter = PngFilterStrategy.Up, ZLibLevel = 0 }));
        // Row 0 minus an all-zero row, row 1 minus row 0 (mod 256).
        Assert.Equal(new byte[] { 2, 10, 200, 0, 2, 251, 1, 255 }, raw);
    }

    [Fact]
    public void Encode_DefaultOptions_SameBytesAsCompressionLevelOverload()
    {
        var img = new Image<byte>(64, 40, 1);
        for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (byte)(i * 13 % 251);
        Assert.Equal(Png.Encode(img), Png.Encode(img, PngEncodeOptions.Default));
        Assert.Equal(Png.Encode(img, CompressionLevel.Fastest),
            Png.Encode(img, new PngEncodeOptions { CompressionLevel = CompressionLevel.Fastest }));
    }

    [Fact]
    public void Encode_FastPresetOnMask_RoundTripsAndIsSmall()
    {
        var mask = new Image<byte>(256, 256);
        for (int y = 0; y < 256; y++)
            for (int x = 0; x < 256; x++)
                if ((x - 128) * (x - 128) + (y - 128) * (y - 128) < 80 * 80) mask[x, y] = 255;
        byte[] png = Png.Encode(mask, PngEncodeOptions.Fast);
        Assert.Equal(mask.Pixels.ToArray(), Png.Decode(png).AsByte().Pixels.ToArray());
        Assert.True(png.Length < 4096, $"fast mask PNG is {png.Length} bytes");
    }

    [Fact]
    public void Write_WithOptions_RoundTripsThroughFile()
    {
        string dir = Directory.CreateTempSubdirectory("thx-pngopt-").FullName;
        try
        {
            var img = new Image<ushort>(17, 5);
            for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (ushort)(i * 3000);
            string path = Path.Combine(dir, "a.png");
            Png.Write(path, img, PngEncodeOptions.Fast);
            Assert.Equal(img.Pixels.ToArray(), Png.Read(path).AsUInt16().Pixels.ToArray());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(10)]
    public void Encode_ZLibLevelOutOfRange_Throws(int level)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Png.Encode(new Image<byte>(2, 2), new PngEncodeOptions { ZLibLevel = level }));
        Assert.Equal(nameof(PngEncodeOptions.ZLibLevel), e.ParamName);
    }

    [Fact]
    public void Encode_UnknownFilter_Throws()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Png.Encode(new Image<byte>(2, 2), new PngEncodeOptions { Filter = (PngFilterStrategy)42 }));
        Assert.Equal(nameof(PngEncodeOptions.Filter), e.ParamName);
    }

    /// <summary>Concatenates the IDAT chunk bodies and inflates them: the filtered scanlines.</summary>
    private static byte[] InflateIdat(byte[] png)
    {
        using var idat = new MemoryStream();
        int off = 8;
        while (off < png.Length)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(off));
            if (png.AsSpan(off + 4, 4).SequenceEqual("IDAT"u8)) idat.Write(png, off + 8, len);
            off += 12 + len;
        }
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        return raw.ToArray();
    }
}
