using System.Text.Json;
using Thorax.Imaging.Ops;
using Xunit.Abstractions;

namespace Thorax.Imaging.Tests.Ops;

public class ResamplingTests(ITestOutputHelper output)
{
    private static readonly JsonElement Golden = TestData.GoldenJson("ops/resize.json");

    [Theory]
    [InlineData("nearest", 0)]
    [InlineData("linear", 1)]
    [InlineData("cubic", 0)]
    [InlineData("area", 0)]
    public void Resize_UInt8_MatchesCv2WithinTolerance(string interp, int tolerance)
    {
        double exactSum = 0;
        int n = 0;
        foreach (var c in Golden.GetProperty("cases").EnumerateArray())
        {
            string input = c.GetProperty("input").GetString()!;
            if (input == "f32" || c.GetProperty("interp").GetString() != interp) continue;
            var src = GoldenArray.U8(Golden.GetProperty("inputs").GetProperty(input));
            int w = c.GetProperty("width").GetInt32(), h = c.GetProperty("height").GetInt32();
            var actual = Resampling.Resize(src, w, h, GoldenNames.Interpolation(interp));
            exactSum += GoldenArray.AssertClose(GoldenArray.U8(c.GetProperty("expected")), actual, tolerance, $"{interp} {input} -> {w}x{h}");
            n++;
        }
        Assert.True(n >= 16);
        output.WriteLine($"{interp}: exact-match rate {exactSum / n:P2} over {n} cases");
    }

    [Theory]
    [InlineData("nearest")]
    [InlineData("linear")]
    [InlineData("cubic")]
    [InlineData("area")]
    public void Resize_Float32_MatchesCv2(string interp)
    {
        var src = GoldenArray.F32(Golden.GetProperty("inputs").GetProperty("f32"));
        int n = 0;
        foreach (var c in Golden.GetProperty("cases").EnumerateArray())
        {
            if (c.GetProperty("input").GetString() != "f32" || c.GetProperty("interp").GetString() != interp) continue;
            int w = c.GetProperty("width").GetInt32(), h = c.GetProperty("height").GetInt32();
            var actual = Resampling.Resize(src, w, h, GoldenNames.Interpolation(interp));
            GoldenArray.AssertClose(GoldenArray.F32(c.GetProperty("expected")).Pixels, actual.Pixels, 1e-5, 1e-5, $"{interp} -> {w}x{h}");
            n++;
        }
        Assert.Equal(8, n);
    }

    [Fact]
    public void ResizeAntiAliased_MatchesSkimage()
    {
        var src = GoldenArray.F32(Golden.GetProperty("antialias_input"));
        foreach (var c in Golden.GetProperty("antialias_cases").EnumerateArray())
        {
            int w = c.GetProperty("width").GetInt32(), h = c.GetProperty("height").GetInt32();
            var actual = Resampling.ResizeAntiAliased(src, w, h);
            GoldenArray.AssertClose(GoldenArray.F64(c.GetProperty("expected")), actual.Pixels, 2e-5, 0, $"antialias -> {w}x{h}");
        }
    }

    [Theory]
    [InlineData(Interpolation.Nearest)]
    [InlineData(Interpolation.Linear)]
    [InlineData(Interpolation.Cubic)]
    [InlineData(Interpolation.Area)]
    public void Resize_SameSize_IsIdentity(Interpolation interp)
    {
        var img = new Image<byte>(17, 9, 3);
        new Random(5).NextBytes(img.Data);
        Assert.Equal(img.Data, Resampling.Resize(img, 17, 9, interp).Data);
    }

    [Fact]
    public void Resize_ConstantImage_StaysConstant()
    {
        var img = new Image<float>(13, 7);
        img.Pixels.Fill(0.25f);
        foreach (var interp in Enum.GetValues<Interpolation>())
            foreach (float v in Resampling.Resize(img, 29, 4, interp).Pixels) Assert.Equal(0.25f, v, 6);
    }
}
