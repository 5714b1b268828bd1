using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;

namespace Thorax.Metrics.Tests.Segmentation;

public class SegmentationMetricsTests
{
    private static readonly JsonElement Data = Golden.Load("segmentation.json");

    private static IEnumerable<(string Id, BinaryMask Pred, BinaryMask Truth, JsonElement E)> Images()
    {
        var w = Data.GetProperty("width").GetInt32();
        var h = Data.GetProperty("height").GetInt32();
        return Data.Items("images").Select(e => (e.GetProperty("id").GetString()!,
            new BinaryMask(e.Bytes("pred"), w, h), new BinaryMask(e.Bytes("truth"), w, h), e)).ToList();
    }

    [Fact]
    public void Scores_GoldenImages_MatchSklearn()
    {
        foreach (var (id, pred, truth, e) in Images())
        {
            var counts = PixelCounts.Count(pred, truth);
            Assert.Equal(e.GetProperty("tp").GetInt64(), counts.TruePositive);
            Assert.Equal(e.GetProperty("fp").GetInt64(), counts.FalsePositive);
            Assert.Equal(e.GetProperty("fn").GetInt64(), counts.FalseNegative);
            Assert.Equal(e.GetProperty("tn").GetInt64(), counts.TrueNegative);
            Assert.Equal(e.GetProperty("both_empty").GetBoolean(), counts.BothEmpty);
            if (counts.BothEmpty)
            {
                Assert.Equal(1.0, SegmentationMetrics.Dice(counts));
                Assert.True(double.IsNaN(SegmentationMetrics.Dice(counts, EmptyMaskPolicy.NaN)));
                Assert.True(double.IsNaN(SegmentationMetrics.IoU(counts, EmptyMaskPolicy.Skip)));
                continue;
            }

            Golden.Close(e.D("dice"), SegmentationMetrics.Dice(counts), what: id + " dice");
            Golden.Close(e.D("dice"), SegmentationMetrics.Score(counts, SegmentationScore.F1), what: id + " f1");
            Golden.Close(e.D("iou"), SegmentationMetrics.IoU(counts), what: id + " iou");
            Golden.Close(e.D("precision"), SegmentationMetrics.Precision(counts), what: id + " precision");
            Golden.Close(e.D("recall"), SegmentationMetrics.Recall(counts), what: id + " recall");
            Golden.Close(e.D("f2"), SegmentationMetrics.Score(counts, SegmentationScore.F2), what: id + " f2");
            Golden.Close(e.D("dice"), SegmentationMetrics.Dice(pred.Data.Span, truth.Data.Span), what: id + " span dice");
        }
    }

    [Fact]
    public void KaggleMeanDice_GoldenSet_MatchesAndSkipPolicyDiffers()
    {
        var pairs = Images().Select(i => (i.Pred, i.Truth)).ToList();
        Golden.Close(Data.D("kaggle_mean_dice"), SegmentationMetrics.KaggleMeanDice(pairs), what: "kaggle");
        Golden.Close(Data.D("skip_mean_dice"), SegmentationMetrics.MeanScore(pairs, SegmentationScore.Dice, EmptyMaskPolicy.Skip), what: "skip");
        Golden.Close(Data.D("skip_mean_dice"), SegmentationMetrics.MeanScore(pairs, SegmentationScore.Dice, EmptyMaskPolicy.NaN), what: "nan");
    }

    [Fact]
    public void SegmentationMetric_Policies_RecordAsDocumented()
    {
        byte[] empty = { 0, 0, 0, 0 };
        byte[] half = { 1, 1, 0, 0 };
        foreach (var (policy, count, notNan, mean) in new[]
                 {
                     (EmptyMaskPolicy.One, 3, 3, (1.0 + 1.0 + 0.0) / 3),
                     (EmptyMaskPolicy.NaN, 3, 2, 0.5),
                     (EmptyMaskPolicy.Skip, 2, 2, 0.5),
                 })
        {
            var m = new SegmentationMetric(SegmentationScore.Dice, policy);
            m.Update(empty, empty);
            m.Update(half, half);
            m.Update(empty, half);
            Assert.Equal(count, m.Count);
            Assert.Equal(notNan, m.NotNanCount);
            Assert.Equal(mean, m.Aggregate(), 12);
            Assert.Equal(new PixelCounts(2, 0, 2, 8), m.PooledCounts);
            m.Reset();
            Assert.Equal(0, m.Count);
            Assert.Equal(default, m.PooledCounts);
        }
    }

    [Fact]
    public void Dice_HandComputed()
    {
        // pred {0,1,2}, truth {1,2,3}: tp 2, fp 1, fn 1 -> Dice 4/6, IoU 2/4, F2 = 10/(10+4+1).
        byte[] p = { 255, 255, 255, 0, 0, 0 };
        byte[] t = { 0, 1, 1, 1, 0, 0 };
        var c = PixelCounts.Count(p, t);
        Assert.Equal(new PixelCounts(2, 1, 1, 2), c);
        Assert.Equal(2.0 / 3, SegmentationMetrics.Dice(c), 15);
        Assert.Equal(0.5, SegmentationMetrics.IoU(c), 15);
        Assert.Equal(10.0 / 15, SegmentationMetrics.FBeta(c, 2.0), 15);
        bool[] pb = { true, true, true, false, false, false };
        bool[] tb = { false, true, true, true, false, false };
        Assert.Equal(c, PixelCounts.Count(pb, tb));
        Assert.Equal(c, PixelCounts.Count(BinaryMask.FromBools(pb, 3, 2), BinaryMask.FromBools(tb, 3, 2)));
    }

    [Fact]
    public void OneSideEmpty_ScoresZeroUnderEveryPolicy()
    {
        byte[] empty = { 0, 0, 0 };
        byte[] some = { 0, 1, 0 };
        foreach (var policy in Enum.GetValues<EmptyMaskPolicy>())
        {
            Assert.Equal(0.0, SegmentationMetrics.Dice(empty, some, policy));
            Assert.Equal(0.0, SegmentationMetrics.Dice(some, empty, policy));
            Assert.Equal(0.0, SegmentationMetrics.Precision(PixelCounts.Count(empty, some), policy));
            Assert.Equal(0.0, SegmentationMetrics.Recall(PixelCounts.Count(some, empty), policy));
        }
    }

    [Fact]
    public void BadInput_Throws()
    {
        Assert.Throws<MetricException>(() => SegmentationMetrics.Dice(new byte[3], new byte[4]));
        Assert.Throws<MetricException>(() => new BinaryMask(new byte[5], 2, 2));
        var ex = Assert.Throws<MetricException>(() => PixelCounts.Count(new BinaryMask(new byte[4], 2, 2), new BinaryMask(new byte[4], 4, 1)));
        Assert.Contains("size mismatch", ex.Message);
        Assert.Throws<MetricException>(() => SegmentationMetrics.FBeta(new PixelCounts(1, 0, 0, 0), 0));
    }

    [Fact]
    public void Properties_DiceSymmetricBoundedAndAboveIoU()
    {
        var gen = from n in Gen.Choose(1, 200)
                  from seed in Gen.Choose(0, 1_000_000)
                  select (n, seed);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var rng = new Random(t.seed);
            var density = rng.NextDouble();
            var a = Enumerable.Range(0, t.n).Select(_ => rng.NextDouble() < density ? (byte)1 : (byte)0).ToArray();
            var b = Enumerable.Range(0, t.n).Select(_ => rng.NextDouble() < density ? (byte)255 : (byte)0).ToArray();
            var ab = SegmentationMetrics.Dice(a, b);
            Assert.Equal(ab, SegmentationMetrics.Dice(b, a), 15);
            Assert.InRange(ab, 0.0, 1.0);
            var iou = SegmentationMetrics.IoU(a, b);
            Assert.True(ab >= iou - 1e-15);
            Assert.Equal(2 * iou / (1 + iou), ab, 12); // Dice = 2J/(1+J)
            Assert.Equal(1.0, SegmentationMetrics.Dice(a, a));
        }).QuickCheckThrowOnFailure();
    }
}
