using Thorax.Data.Loading;

namespace Thorax.Data.Tests.Loading;

public class SamplerTests
{
    [Fact]
    public void WeightedRandomSampler_WithReplacement_FrequenciesFollowWeights()
    {
        var s = new WeightedRandomSampler([1, 0, 3, 6], 20000);
        var idx = s.Indices(0, 11);
        var counts = new int[4];
        foreach (int i in idx) counts[i]++;
        Assert.Equal(0, counts[1]);
        Assert.InRange(counts[0] / 20000.0, 0.09, 0.11);
        Assert.InRange(counts[2] / 20000.0, 0.28, 0.32);
        Assert.InRange(counts[3] / 20000.0, 0.58, 0.62);
        Assert.Equal(idx, s.Indices(0, 11));
        Assert.NotEqual(idx, s.Indices(0, 12));
    }

    [Fact]
    public void WeightedRandomSampler_WithoutReplacement_DistinctAndSkipsZeroWeights()
    {
        var s = new WeightedRandomSampler([1, 0, 2, 5, 1], 4, replacement: false);
        var idx = s.Indices(0, 3);
        Assert.Equal(4, idx.Distinct().Count());
        Assert.DoesNotContain(1, idx);
        Assert.Throws<ArgumentException>(() => new WeightedRandomSampler([1, 0, 2], 3, replacement: false));
        Assert.Throws<ArgumentException>(() => new WeightedRandomSampler([0, 0], 3));
        Assert.Throws<ArgumentException>(() => new WeightedRandomSampler([1, -1], 3));
    }

    [Fact]
    public void ClassBalancedSampler_ImbalancedClasses_DrawnEqually()
    {
        var classes = Enumerable.Range(0, 1000).Select(i => i < 900 ? 0 : i < 990 ? 1 : 2).ToArray();
        var s = new ClassBalancedSampler(classes, 30000);
        var counts = s.Indices(2, 5).GroupBy(i => classes[i]).ToDictionary(g => g.Key, g => g.Count());
        foreach (int c in new[] { 0, 1, 2 }) Assert.InRange(counts[c] / 30000.0, 0.31, 0.356);
        Assert.Equal(1.0 / 900, s.Weights[0], 12);
    }

    [Fact]
    public void SlidingRateSampler_EpochHasAllPositivesAndScheduledNegatives()
    {
        var positive = Enumerable.Range(0, 100).Select(i => i % 5 == 0).ToArray(); // 20 positives, 80 negatives
        var s = new SlidingRateSampler(positive, SlidingRateSampler.Steps([0, 2, 4], [0.8, 0.6, 0.4]));
        // int(20 * (1 - .8) / .8) = int(4.9999999999999991) = 4, as in Python
        foreach (var (epoch, negatives) in new[] { (0, 4), (1, 4), (2, 13), (3, 13), (4, 30), (9, 30) })
        {
            var idx = s.Indices(epoch, SeedSequence.Epoch(1, epoch));
            Assert.Equal(20 + negatives, idx.Length);
            Assert.Equal(negatives, s.NegativeCount(epoch));
            Assert.Equal(20, idx.Count(i => positive[i]));
            Assert.Equal(Enumerable.Range(0, 20).Select(i => i * 5), idx.Where(i => positive[i]).Order());
        }
    }

    [Fact]
    public void SlidingRateSampler_LinearSchedule_EndpointsAndClamp()
    {
        var f = SlidingRateSampler.Linear(0.8, 0.4, 5);
        Assert.Equal(0.8, f(0), 12);
        Assert.Equal(0.6, f(2), 12);
        Assert.Equal(0.4, f(4), 12);
        Assert.Equal(0.4, f(50), 12);
    }

    [Fact]
    public void RandomSampler_IsPermutationAndSeeded()
    {
        var s = new RandomSampler(50);
        var a = s.Indices(0, 99);
        Assert.Equal(Enumerable.Range(0, 50), a.Order());
        Assert.Equal(a, s.Indices(0, 99));
        Assert.NotEqual(a, s.Indices(0, 98));
    }
}
