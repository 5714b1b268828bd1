using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;

namespace Thorax.Metrics.Tests.Saliency;

public class SaliencyMetricsTests
{
    private static readonly JsonElement Data = Golden.Load("saliency.json");

    public static IEnumerable<object[]> Cases() => Data.Items("cases").Select(c => new object[] { c.Name() });

    [Theory]
    [MemberData(nameof(Cases))]
    public void AllMetrics_Golden_MatchMitDefinitions(string name)
    {
        var c = Data.Items("cases").First(x => x.Name() == name);
        var s = c.Floats("saliency");
        var g = c.Floats("density");
        var f = c.Bytes("fixations");
        Golden.Close(c.D("kl_mit"), SaliencyMetrics.KlDivergence(s, g), 1e-10, 1e-12, "kl");
        Golden.Close(c.D("kl_paper"), SaliencyMetrics.KlDivergence(s, g, SaliencyVariant.PaperCode), 1e-10, 1e-12, "kl paper");
        Golden.Close(c.D("cc"), SaliencyMetrics.CorrelationCoefficient(s, g), 1e-10, 1e-12, "cc");
        Golden.Close(c.D("sim_mit"), SaliencyMetrics.Similarity(s, g), 1e-10, 1e-12, "sim");
        Golden.Close(c.D("sim_paper"), SaliencyMetrics.Similarity(s, g, SaliencyVariant.PaperCode), 1e-10, 1e-12, "sim paper");
        Golden.Close(c.D("nss"), SaliencyMetrics.Nss(s, f), 1e-10, 1e-12, "nss");
        Golden.Close(c.D("auc_judd"), SaliencyMetrics.AucJudd(s, f), 1e-10, 1e-12, "auc judd");
    }

    [Fact]
    public void IdenticalMaps_PerfectScores()
    {
        float[] m = { 0.1f, 0.5f, 0.2f, 0.9f, 0.0f, 0.3f };
        Assert.Equal(0.0, SaliencyMetrics.KlDivergence(m, m), 12);
        Assert.Equal(0.0, SaliencyMetrics.KlDivergence(m, m, SaliencyVariant.PaperCode), 12);
        Assert.Equal(1.0, SaliencyMetrics.CorrelationCoefficient(m, m), 12);
        Assert.Equal(1.0, SaliencyMetrics.Similarity(m, m), 12);
        Assert.Equal(1.0, SaliencyMetrics.Similarity(m, m, SaliencyVariant.PaperCode), 12);
    }

    [Fact]
    public void KlPaper_ZeroPredictionUnderMass_IsInfiniteWhileMitIsFinite()
    {
        float[] s = { 0f, 1f };
        float[] g = { 1f, 1f };
        Assert.Equal(double.PositiveInfinity, SaliencyMetrics.KlDivergence(s, g, SaliencyVariant.PaperCode));
        var mit = SaliencyMetrics.KlDivergence(s, g);
        Assert.True(double.IsFinite(mit) && mit > 10, $"MIT KL {mit}");
    }

    [Fact]
    public void AucJudd_HandComputed()
    {
        // Fixation at the top value: TP 1 at FP 0 -> AUC 1. Fixation at the lowest: TP 1 only at FP 1 -> 0.5.
        float[] s = { 0.1f, 0.4f, 0.9f, 0.2f };
        Assert.Equal(1.0, SaliencyMetrics.AucJudd(s, new byte[] { 0, 0, 1, 0 }), 15);
        Assert.Equal(0.5, SaliencyMetrics.AucJudd(s, new byte[] { 1, 0, 0, 0 }), 15);
    }

    [Fact]
    public void Degenerate_NoFixationOrConstantMap_IsNaN()
    {
        float[] s = { 0.1f, 0.4f, 0.9f };
        Assert.True(double.IsNaN(SaliencyMetrics.Nss(s, new byte[3])));
        Assert.True(double.IsNaN(SaliencyMetrics.AucJudd(s, new byte[3])));
        Assert.True(double.IsNaN(SaliencyMetrics.AucJudd(new[] { 1f, 1f, 1f }, new byte[] { 1, 0, 0 })));
        Assert.True(double.IsNaN(SaliencyMetrics.CorrelationCoefficient(new[] { 1f, 1f, 1f }, s)));
    }

    [Fact]
    public void BadInput_NegativeOrNaNPixel_NamesIndex()
    {
        var ex = Assert.Throws<MetricException>(() => SaliencyMetrics.KlDivergence(new[] { 0.1f, -0.2f }, new[] { 0.5f, 0.5f }));
        Assert.Equal("saliency", ex.ParamName);
        Assert.Equal(1, ex.Index);
        ex = Assert.Throws<MetricException>(() => SaliencyMetrics.CorrelationCoefficient(new[] { 0.1f, 0.2f }, new[] { float.NaN, 0.5f }));
        Assert.Equal("density", ex.ParamName);
        Assert.Equal(0, ex.Index);
        Assert.Throws<MetricException>(() => SaliencyMetrics.Nss(new[] { 0.1f, 0.2f }, new byte[3]));
    }

    [Fact]
    public void AucJudd_Jitter_IsSeededAndClose()
    {
        var rng = new Random(1);
        var s = Enumerable.Range(0, 400).Select(_ => (float)Math.Round(rng.NextDouble(), 1)).ToArray();
        var f = Enumerable.Range(0, 400).Select(i => i % 17 == 0 ? (byte)1 : (byte)0).ToArray();
        var a = SaliencyMetrics.AucJudd(s, f, jitterSeed: 7);
        Assert.Equal(a, SaliencyMetrics.AucJudd(s, f, jitterSeed: 7));
        Assert.NotEqual(a, SaliencyMetrics.AucJudd(s, f, jitterSeed: 8));
        Assert.InRange(Math.Abs(SaliencyMetrics.AucJudd(s, f) - a), 0.0, 0.1); // only tie order changes
    }

    [Fact]
    public void Properties_CcSymmetricAndBounded_SimBounded_KlNonNegative()
    {
        var gen = from n in Gen.Choose(2, 100)
                  from seed in Gen.Choose(0, 1_000_000)
                  select (n, seed);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var rng = new Random(t.seed);
            var a = Enumerable.Range(0, t.n).Select(_ => (float)rng.NextDouble()).ToArray();
            var b = Enumerable.Range(0, t.n).Select(_ => (float)rng.NextDouble()).ToArray();
            var cc = SaliencyMetrics.CorrelationCoefficient(a, b);
            Assert.Equal(cc, SaliencyMetrics.CorrelationCoefficient(b, a), 12);
            Assert.InRange(cc, -1.0, 1.0);
            Assert.InRange(SaliencyMetrics.Similarity(a, b), 0.0, 1.0 + 1e-12);
            Assert.True(SaliencyMetrics.KlDivergence(a, b, SaliencyVariant.PaperCode) >= -1e-12);
        }).QuickCheckThrowOnFailure();
    }
}
