using Thorax.Imaging.Codecs;

namespace Thorax.Imaging.Tests.Codecs;

public class JpegTests
{
    public static TheoryData<string> GeneratedCases()
    {
        var data = new TheoryData<string>();
        foreach (var c in TestData.GoldenJson("codecs/codecs.json").GetProperty("jpeg").EnumerateArray())
            data.Add(c.GetProperty("file").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(GeneratedCases))]
    public void Decode_GeneratedJpeg_EqualsPilIslowDecode(string file)
    {
        var c = TestData.GoldenJson("codecs/codecs.json").GetProperty("jpeg").EnumerateArray()
            .First(e => e.GetProperty("file").GetString() == file);
        var img = Jpeg.Decode(File.ReadAllBytes(TestData.Golden("codecs/" + file)));
        Assert.Equal(c.GetProperty("width").GetInt32(), img.Width);
        Assert.Equal(c.GetProperty("height").GetInt32(), img.Height);
        Assert.Equal(c.GetProperty("channels").GetInt32(), img.Channels);
        Assert.Equal(c.GetProperty("sha256").GetString(), TestData.Sha256<byte>(img.Pixels));
    }

    [Theory]
    [InlineData("jpeg_source_grey.bin", 1, 95, 38.0)]
    [InlineData("jpeg_source_rgb.bin", 3, 95, 33.0)]
    [InlineData("jpeg_source_grey.bin", 1, 30, 25.0)]
    public void EncodeDecode_SourceImage_PsnrAboveFloor(string source, int channels, int quality, double minPsnr)
    {
        var meta = TestData.GoldenJson("codecs/codecs.json").GetProperty("jpeg_source");
        int w = meta.GetProperty("width").GetInt32(), h = meta.GetProperty("height").GetInt32();
        var img = new Image<byte>(w, h, channels, File.ReadAllBytes(TestData.Golden("codecs/" + source)));

        var back = Jpeg.Decode(Jpeg.Encode(img, quality, JpegSubsampling.S444));

        Assert.True(back.HasSameShape(img));
        double mse = 0;
        for (int i = 0; i < img.Pixels.Length; i++) mse += Math.Pow(img.Pixels[i] - back.Pixels[i], 2);
        mse /= img.Pixels.Length;
        double psnr = 10 * Math.Log10(255.0 * 255.0 / Math.Max(mse, 1e-12));
        Assert.True(psnr > minPsnr, $"PSNR {psnr:F1} dB <= {minPsnr}");
    }

    [Fact]
    public void Encode_HigherQuality_ProducesLargerFile()
    {
        var img = new Image<byte>(64, 64);
        var rng = new Random(3);
        rng.NextBytes(img.Data);
        Assert.True(Jpeg.Encode(img, 95).Length > Jpeg.Encode(img, 20).Length);
    }

    [Fact]
    public void Decode_Garbage_ThrowsImageFormatException()
    {
        var e = Assert.Throws<ImageFormatException>(() => Jpeg.Decode(new byte[] { 0xFF, 0xD8, 1, 2, 3, 4, 5 }, "g.jpg"));
        Assert.Equal("g.jpg", e.FilePath);
    }

    [Fact]
    public void Encode_TwoChannels_Throws()
    {
        Assert.Throws<ArgumentException>(() => Jpeg.Encode(new Image<byte>(4, 4, 2)));
    }
}
