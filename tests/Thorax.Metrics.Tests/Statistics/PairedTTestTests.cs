using System.Text.Json;

namespace Thorax.Metrics.Tests.Statistics;

public class PairedTTestTests
{
    private static readonly JsonElement Data = Golden.Load("statistics.json");

    [Fact]
    public void Compute_Golden_MatchesScipyTtestRel()
    {
        foreach (var e in Data.Items("ttest_rel"))
        {
            var alt = e.GetProperty("alternative").GetString() switch
            {
                "less" => Alternative.Less,
                "greater" => Alternative.Greater,
                _ => Alternative.TwoSided,
            };
            var r = PairedTTest.Compute(e.Doubles("a"), e.Doubles("b"), alt);
            Golden.Close(e.D("t"), r.T, 1e-10, 1e-12, "t");
            Golden.Close(e.D("p"), r.PValue, 1e-9, 1e-300, $"p ({alt})");
            Assert.Equal(e.GetProperty("df").GetInt32(), r.DegreesOfFreedom);
        }
    }

    [Fact]
    public void Compute_ConstantDifferences_InfiniteOrNaN()
    {
        var r = PairedTTest.Compute(new[] { 2.0, 3, 4 }, new[] { 1.0, 2, 3 });
        Assert.Equal(double.PositiveInfinity, r.T);
        Assert.Equal(0.0, r.PValue);
        var same = PairedTTest.Compute(new[] { 1.0, 2 }, new[] { 1.0, 2 });
        Assert.True(double.IsNaN(same.T) && double.IsNaN(same.PValue));
    }

    [Fact]
    public void Compute_BadInput_Throws()
    {
        Assert.Throws<MetricException>(() => PairedTTest.Compute(new[] { 1.0 }, new[] { 2.0 }));
        Assert.Throws<MetricException>(() => PairedTTest.Compute(new[] { 1.0, 2 }, new[] { 2.0 }));
        var ex = Assert.Throws<MetricException>(() => PairedTTest.Compute(new[] { 1.0, double.NaN }, new[] { 2.0, 1 }));
        Assert.Equal(1, ex.Index);
    }
}
