using System.Text.Json;
using Thorax.Imaging.Ops;
using Xunit.Abstractions;

namespace Thorax.Imaging.Tests.Ops;

/// <summary>Gaussian.CvBlur / CvKernel against cv2.GaussianBlur / cv2.getGaussianKernel (tools/golden/imaging/golden_ops.py, gaussian_cv).</summary>
public class GaussianCvTests(ITestOutputHelper output)
{
    private static readonly JsonElement Golden = TestData.GoldenJson("ops/gaussian_cv.json");

    private static IEnumerable<JsonElement> Cases(string input) =>
        Golden.GetProperty("cases").EnumerateArray().Where(c => c.GetProperty("input").GetString() == input);

    private static string Describe(JsonElement c) =>
        $"ksize ({c.GetProperty("ksize_x").GetInt32()}, {c.GetProperty("ksize_y").GetInt32()}) sigma ({c.GetProperty("sigma_x").GetDouble()}, " +
        $"{c.GetProperty("sigma_y").GetDouble()}) {c.GetProperty("border").GetString()}";

    [Fact]
    public void CvKernel_MatchesGetGaussianKernel_IncludingSigmaZeroRules()
    {
        int n = 0;
        foreach (var c in Golden.GetProperty("kernels").EnumerateArray())
        {
            var k = Gaussian.CvKernel(c.GetProperty("ksize").GetInt32(), c.GetProperty("sigma").GetDouble());
            var expected = GoldenArray.F64(c.GetProperty("expected"));
            Assert.Equal(expected.Length, k.Length);
            for (int i = 0; i < k.Length; i++) Assert.Equal(expected[i], k[i], 12);
            n++;
        }
        Assert.Equal(8, n);
    }

    [Fact]
    public void CvBlur_Float32_MatchesCv2GaussianBlurWithin1e5()
    {
        var src = GoldenArray.F32(Golden.GetProperty("inputs").GetProperty("f32"));
        int n = 0;
        foreach (var c in Cases("f32"))
        {
            var actual = Gaussian.CvBlur(src, c.GetProperty("ksize_x").GetInt32(), c.GetProperty("ksize_y").GetInt32(),
                c.GetProperty("sigma_x").GetDouble(), c.GetProperty("sigma_y").GetDouble(), GoldenNames.Border(c.GetProperty("border").GetString()!));
            GoldenArray.AssertClose(GoldenArray.F32(c.GetProperty("expected")).Pixels, actual.Pixels, 1e-5, 1e-5, Describe(c));
            n++;
        }
        Assert.Equal(15, n);
    }

    /// <summary>
    /// 8-bit tolerance: OpenCV blurs CV_8U in fixed point (kernel rounded to 8 fractional bits with error diffusion,
    /// exact integer row sums, (sum + 2^15) &gt;&gt; 16 at the end), and Gaussian.CvBlur(Image&lt;byte&gt;) reproduces
    /// that integer scheme, so the tolerance is 0 (bit-exact). For reference: filtering the same cases in float32 and
    /// rounding instead gives |diff| &lt;= 1 with about 92% exact matches.
    /// </summary>
    private const int Tolerance8Bit = 0;

    [Fact]
    public void CvBlur_UInt8_MatchesCv2GaussianBlur()
    {
        var src = GoldenArray.U8(Golden.GetProperty("inputs").GetProperty("u8"));
        double exact = 0;
        int n = 0;
        foreach (var c in Cases("u8"))
        {
            var actual = Gaussian.CvBlur(src, c.GetProperty("ksize_x").GetInt32(), c.GetProperty("ksize_y").GetInt32(),
                c.GetProperty("sigma_x").GetDouble(), c.GetProperty("sigma_y").GetDouble(), GoldenNames.Border(c.GetProperty("border").GetString()!));
            exact += GoldenArray.AssertClose(GoldenArray.U8(c.GetProperty("expected")), actual, Tolerance8Bit, Describe(c));
            n++;
        }
        Assert.Equal(15, n);
        output.WriteLine($"uint8 exact-match rate {exact / n:P2} over {n} cases");
        Assert.True(exact / n > 0.9, $"uint8 exact-match rate {exact / n:P2}");
    }

    [Fact]
    public void CvBlur_KernelSizeOne_IsIdentity()
    {
        var img = new Image<float>(7, 5);
        for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = i * 0.37f;
        Assert.Equal(img.Data, Gaussian.CvBlur(img, 1, 1, 0).Data);
    }

    [Theory]
    [InlineData(4, 3, 0.0)]
    [InlineData(3, -1, 0.0)]
    [InlineData(0, 0, 0.0)]
    public void CvBlur_InvalidKernelSize_Throws(int kx, int ky, double sigma)
    {
        Assert.Throws<ArgumentException>(() => Gaussian.CvBlur(new Image<float>(4, 4), kx, ky, sigma));
    }
}
