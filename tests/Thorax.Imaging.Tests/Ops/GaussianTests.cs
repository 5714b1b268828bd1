using System.Diagnostics;
using System.Text.Json;
using Thorax.Imaging.Ops;
using Xunit.Abstractions;

namespace Thorax.Imaging.Tests.Ops;

public class GaussianTests(ITestOutputHelper output)
{
    private static readonly JsonElement Golden = TestData.GoldenJson("ops/gaussian.json");

    private static BorderMode Mode(string s) => s switch
    {
        "reflect" => BorderMode.Reflect,
        "mirror" => BorderMode.Reflect101,
        "nearest" => BorderMode.Replicate,
        _ => BorderMode.Constant,
    };

    [Fact]
    public void Blur_AllSigmasAndModes_MatchScipyGaussianFilter()
    {
        var src = GoldenArray.F32(Golden.GetProperty("input"));
        foreach (var c in Golden.GetProperty("cases").EnumerateArray())
        {
            double sigma = c.GetProperty("sigma").GetDouble();
            string mode = c.GetProperty("mode").GetString()!;
            var actual = Gaussian.Blur(src, sigma, Mode(mode));
            GoldenArray.AssertClose(GoldenArray.F64(c.GetProperty("expected")), actual.Pixels, 2e-5, 1e-5, $"sigma {sigma} {mode}");
        }
    }

    [Fact]
    public void Blur_Anisotropic_MatchesScipy()
    {
        var src = GoldenArray.F32(Golden.GetProperty("input"));
        var a = Golden.GetProperty("anisotropic");
        var actual = Gaussian.Blur(src, a.GetProperty("sigma_y").GetDouble(), a.GetProperty("sigma_x").GetDouble());
        GoldenArray.AssertClose(GoldenArray.F64(a.GetProperty("expected")), actual.Pixels, 2e-5, 1e-5, "anisotropic");
    }

    [Fact]
    public void Kernel_Sigma2_HasScipyRadiusAndUnitSum()
    {
        var k = Gaussian.Kernel(2.0);
        Assert.Equal(17, k.Length); // r = int(4*2 + 0.5) = 8
        Assert.Equal(1.0, k.Sum(), 12);
        Assert.Equal(k[0], k[^1]);
    }

    [Fact]
    public void Blur_MultiChannel_EqualsPerChannelBlur()
    {
        var rgb = new Image<float>(9, 6, 3);
        var rng = new Random(1);
        for (int i = 0; i < rgb.Pixels.Length; i++) rgb.Pixels[i] = rng.NextSingle();
        var blurred = Gaussian.Blur(rgb, 1.3);
        for (int c = 0; c < 3; c++)
        {
            var plane = new Image<float>(9, 6);
            for (int i = 0; i < plane.Pixels.Length; i++) plane.Pixels[i] = rgb.Pixels[i * 3 + c];
            var b = Gaussian.Blur(plane, 1.3);
            for (int i = 0; i < plane.Pixels.Length; i++) Assert.Equal(b.Pixels[i], blurred.Pixels[i * 3 + c]);
        }
    }

    [Fact]
    public void Blur_Sigma150OnLargeImage_MatchesClosedFormImpulseResponse()
    {
        // Exact 1201-tap separable filter; the time is reported, not asserted.
        var img = new Image<float>(1400, 1300);
        img.Pixels.Fill(3f);
        img[700, 650] = 1003f;
        var sw = Stopwatch.StartNew();
        var b = Gaussian.Blur(img, 150);
        sw.Stop();
        output.WriteLine($"sigma=150 on 1400x1300 float: {sw.ElapsedMilliseconds} ms");
        Assert.Equal(3f, b[0, 0], 3);
        Assert.Equal(3 + 1000 * Gaussian.Kernel(150)[600] * Gaussian.Kernel(150)[700], b[800, 650], 3);
        double peak = 1000 * Math.Pow(Gaussian.Kernel(150)[600], 2);
        Assert.Equal(3 + peak, b[700, 650], 3);
    }
}
