using System.Text.Json;
using Thorax.Imaging.Ops;
using Xunit.Abstractions;

namespace Thorax.Imaging.Tests.Ops;

/// <summary>uint16 <see cref="Resampling.Resize(Image{ushort}, int, int, Interpolation)"/> against cv2.resize on
/// uint16 (goldens from tools/golden/imaging/golden_ops.py, resize_u16): every kernel bit-exact.</summary>
public class ResamplingU16Tests(ITestOutputHelper output)
{
    private static readonly JsonElement Golden = TestData.GoldenJson("ops/resize_u16.json");

    /// <summary>Max |diff| and exact-match fraction of two uint16 images of the same shape.</summary>
    private static (int Worst, int At, double Exact) Compare(Image<ushort> expected, Image<ushort> actual, string context)
    {
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
        return (worst, at, (double)exact / e.Length);
    }

    [Theory]
    [InlineData("nearest")]
    [InlineData("linear")]
    [InlineData("cubic")]
    [InlineData("area")]
    public void Resize_UInt16_MatchesCv2Exactly(string interp)
    {
        var inputs = new Dictionary<string, Image<ushort>>();
        foreach (var p in Golden.GetProperty("inputs").EnumerateObject()) inputs[p.Name] = GoldenArray.U16(p.Value);
        int n = 0;
        double exactSum = 0;
        foreach (var c in Golden.GetProperty("cases").EnumerateArray())
        {
            if (c.GetProperty("interp").GetString() != interp) continue;
            string input = c.GetProperty("input").GetString()!;
            int w = c.GetProperty("width").GetInt32(), h = c.GetProperty("height").GetInt32();
            var src = inputs[input];
            string context = $"{interp} {input} {src.Width}x{src.Height}x{src.Channels} -> {w}x{h}";
            var expected = GoldenArray.U16(c.GetProperty("expected"));
            var actual = Resampling.Resize(src, w, h, GoldenNames.Interpolation(interp));
            var (worst, at, exact) = Compare(expected, actual, context);
            if (worst != 0)
                Assert.Fail($"{context}: max |diff| {worst} at flat index {at} (expected {expected.Pixels[at]}, got {actual.Pixels[at]}), {exact:P3} exact");
            exactSum += exact;

            var into = new Image<ushort>(w, h, src.Channels);
            into.Pixels.Fill(0xBEEF);
            Resampling.ResizeInto(src, into, GoldenNames.Interpolation(interp));
            Assert.Equal(actual.Data, into.Data);
            n++;
        }
        Assert.Equal(23, n);
        output.WriteLine($"{interp}: exact-match rate {exactSum / n:P3} over {n} cases");
    }

    /// <summary>Large images (several row bands on a multi-core machine, long SIMD runs): SHA-256 of the output
    /// equals cv2's.</summary>
    [Theory]
    [InlineData("nearest")]
    [InlineData("linear")]
    [InlineData("cubic")]
    [InlineData("area")]
    public void Resize_UInt16_LargeImages_MatchCv2Hashes(string interp)
    {
        int n = 0;
        foreach (var c in Golden.GetProperty("large").EnumerateArray())
        {
            if (c.GetProperty("interp").GetString() != interp) continue;
            int sw = c.GetProperty("src_width").GetInt32(), sh = c.GetProperty("src_height").GetInt32();
            int cn = c.GetProperty("channels").GetInt32();
            int w = c.GetProperty("width").GetInt32(), h = c.GetProperty("height").GetInt32();
            var src = GoldenArray.U16Pattern(sw, sh, cn);
            var actual = Resampling.Resize(src, w, h, GoldenNames.Interpolation(interp));
            Assert.Equal(c.GetProperty("sha256").GetString(), TestData.Sha256<ushort>(actual.Pixels));
            n++;
        }
        Assert.True(n >= 2);
    }

    [Theory]
    [InlineData(Interpolation.Nearest)]
    [InlineData(Interpolation.Linear)]
    [InlineData(Interpolation.Cubic)]
    [InlineData(Interpolation.Area)]
    public void Resize_UInt16_SameSize_IsIdentity(Interpolation interp)
    {
        var img = new Image<ushort>(17, 9, 3);
        var rng = new Random(5);
        for (int i = 0; i < img.Data.Length; i++) img.Data[i] = (ushort)rng.Next(65536);
        Assert.Equal(img.Data, Resampling.Resize(img, 17, 9, interp).Data);
    }

    [Theory]
    [InlineData(Interpolation.Nearest)]
    [InlineData(Interpolation.Linear)]
    [InlineData(Interpolation.Cubic)]
    [InlineData(Interpolation.Area)]
    public void Resize_UInt16_ConstantImage_StaysConstant(Interpolation interp)
    {
        foreach (ushort v in new ushort[] { 0, 1, 4095, 40000, 65535 })
        {
            var img = new Image<ushort>(13, 7, 2);
            img.Pixels.Fill(v);
            foreach (var (w, h) in new[] { (29, 4), (6, 3), (26, 14), (1, 1) })
                foreach (ushort o in Resampling.Resize(img, w, h, interp).Pixels) Assert.Equal(v, o);
        }
    }

    [Fact]
    public void ResizeInto_UInt16_RejectsSharedOrMismatchedDestination()
    {
        var img = new Image<ushort>(8, 6);
        Assert.Throws<ArgumentException>(() => Resampling.ResizeInto(img, img));
        Assert.Throws<ArgumentException>(() => Resampling.ResizeInto(img, new Image<ushort>(4, 3, 3)));
        Assert.Throws<ArgumentNullException>(() => Resampling.Resize((Image<ushort>)null!, 4, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampling.Resize(img, 0, 3));
    }
}
