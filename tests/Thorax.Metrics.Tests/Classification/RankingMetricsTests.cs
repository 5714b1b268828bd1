using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;

namespace Thorax.Metrics.Tests.Classification;

public class RankingMetricsTests
{
    private static readonly JsonElement Data = Golden.Load("classification.json");
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public RankingMetricsTests(Xunit.Abstractions.ITestOutputHelper output) => _output = output;

    public static IEnumerable<object[]> BinaryCases() => Data.Items("binary").Select(c => new object[] { c.Name() });

    public static IEnumerable<object[]> MultiCases() => Data.Items("multiclass").Select(c => new object[] { c.Name() });

    private static JsonElement Case(string group, string name) => Data.Items(group).First(c => c.Name() == name);

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void RocAucAndAp_BinaryGolden_MatchSklearn(string name)
    {
        var c = Case("binary", name);
        var s = c.Doubles("scores");
        var y = c.Ints("labels");
        Golden.Close(c.D("roc_auc"), RankingMetrics.RocAuc(s, y), what: "auc");
        Golden.Close(c.D("average_precision"), RankingMetrics.AveragePrecision(s, y), what: "ap");
    }

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void RocCurve_BothDropModes_MatchSklearn(string name)
    {
        var c = Case("binary", name);
        var s = c.Doubles("scores");
        var y = c.Ints("labels");
        foreach (var (drop, key) in new[] { (true, "roc_drop"), (false, "roc_full") })
        {
            var roc = RankingMetrics.RocCurve(s, y, drop);
            var e = c.GetProperty(key);
            Golden.AllClose(e.Doubles("fpr"), roc.Fpr, what: key + " fpr");
            Golden.AllClose(e.Doubles("tpr"), roc.Tpr, what: key + " tpr");
            Assert.Equal(double.PositiveInfinity, roc.Thresholds[0]);
            Golden.AllClose(e.Doubles("thresholds_tail"), roc.Thresholds[1..], what: key + " thresholds");
        }
    }

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void YoudenAndThreshold_BinaryGolden_Match(string name)
    {
        var c = Case("binary", name);
        var s = c.Doubles("scores");
        var y = c.Ints("labels");
        var e = c.GetProperty("youden");
        var j = RankingMetrics.YoudenThreshold(s, y);
        Golden.Close(e.D("threshold"), j.Threshold, what: "threshold");
        Golden.Close(e.D("j"), j.YoudenJ, what: "J");
        Golden.Close(e.D("tpr"), j.Sensitivity, what: "tpr");
        Golden.Close(e.D("fpr"), 1 - j.Specificity, what: "fpr");
        var at = RankingMetrics.AtThreshold(s, y, c.D("threshold"));
        Golden.Close(c.D("sensitivity"), at.Sensitivity, what: "sensitivity");
        Golden.Close(c.D("specificity"), at.Specificity, what: "specificity");
    }

    [Theory]
    [MemberData(nameof(MultiCases))]
    public void RocAucOvr_MulticlassGolden_MatchSklearn(string name)
    {
        var c = Case("multiclass", name);
        var k = c.GetProperty("k").GetInt32();
        var s = c.Doubles("scores");
        var y = c.Ints("labels");
        Golden.AllClose(c.Doubles("roc_auc_per_class"), RankingMetrics.RocAucPerClass(s, y, k), what: "auc per class");
        Golden.Close(c.D("roc_auc_ovr_macro"), RankingMetrics.RocAucMulticlass(s, y, k, AverageMethod.Macro), what: "macro");
        Golden.Close(c.D("roc_auc_ovr_weighted"), RankingMetrics.RocAucMulticlass(s, y, k, AverageMethod.Weighted), what: "weighted");
        Golden.AllClose(c.Doubles("ap_per_class"), RankingMetrics.AveragePrecisionPerClass(s, y, k), what: "ap per class");
        Golden.Close(c.D("ap_macro"), RankingMetrics.AveragePrecisionMacro(s, y, k), what: "ap macro");
    }

    [Fact]
    public void RocAuc_HandComputedWithTies_CountsHalf()
    {
        // Pairs (pos, neg): (0.8 > 0.3) 1, (0.8 > 0.5) 1, (0.5 = 0.5) 0.5, (0.5 > 0.3) 1 -> 3.5 / 4.
        double[] s = { 0.3, 0.5, 0.5, 0.8 };
        int[] y = { 0, 0, 1, 1 };
        Assert.Equal(0.875, RankingMetrics.RocAuc(s, y), 15);
    }

    [Fact]
    public void AveragePrecision_HandComputed()
    {
        // Descending: 0.9(1) 0.8(0) 0.7(1) 0.1(0): AP = 0.5*1 + 0.5*(2/3).
        double[] s = { 0.1, 0.7, 0.8, 0.9 };
        int[] y = { 0, 1, 0, 1 };
        Assert.Equal(0.5 + 1.0 / 3, RankingMetrics.AveragePrecision(s, y), 15);
    }

    [Fact]
    public void RocAucMicro_EqualsBinaryAucOfRaveledOneHot()
    {
        double[] s = { 0.7, 0.2, 0.1, 0.3, 0.4, 0.3, 0.1, 0.1, 0.8, 0.5, 0.4, 0.1 };
        int[] y = { 0, 1, 2, 0 };
        int[] oneHot = { 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0 };
        Assert.Equal(RankingMetrics.RocAuc(s, oneHot), RankingMetrics.RocAucMulticlass(s, y, 3, AverageMethod.Micro), 15);
    }

    [Fact]
    public void RocAuc_SingleClass_Throws()
    {
        var ex = Assert.Throws<MetricException>(() => RankingMetrics.RocAuc(new[] { 0.1, 0.2 }, new[] { 1, 1 }));
        Assert.Equal("labels", ex.ParamName);
        Assert.Contains("only positives", ex.Message);
    }

    [Fact]
    public void RocAuc_NaNScore_NamesIndex()
    {
        var ex = Assert.Throws<MetricException>(() => RankingMetrics.RocAuc(new[] { 0.1, double.NaN, 0.3 }, new[] { 0, 1, 1 }));
        Assert.Equal("scores", ex.ParamName);
        Assert.Equal(1, ex.Index);
    }

    [Fact]
    public void RocAuc_LabelTwo_NamesIndex()
    {
        var ex = Assert.Throws<MetricException>(() => RankingMetrics.RocAuc(new[] { 0.1, 0.2, 0.3 }, new[] { 0, 2, 1 }));
        Assert.Equal("labels", ex.ParamName);
        Assert.Equal(1, ex.Index);
    }

    [Fact]
    public void RocAuc_LengthMismatch_Throws()
    {
        Assert.Throws<MetricException>(() => RankingMetrics.RocAuc(new[] { 0.1, 0.2, 0.3 }, new[] { 0, 1 }));
        Assert.Throws<MetricException>(() => RankingMetrics.RocAucPerClass(new[] { 0.1, 0.2, 0.3 }, new[] { 0, 1 }, 2));
    }

    [Fact]
    public void RocAucPerClass_ClassWithoutSamples_NamesClass()
    {
        double[] s = { 0.5, 0.5, 0.2, 0.8, 0.9, 0.1 };
        int[] y = { 0, 0, 0 };
        var ex = Assert.Throws<MetricException>(() => RankingMetrics.RocAucPerClass(s, y, 2));
        Assert.Contains("class 0", ex.Message);
    }

    [Fact]
    public void RocAuc_MillionScores_MatchesRankSumFormula()
    {
        var rng = new Random(5);
        const int n = 1_000_000;
        var s = new double[n];
        var y = new int[n];
        for (var i = 0; i < n; i++)
        {
            y[i] = rng.NextDouble() < 0.2 ? 1 : 0;
            s[i] = Math.Round(rng.NextDouble() + 0.3 * y[i], 3); // many ties
        }

        // Mann-Whitney: AUC = (R_pos - P(P+1)/2) / (P N) with mid-ranks.
        var order = Enumerable.Range(0, n).ToArray();
        var keys = (double[])s.Clone();
        Array.Sort(keys, order);
        double rankSum = 0;
        long p = y.Sum();
        for (int i = 0; i < n;)
        {
            var j = i;
            while (j < n && keys[j] == keys[i]) j++;
            var mid = 0.5 * (i + 1 + j);
            for (var k = i; k < j; k++) rankSum += y[order[k]] * mid;
            i = j;
        }

        var expected = (rankSum - p * (p + 1) / 2.0) / (p * (double)(n - p));
        _ = RankingMetrics.RocAuc(s.AsSpan(0, 1000), y.AsSpan(0, 1000)); // warm up the JIT
        var process = System.Diagnostics.Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var auc = RankingMetrics.RocAuc(s, y);
        process.Refresh();
        // Informational only (no timing assertion): wall and process CPU time of one call.
        _output.WriteLine($"RocAuc on {n} scores: {watch.ElapsedMilliseconds} ms wall, {(process.TotalProcessorTime - cpu).TotalMilliseconds:F0} ms CPU");
        Assert.Equal(expected, auc, 10);
    }

    [Fact]
    public void RocAucMetric_Batches_EqualsOneShot()
    {
        var rng = new Random(3);
        var s = Enumerable.Range(0, 100).Select(_ => rng.NextDouble()).ToArray();
        var y = Enumerable.Range(0, 100).Select(i => i % 3 == 0 ? 1 : 0).ToArray();
        var metric = new RocAucMetric();
        metric.Update(s.AsSpan(0, 40), y.AsSpan(0, 40));
        metric.Update(s.AsSpan(40), y.AsSpan(40));
        Assert.Equal(100, metric.Count);
        Assert.Equal(RankingMetrics.RocAuc(s, y), metric.Aggregate(), 15);
        metric.Reset();
        Assert.Equal(0, metric.Count);
        Assert.Throws<MetricException>(() => metric.Aggregate());
    }

    private static Arbitrary<(double[] S, int[] Y)> BinaryData() =>
        (from n in Gen.Choose(2, 80)
         from seed in Gen.Choose(0, 1_000_000)
         from ties in Gen.Elements(false, true)
         select Make(n, seed, ties)).ToArbitrary();

    private static (double[] S, int[] Y) Make(int n, int seed, bool ties)
    {
        var rng = new Random(seed);
        var y = Enumerable.Range(0, n).Select(_ => rng.Next(2)).ToArray();
        y[0] = 0;
        y[1] = 1;
        var s = Enumerable.Range(0, n).Select(i => ties ? rng.Next(5) / 4.0 : rng.NextDouble() + 0.2 * y[i]).ToArray();
        return (s, y);
    }

    [Fact]
    public void Properties_AucOfComplementIsOneMinusAuc()
    {
        Prop.ForAll(BinaryData(), d =>
        {
            var auc = RankingMetrics.RocAuc(d.S, d.Y);
            var flipped = RankingMetrics.RocAuc(d.S.Select(v => 1 - v).ToArray(), d.Y);
            Assert.Equal(1 - auc, flipped, 12);
            Assert.InRange(auc, 0.0, 1.0 + 1e-12); // trapezoid sums round (see the AP bound below)
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Properties_AucInvariantUnderMonotoneTransform()
    {
        Prop.ForAll(BinaryData(), d =>
        {
            var auc = RankingMetrics.RocAuc(d.S, d.Y);
            var transformed = d.S.Select(v => Math.Exp(3 * v) - 7).ToArray();
            Assert.Equal(auc, RankingMetrics.RocAuc(transformed, d.Y), 12);
            var ap = RankingMetrics.AveragePrecision(d.S, d.Y);
            Assert.Equal(ap, RankingMetrics.AveragePrecision(transformed, d.Y), 12);
            // A sum of recall steps times precisions, as scikit-learn computes it (no clamp): 1 + 2e-16 happens when every
            // positive ranks first (FsCheck found 1.0000000000000002), so the bound allows rounding.
            Assert.InRange(ap, 0.0, 1.0 + 1e-12);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Properties_RocCurveAreaEqualsAuc()
    {
        Prop.ForAll(BinaryData(), d =>
        {
            var auc = RankingMetrics.RocAuc(d.S, d.Y);
            foreach (var drop in new[] { true, false })
            {
                var roc = RankingMetrics.RocCurve(d.S, d.Y, drop);
                double area = 0;
                for (var i = 1; i < roc.Count; i++)
                {
                    area += (roc.Fpr[i] - roc.Fpr[i - 1]) * (roc.Tpr[i] + roc.Tpr[i - 1]) / 2;
                }

                Assert.Equal(auc, area, 12);
                Assert.Equal(1.0, roc.Fpr[^1]);
                Assert.Equal(1.0, roc.Tpr[^1]);
            }
        }).QuickCheckThrowOnFailure();
    }
}
