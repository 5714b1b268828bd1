using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Thorax.Data.Gaze;

namespace Thorax.Data.Tests.Gaze;

public class GaussianFilterTests
{
    internal static void AssertClose(float[] expected, float[] actual, double rtol = 1e-5, double atolFraction = 1e-6)
    {
        Assert.Equal(expected.Length, actual.Length);
        double atol = atolFraction * Math.Max(1e-30, expected.Max(Math.Abs));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= atol + rtol * Math.Abs(expected[i]),
                $"index {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void Kernel_Sigma1_MatchesScipyRadiusAndSum()
    {
        var k = GaussianFilter.Kernel(1.0);
        Assert.Equal(9, k.Length); // radius int(4*1+0.5)=4
        Assert.Equal(1.0, k.Sum(), 6);
        Assert.Equal(0.39894346f, k[4], 5);
    }

    [Theory]
    [InlineData(-1, 3, 0)]
    [InlineData(-3, 3, 2)]
    [InlineData(3, 3, 2)]
    [InlineData(5, 3, 0)]
    [InlineData(6, 3, 0)]
    [InlineData(-7, 3, 0)]
    [InlineData(7, 1, 0)]
    public void Reflect_HalfSampleSymmetric_Periodic(int i, int n, int expected) =>
        Assert.Equal(expected, GaussianFilter.Reflect(i, n));

    [Fact]
    public void Apply_GoldenCases_MatchScipyGaussianFilter()
    {
        using var doc = TestData.Golden("gaussian_filter.json");
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            int h = c.GetProperty("height").GetInt32(), w = c.GetProperty("width").GetInt32();
            var y = GaussianFilter.Apply(TestData.Floats(c.GetProperty("input")), w, h, c.GetProperty("sigma").GetDouble());
            AssertClose(TestData.Floats(c.GetProperty("output")), y);
        }
    }

    [Fact]
    public void Apply_RandomMaps_PreservesTotalMass()
    {
        var gen = from w in Gen.Choose(1, 40) from h in Gen.Choose(1, 40) from s in Gen.Choose(1, 400) from seed in Gen.Choose(0, 9999)
                  select (w, h, sigma: s / 10.0, seed);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var rng = new Random(t.seed);
            var x = Enumerable.Range(0, t.w * t.h).Select(_ => (float)rng.NextDouble()).ToArray();
            var y = GaussianFilter.Apply(x, t.w, t.h, t.sigma);
            double a = x.Sum(v => (double)v), b = y.Sum(v => (double)v);
            return Math.Abs(a - b) <= 1e-4 * Math.Max(1, a);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Apply_Sigma150On2000Square_ImpulseSpreadsSymmetrically()
    {
        const int n = 2000;
        var x = new float[n * n];
        x[1000 * n + 1000] = 1;
        var y = GaussianFilter.Apply(x, n, n, 150);
        var k = GaussianFilter.Kernel(150);
        Assert.Equal(k[600] * k[600], y[1000 * n + 1000], 6);
        Assert.Equal(y[(1000 - 300) * n + 1000], y[1000 * n + 1000 + 300], 9);
        Assert.Equal(1.0, y.Sum(v => (double)v), 4);
    }
}
