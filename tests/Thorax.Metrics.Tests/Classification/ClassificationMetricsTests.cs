using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;

namespace Thorax.Metrics.Tests.Classification;

public class ClassificationMetricsTests
{
    private static readonly JsonElement Data = Golden.Load("classification.json");

    public static IEnumerable<object[]> BinaryCases() => Data.Items("binary").Select(c => new object[] { c.Name() });

    public static IEnumerable<object[]> MultiCases() => Data.Items("multiclass").Select(c => new object[] { c.Name() });

    private static JsonElement Case(string group, string name) => Data.Items(group).First(c => c.Name() == name);

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void LabelMetrics_BinaryGolden_MatchSklearn(string name)
    {
        var c = Case("binary", name);
        var cm = ConfusionMatrix.Compute(c.Ints("labels"), c.Ints("pred"), 2);
        var expectedCm = c.Ints("confusion");
        Assert.Equal(expectedCm, new[] { cm[0, 0], cm[0, 1], cm[1, 0], cm[1, 1] }.Select(v => (int)v).ToArray());
        Golden.Close(c.D("accuracy"), ClassificationMetrics.Accuracy(cm), what: "accuracy");
        Golden.Close(c.D("balanced_accuracy"), ClassificationMetrics.BalancedAccuracy(cm), what: "balanced");
        Golden.Close(c.D("precision"), ClassificationMetrics.Precision(cm), what: "precision");
        Golden.Close(c.D("recall"), ClassificationMetrics.Recall(cm), what: "recall");
        Golden.Close(c.D("f1"), ClassificationMetrics.F1(cm), what: "f1");
        Golden.Close(c.D("f2"), ClassificationMetrics.FBeta(cm, 2.0), what: "f2");
        Golden.Close(c.D("mcc"), ClassificationMetrics.Mcc(cm), what: "mcc");
    }

    [Theory]
    [MemberData(nameof(MultiCases))]
    public void LabelMetrics_MulticlassGolden_MatchSklearn(string name)
    {
        var c = Case("multiclass", name);
        var k = c.GetProperty("k").GetInt32();
        var yTrue = c.Ints("labels");
        var yPred = c.Ints("pred");
        var cm = ConfusionMatrix.Compute(yTrue, yPred, k);
        var flat = new List<int>();
        for (var r = 0; r < k; r++)
        {
            for (var p = 0; p < k; p++)
            {
                flat.Add((int)cm[r, p]);
            }
        }

        Assert.Equal(c.Ints("confusion"), flat.ToArray());
        Golden.Close(c.D("accuracy"), ClassificationMetrics.Accuracy(yTrue, yPred, k), what: "accuracy");
        Golden.Close(c.D("balanced_accuracy"), ClassificationMetrics.BalancedAccuracy(cm), what: "balanced");
        Golden.Close(c.D("mcc"), ClassificationMetrics.Mcc(cm), what: "mcc");
        foreach (var (avg, key) in new[] { (AverageMethod.Macro, "macro"), (AverageMethod.Weighted, "weighted"), (AverageMethod.Micro, "micro") })
        {
            Golden.Close(c.D($"precision_{key}"), ClassificationMetrics.Precision(cm, avg), what: $"precision_{key}");
            Golden.Close(c.D($"recall_{key}"), ClassificationMetrics.Recall(cm, avg), what: $"recall_{key}");
            Golden.Close(c.D($"f1_{key}"), ClassificationMetrics.F1(cm, avg), what: $"f1_{key}");
            Golden.Close(c.D($"f2_{key}"), ClassificationMetrics.FBeta(cm, 2.0, avg), what: $"f2_{key}");
        }

        var per = ClassificationMetrics.PerClass(cm);
        Golden.AllClose(c.Doubles("precision_per_class"), per.Precision, what: "precision per class");
        Golden.AllClose(c.Doubles("recall_per_class"), per.Recall, what: "recall per class");
        Golden.AllClose(c.Doubles("f1_per_class"), per.FBeta, what: "f1 per class");
        Assert.Equal(c.Ints("support").Select(v => (long)v), per.Support);
    }

    [Fact]
    public void Precision_ClassNeverPredicted_IsZero()
    {
        // Class 1 is never predicted: precision 0/0 -> 0 (sklearn zero_division default); recall 0.
        int[] yTrue = { 0, 1, 1, 0 };
        int[] yPred = { 0, 0, 0, 0 };
        Assert.Equal(0.0, ClassificationMetrics.Precision(yTrue, yPred, 2));
        Assert.Equal(0.0, ClassificationMetrics.Recall(yTrue, yPred, 2));
        Assert.Equal(0.0, ClassificationMetrics.F1(yTrue, yPred, 2));
        Assert.Equal(0.0, ClassificationMetrics.Mcc(yTrue, yPred, 2));
        Assert.Equal(0.5, ClassificationMetrics.Accuracy(yTrue, yPred, 2));
    }

    [Fact]
    public void Macro_ClassAbsentEverywhere_IsLeftOut()
    {
        // K = 3 but class 2 is neither true nor predicted: sklearn's default label set ignores it.
        int[] yTrue = { 0, 1, 1, 0 };
        int[] yPred = { 0, 1, 0, 0 };
        var p0 = 2.0 / 3;
        var p1 = 1.0;
        Assert.Equal((p0 + p1) / 2, ClassificationMetrics.Precision(yTrue, yPred, 3, AverageMethod.Macro), 12);
    }

    [Fact]
    public void Mcc_PerfectAndInverted_AreOneAndMinusOne()
    {
        int[] y = { 0, 1, 0, 1, 1 };
        int[] inv = { 1, 0, 1, 0, 0 };
        Assert.Equal(1.0, ClassificationMetrics.Mcc(y, y, 2), 12);
        Assert.Equal(-1.0, ClassificationMetrics.Mcc(y, inv, 2), 12);
    }

    [Fact]
    public void Binary_OnThreeClasses_Throws()
    {
        var ex = Assert.Throws<MetricException>(() => ClassificationMetrics.F1(new[] { 0, 1, 2 }, new[] { 0, 1, 2 }, 3));
        Assert.Equal("average", ex.ParamName);
    }

    [Fact]
    public void Compute_LabelOutsideClassList_NamesArgumentAndIndex()
    {
        var ex = Assert.Throws<MetricException>(() => ConfusionMatrix.Compute(new[] { 0, 1, 3, 1 }, new[] { 0, 1, 1, 1 }, 3));
        Assert.Equal("yTrue", ex.ParamName);
        Assert.Equal(2, ex.Index);
        Assert.Contains("yTrue[2]", ex.Message);
        Assert.IsAssignableFrom<ArgumentException>(ex);
    }

    [Fact]
    public void Compute_LengthMismatch_Throws()
    {
        var ex = Assert.Throws<MetricException>(() => ConfusionMatrix.Compute(new[] { 0, 1 }, new[] { 0 }, 2));
        Assert.Contains("Length mismatch", ex.Message);
    }

    [Fact]
    public void FromCounts_KnownMatrix_ClosedFormValues()
    {
        var counts = new long[,] { { 5, 1 }, { 2, 7 } };
        var cm = ConfusionMatrix.FromCounts(counts);
        Assert.Equal(counts, cm.ToArray());
        Assert.Equal(15, cm.Total);
        Assert.Equal(12, cm.Correct);
        // tp = 7, tn = 5, fp = 1, fn = 2: MCC = (7*5 - 1*2) / sqrt(8 * 9 * 6 * 7).
        Assert.Equal(33 / Math.Sqrt(3024.0), ClassificationMetrics.Mcc(cm), 12);
        Assert.Equal(7.0 / 8, ClassificationMetrics.Precision(cm), 12);
    }

    [Fact]
    public void Properties_MccSymmetricAndBounded()
    {
        var gen = from n in Gen.Choose(2, 60)
                  from k in Gen.Choose(2, 5)
                  from seed in Gen.Choose(0, 1_000_000)
                  select (n, k, seed);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var rng = new Random(t.seed);
            var a = Enumerable.Range(0, t.n).Select(_ => rng.Next(t.k)).ToArray();
            var b = Enumerable.Range(0, t.n).Select(_ => rng.Next(t.k)).ToArray();
            var ab = ClassificationMetrics.Mcc(a, b, t.k);
            var ba = ClassificationMetrics.Mcc(b, a, t.k);
            Assert.Equal(ab, ba, 12);
            Assert.InRange(ab, -1.0 - 1e-12, 1.0 + 1e-12);
            foreach (var avg in new[] { AverageMethod.Macro, AverageMethod.Weighted, AverageMethod.Micro })
            {
                Assert.InRange(ClassificationMetrics.F1(a, b, t.k, avg), 0.0, 1.0);
            }

            Assert.InRange(ClassificationMetrics.BalancedAccuracy(a, b, t.k), 0.0, 1.0);
        }).QuickCheckThrowOnFailure();
    }
}
