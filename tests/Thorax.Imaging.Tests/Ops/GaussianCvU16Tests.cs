using System.Text.Json;
using Thorax.Imaging.Ops;
using Xunit.Abstractions;

namespace Thorax.Imaging.Tests.Ops;

/// <summary>
/// <see cref="Gaussian.CvBlur(Image{ushort}, int, int, double, double, BorderMode)"/> against cv2.GaussianBlur on uint16
/// (tools/golden/imaging/golden_ops.py, gaussian_cv_u16): OpenCV blurs CV_16U in fixed point, which CvBlur reproduces
/// bit for bit. The large-image hashes also cover the row-banded, vectorised 8-bit
/// <see cref="Gaussian.CvBlur(Image{byte}, int, int, double, double, BorderMode)"/>.
/// </summary>
public class GaussianCvU16Tests(ITestOutputHelper output)
{
    private static readonly JsonElement Golden = TestData.GoldenJson("ops/gaussian_cv_u16.json");

    private static string Describe(JsonElement c) =>
        $"ksize ({c.GetProperty("ksize_x").GetInt32()}, {c.GetProperty("ksize_y").GetInt32()}) sigma ({c.GetProperty("sigma_x").GetDouble()}, " +
        $"{c.GetProperty("sigma_y").GetDouble()}) {c.GetProperty("border").GetString()}";

    private static Image<ushort> Blur(Image<ushort> src, JsonElement c) =>
        Gaussian.CvBlur(src, c.GetProperty("ksize_x").GetInt32(), c.GetProperty("ksize_y").GetInt32(),
            c.GetProperty("sigma_x").GetDouble(), c.GetProperty("sigma_y").GetDouble(), GoldenNames.Border(c.GetProperty("border").GetString()!));

    /// <summary>
    /// uint16 tolerance: 0 (bit-exact). OpenCV 4.x quantises both kernels to 16 fractional bits (error diffusion, each
    /// summing to 65536), keeps exact 32-bit row sums and rounds the exact column sum, (sum + 2^31) &gt;&gt; 32; CvBlur
    /// does the same integer arithmetic.
    /// </summary>
    private const int Tolerance16Bit = 0;

    [Theory]
    [InlineData("u16", 20)]
    [InlineData("u12", 20)]
    [InlineData("u16c3", 20)]
    [InlineData("u16_row", 20)]
    [InlineData("u16_col", 20)]
    public void CvBlur_UInt16_MatchesCv2GaussianBlur(string input, int expectedCases)
    {
        var src = GoldenArray.U16(Golden.GetProperty("inputs").GetProperty(input));
        int n = 0;
        double exactSum = 0;
        foreach (var c in Golden.GetProperty("cases").EnumerateArray())
        {
            if (c.GetProperty("input").GetString() != input) continue;
            string context = $"{input} {src.Width}x{src.Height}x{src.Channels} {Describe(c)}";
            var expected = GoldenArray.U16(c.GetProperty("expected"));
            var actual = Blur(src, c);
            Assert.True(expected.HasSameShape(actual), $"{context}: shape {actual} != {expected}");
            var e = expected.Pixels;
            var a = actual.Pixels;
            int exact = 0, worst = 0, at = -1;
            for (int i = 0; i < e.Length; i++)
            {
                int d = Math.Abs(e[i] - a[i]);
                if (d == 0) exact++;
                if (d > worst) { worst = d; at = i; }
            }
            Assert.True(worst <= Tolerance16Bit,
                $"{context}: max |diff| {worst} at flat index {at} (expected {(at >= 0 ? e[at] : 0)}, got {(at >= 0 ? a[at] : 0)})");
            exactSum += (double)exact / e.Length;
            n++;
        }
        Assert.Equal(expectedCases, n);
        output.WriteLine($"{input}: exact-match rate {exactSum / n:P3} over {n} cases");
    }

    /// <summary>Formula inputs of golden_ops.py gaussian_cv_u16 (large images).</summary>
    private static Image<T> LargeInput<T>(int w, int h, int cn, Func<long, long, long, T> f) where T : unmanaged
    {
        var img = new Image<T>(w, h, cn);
        var d = img.Data;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < cn; c++)
                    d[(y * w + x) * cn + c] = f(x, y, c);
        return img;
    }

    /// <summary>Larger images (several row bands on a multi-core machine, long vector runs, kernels up to 97 taps):
    /// SHA-256 of the output equals cv2's, for uint16 and for uint8.</summary>
    [Theory]
    [InlineData("u16", 48)]
    [InlineData("u8", 48)]
    public void CvBlur_LargeImages_MatchCv2Hashes(string depth, int expectedCases)
    {
        int n = 0;
        var inputs = new Dictionary<(int, int, int), object>();
        foreach (var c in Golden.GetProperty("large").EnumerateArray())
        {
            if (c.GetProperty("depth").GetString() != depth) continue;
            int w = c.GetProperty("width").GetInt32(), h = c.GetProperty("height").GetInt32(), cn = c.GetProperty("channels").GetInt32();
            if (!inputs.TryGetValue((w, h, cn), out var src))
                inputs[(w, h, cn)] = src = depth == "u16"
                    ? LargeInput(w, h, cn, (x, y, ch) => (ushort)(((((x * 7919) ^ (y * 104729)) & 0x3FFF) + 41 * x + 29 * y + 12345 * ch) & 0xFFFF))
                    : LargeInput(w, h, cn, (x, y, ch) => (byte)(((((x * 7919) ^ (y * 104729)) & 0x3F) + 3 * x + 5 * y + 85 * ch) & 0xFF));
            int kx = c.GetProperty("ksize_x").GetInt32(), ky = c.GetProperty("ksize_y").GetInt32();
            double sx = c.GetProperty("sigma_x").GetDouble(), sy = c.GetProperty("sigma_y").GetDouble();
            var border = GoldenNames.Border(c.GetProperty("border").GetString()!);
            string hash = src is Image<ushort> s16
                ? TestData.Sha256<ushort>(Gaussian.CvBlur(s16, kx, ky, sx, sy, border).Pixels)
                : TestData.Sha256<byte>(Gaussian.CvBlur((Image<byte>)src, kx, ky, sx, sy, border).Pixels);
            Assert.True(c.GetProperty("sha256").GetString() == hash, $"{depth} {w}x{h}x{cn} {Describe(c)}: output differs from cv2");
            n++;
        }
        Assert.Equal(expectedCases, n);
    }

    /// <summary>The same results whatever the thread budget: one band (ring of horizontal rows), several bands with
    /// rings (recomputed halo rows), and so many threads that the bands would be shorter than 4 kernel radii (then
    /// the horizontal pass of the whole image is stored first).</summary>
    [Fact]
    public void CvBlur_SameResultForEveryThreadBudget()
    {
        var src16 = LargeInput(173, 1211, 2, (x, y, c) => (ushort)((x * 977 + y * 331 + c * 40000 + ((x * y) & 0xFFF)) & 0xFFFF));
        var src8 = LargeInput(173, 1211, 2, (x, y, c) => (byte)((x * 7 + y * 3 + c * 100 + ((x * y) & 0x1F)) & 0xFF));
        int saved = OpsThreading.MaxThreads;
        try
        {
            OpsThreading.MaxThreads = 1;
            var one16 = Gaussian.CvBlur(src16, 0, 0, 3.0, 1.5);
            var one8 = Gaussian.CvBlur(src8, 0, 0, 3.0, 1.5, BorderMode.Constant);
            foreach (int threads in new[] { 4, 64 })
            {
                OpsThreading.MaxThreads = threads;
                Assert.Equal(one16.Data, Gaussian.CvBlur(src16, 0, 0, 3.0, 1.5).Data);
                Assert.Equal(one8.Data, Gaussian.CvBlur(src8, 0, 0, 3.0, 1.5, BorderMode.Constant).Data);
            }
        }
        finally
        {
            OpsThreading.MaxThreads = saved;
        }
    }

    [Fact]
    public void CvBlur_UInt16_KernelSizeOne_IsIdentity_AndConstantImageIsKept()
    {
        var img = LargeInput(37, 9, 3, (x, y, c) => (ushort)(x * 1771 + y * 97 + c * 20000));
        Assert.Equal(img.Data, Gaussian.CvBlur(img, 1, 1, 0).Data);
        // Full-scale constant: the taps sum to exactly 1.0, so no border mode but constant changes it (and no overflow).
        var white = new Image<ushort>(40, 7);
        white.Pixels.Fill(65535);
        Assert.All(Gaussian.CvBlur(white, 0, 0, 4.0, 0, BorderMode.Reflect).Data, v => Assert.Equal(65535, v));
        Assert.All(Gaussian.CvBlur(white, 9, 9, 0, 0, BorderMode.Replicate).Data, v => Assert.Equal(65535, v));
    }

    [Theory]
    [InlineData(4, 3, 0.0)]
    [InlineData(3, -1, 0.0)]
    [InlineData(0, 0, 0.0)]
    public void CvBlur_UInt16_InvalidKernelSize_Throws(int kx, int ky, double sigma)
    {
        Assert.Throws<ArgumentException>(() => Gaussian.CvBlur(new Image<ushort>(4, 4), kx, ky, sigma));
    }
}
