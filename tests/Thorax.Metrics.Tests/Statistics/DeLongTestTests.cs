using System.Text.Json;

namespace Thorax.Metrics.Tests.Statistics;

public class DeLongTestTests
{
    private static readonly JsonElement Data = Golden.Load("statistics.json");

    [Fact]
    public void Compare_Golden_MatchesFastDeLong()
    {
        foreach (var e in Data.Items("delong"))
        {
            var r = DeLongTest.Compare(e.Doubles("scores1"), e.Doubles("scores2"), e.Ints("labels"));
            Golden.Close(e.D("auc1"), r.Auc1, 1e-12, 1e-12, "auc1");
            Golden.Close(e.D("auc2"), r.Auc2, 1e-12, 1e-12, "auc2");
            Golden.Close(e.D("var1"), r.Variance1, 1e-9, 1e-15, "var1");
            Golden.Close(e.D("var2"), r.Variance2, 1e-9, 1e-15, "var2");
            Golden.Close(e.D("cov"), r.Covariance, 1e-9, 1e-15, "cov");
            Golden.Close(e.D("z"), r.Z, 1e-9, 1e-12, "z");
            Golden.Close(e.D("p"), r.PValue, 1e-8, 1e-300, "p");
        }
    }

    [Fact]
    public void Compare_IdenticalScores_ZeroAndOne()
    {
        double[] s = { 0.1, 0.4, 0.35, 0.8, 0.2, 0.9 };
        int[] y = { 0, 0, 1, 1, 0, 1 };
        var r = DeLongTest.Compare(s, s, y);
        Assert.Equal(0.0, r.Z);
        Assert.Equal(1.0, r.PValue);
        Assert.Equal(RankingMetrics.RocAuc(s, y), r.Auc1, 15);
    }

    [Fact]
    public void AucInterval_ContainsAucAndIsOrdered()
    {
        var e = Data.Items("delong").First();
        var s = e.Doubles("scores1");
        var y = e.Ints("labels");
        var (auc, variance, lo, hi) = DeLongTest.AucInterval(s, y);
        Golden.Close(e.D("var1"), variance, 1e-9, 1e-15, "var");
        Assert.True(lo < auc && auc < hi && lo >= 0 && hi <= 1);
        Assert.Equal(1.959963984540054 * Math.Sqrt(variance), hi - auc, 8);
    }

    [Fact]
    public void Compare_TooFewPerClass_Throws()
    {
        var ex = Assert.Throws<MetricException>(() => DeLongTest.Compare(new[] { 0.1, 0.2, 0.3 }, new[] { 0.1, 0.2, 0.3 }, new[] { 0, 0, 1 }));
        Assert.Equal("labels", ex.ParamName);
    }
}
