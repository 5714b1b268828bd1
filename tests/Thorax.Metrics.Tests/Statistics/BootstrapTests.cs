using System.Text.Json;

namespace Thorax.Metrics.Tests.Statistics;

public class BootstrapTests
{
    private static readonly JsonElement Data = Golden.Load("statistics.json");

    [Fact]
    public void Percentile_Golden_MatchesNumpy()
    {
        var values = Data.Doubles("percentile_values");
        foreach (var e in Data.Items("percentiles"))
        {
            Golden.Close(e.D("value"), Bootstrap.Percentile(values, e.D("q")), 1e-12, 1e-12, $"q={e.D("q")}");
        }
    }

    [Fact]
    public void MeanInterval_SameSeed_SameInterval_DifferentSeed_Differs()
    {
        var rng = new Random(11);
        var v = Enumerable.Range(0, 50).Select(_ => rng.NextDouble()).ToArray();
        var a = Bootstrap.MeanInterval(v, 500, 0.95, seed: 3);
        var b = Bootstrap.MeanInterval(v, 500, 0.95, seed: 3);
        var c = Bootstrap.MeanInterval(v, 500, 0.95, seed: 4);
        Assert.Equal(a, b);
        Assert.NotEqual(a.Lower, c.Lower);
        Assert.Equal(v.Average(), a.Estimate, 12);
        Assert.True(a.Lower < a.Estimate && a.Estimate < a.Upper);
        Assert.Equal(500, a.Resamples);
    }

    [Fact]
    public void MeanInterval_NormalData_WidthNearTheory()
    {
        // Mean of n iid values: the 95% interval half-width is about 1.96 sd / sqrt(n).
        var rng = new Random(2);
        const int n = 400;
        var v = Enumerable.Range(0, n).Select(_ => rng.NextDouble()).ToArray(); // uniform: sd = 0.2887
        var ci = Bootstrap.MeanInterval(v, 2000, 0.95, seed: 1);
        var expectedHalf = 1.96 * Math.Sqrt(1.0 / 12) / Math.Sqrt(n);
        Assert.InRange((ci.Upper - ci.Lower) / 2, 0.85 * expectedHalf, 1.15 * expectedHalf);
    }

    [Fact]
    public void RocAucInterval_SmallSample_DiscardsSingleClassResamples()
    {
        double[] s = { 0.1, 0.9, 0.4, 0.35, 0.8, 0.2 };
        int[] y = { 0, 1, 0, 1, 1, 0 };
        var ci = Bootstrap.RocAucInterval(s, y, 300, 0.9, seed: 5);
        Assert.Equal(RankingMetrics.RocAuc(s, y), ci.Estimate);
        Assert.Equal(300, ci.Resamples + ci.Discarded);
        Assert.True(ci.Discarded > 0);
        Assert.InRange(ci.Lower, 0.0, ci.Upper);
        Assert.InRange(ci.Upper, ci.Lower, 1.0);
    }

    [Fact]
    public void PercentileInterval_BadArguments_Throw()
    {
        Assert.Throws<MetricException>(() => Bootstrap.PercentileInterval(1, _ => 0));
        Assert.Throws<MetricException>(() => Bootstrap.PercentileInterval(5, _ => 0, confidence: 1.0));
        Assert.Throws<MetricException>(() => Bootstrap.PercentileInterval(5, _ => double.NaN));
        Assert.Throws<MetricException>(() => Bootstrap.RocAucInterval(new[] { 0.1, 0.2 }, new[] { 0, 0 }));
    }
}
