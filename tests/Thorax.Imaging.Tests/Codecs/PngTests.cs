using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using Thorax.Imaging.Codecs;

namespace Thorax.Imaging.Tests.Codecs;

public class PngTests
{
    public static TheoryData<string> GeneratedCases()
    {
        var data = new TheoryData<string>();
        foreach (var c in TestData.GoldenJson("codecs/codecs.json").GetProperty("png").EnumerateArray())
            data.Add(c.GetProperty("file").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(GeneratedCases))]
    public void Decode_GeneratedPng_MatchesPilPixels(string file)
    {
        var c = TestData.GoldenJson("codecs/codecs.json").GetProperty("png").EnumerateArray()
            .First(e => e.GetProperty("file").GetString() == file);
        var png = Png.Read(TestData.Golden("codecs/" + file));

        Assert.Equal(c.GetProperty("width").GetInt32(), png.Width);
        Assert.Equal(c.GetProperty("height").GetInt32(), png.Height);
        Assert.Equal(c.GetProperty("channels").GetInt32(), png.Channels);
        string hash = c.GetProperty("bits").GetInt32() == 16
            ? TestData.Sha256<ushort>(png.AsUInt16().Pixels)
            : TestData.Sha256<byte>(png.AsByte().Pixels);
        Assert.Equal(c.GetProperty("sha256").GetString(), hash);
    }

    [SkippableFact]
    public void Decode_RealPngsInSharedData_MatchPilPixels()
    {
        string? shared = TestData.SharedData;
        Skip.If(shared is null, "../shared/data not found; real-PNG parity test skipped.");
        int checkedFiles = 0;
        foreach (var c in TestData.GoldenJson("codecs/codecs.json").GetProperty("real_png").EnumerateArray())
        {
            string path = Path.Combine(shared!, c.GetProperty("path").GetString()!);
            if (!File.Exists(path)) continue;
            var png = Png.Read(path);
            Assert.Equal(c.GetProperty("width").GetInt32(), png.Width);
            Assert.Equal(c.GetProperty("sha256").GetString(), TestData.Sha256<byte>(png.AsByte().Pixels));
            checkedFiles++;
        }
        Skip.If(checkedFiles == 0, "none of the real PNGs listed in codecs.json exist under ../shared/data.");
    }

    [Fact]
    public void EncodeDecode_Grey8Gradient_RoundTripsExactly()
    {
        var img = new Image<byte>(300, 7);
        for (int y = 0; y < 7; y++)
            for (int x = 0; x < 300; x++) img[x, y] = (byte)(x * y + x);
        var back = Png.Decode(Png.Encode(img)).AsByte();
        Assert.Equal(img.Pixels.ToArray(), back.Pixels.ToArray());
    }

    [Fact]
    public void EncodeDecode_RandomImagesAllLayouts_RoundTripExactly()
    {
        var gen = from w in Gen.Choose(1, 40)
                  from h in Gen.Choose(1, 20)
                  from c in Gen.Choose(1, 4)
                  from wide in Gen.Elements(false, true)
                  from seed in Gen.Choose(0, 100000)
                  select (w, h, c, wide, seed);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var rng = new Random(t.seed);
            if (t.wide)
            {
                var img = new Image<ushort>(t.w, t.h, t.c);
                for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (ushort)rng.Next(65536);
                var back = Png.Decode(Png.Encode(img));
                return back.Channels == t.c && back.AsUInt16().Pixels.SequenceEqual(img.Pixels);
            }
            else
            {
                var img = new Image<byte>(t.w, t.h, t.c);
                rng.NextBytes(img.Data);
                var back = Png.Decode(Png.Encode(img));
                return back.Channels == t.c && back.AsByte().Pixels.SequenceEqual(img.Pixels);
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Write_ToFile_IsAtomicAndLeavesNoTempFiles()
    {
        string dir = Directory.CreateTempSubdirectory("thx-png-").FullName;
        try
        {
            string path = Path.Combine(dir, "a.png");
            var img = new Image<byte>(5, 4, 3);
            img[2, 1, 1] = 200;
            Png.Write(path, img);
            Png.Write(path, img); // overwrite
            Assert.Equal(new[] { "a.png" }, Directory.GetFiles(dir).Select(f => Path.GetFileName(f)!).ToArray());
            Assert.Equal(200, Png.Read(path).AsByte()[2, 1, 1]);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Decode_BadCrc_ThrowsNamingChunkAndFile()
    {
        byte[] data = Png.Encode(new Image<byte>(4, 4));
        data[8 + 8 + 3] ^= 1; // IHDR body byte
        var e = Assert.Throws<ImageFormatException>(() => Png.Decode(data, "x.png"));
        Assert.Equal("IHDR", e.Field);
        Assert.Equal("x.png", e.FilePath);
        Assert.Equal(8, e.Offset);
        Assert.Contains("CRC", e.Message);
        Assert.Contains("x.png", e.Message);
    }

    [Fact]
    public void Decode_Truncated_ThrowsImageFormatException()
    {
        byte[] data = Png.Encode(new Image<byte>(64, 64, 3));
        var e = Assert.Throws<ImageFormatException>(() => Png.Decode(data.AsSpan(0, data.Length - 20), "t.png"));
        Assert.Equal("t.png", e.FilePath);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Decode_BadSignature_Throws()
    {
        var e = Assert.Throws<ImageFormatException>(() => Png.Decode("GIF89a.........."u8));
        Assert.Equal("signature", e.Field);
    }

    [Fact]
    public void Decode_InvalidBitDepthInIhdr_ThrowsWithIhdrField()
    {
        byte[] data = Png.Encode(new Image<byte>(4, 4, 3));
        data[16 + 8] = 4; // bit depth 4 with RGB is invalid
        uint crc = Crc(data.AsSpan(12, 17));
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(29), crc);
        var e = Assert.Throws<ImageFormatException>(() => Png.Decode(data));
        Assert.StartsWith("IHDR", e.Field);
    }

    [Fact]
    public void ToByte_On16Bit_TakesHighByte()
    {
        var img = new Image<ushort>(2, 1);
        img[0, 0] = 0x1234;
        img[1, 0] = 0xFFFF;
        var b = Png.Decode(Png.Encode(img)).ToByte();
        Assert.Equal(new byte[] { 0x12, 0xFF }, b.Pixels.ToArray());
    }

    private static uint Crc(ReadOnlySpan<byte> d)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in d)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return c ^ 0xFFFFFFFF;
    }
}
