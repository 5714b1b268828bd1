namespace Thorax.Metrics.Tests;

public class CumulativeMetricTests
{
    [Fact]
    public void Reduce_AllReductions_IgnoreNaN()
    {
        double[] v = { 1, double.NaN, 2, 4, 3 };
        Assert.Equal(2.5, CumulativeMetric.Reduce(v, MetricReduction.Mean));
        Assert.Equal(10, CumulativeMetric.Reduce(v, MetricReduction.Sum));
        Assert.Equal(2.5, CumulativeMetric.Reduce(v, MetricReduction.Median));
        Assert.Equal(Math.Sqrt(1.25), CumulativeMetric.Reduce(v, MetricReduction.Std), 15);
        Assert.Equal(3, CumulativeMetric.Reduce(new[] { 5.0, 1, 3 }, MetricReduction.Median));
    }

    [Fact]
    public void Reduce_OnlyNaN_IsNaN()
    {
        Assert.True(double.IsNaN(CumulativeMetric.Reduce(new[] { double.NaN }, MetricReduction.Mean)));
        Assert.True(double.IsNaN(CumulativeMetric.Reduce(Array.Empty<double>(), MetricReduction.Sum)));
    }

    [Fact]
    public void MetricBuffer_AddAggregateReset()
    {
        var b = new MetricBuffer(MetricReduction.Median);
        b.Add(3);
        b.Add(double.NaN);
        b.Add(1);
        b.Add(2);
        Assert.Equal(4, b.Count);
        Assert.Equal(3, b.NotNanCount);
        Assert.Equal(2, b.Aggregate());
        Assert.Equal(2, b.Aggregate(MetricReduction.Mean));
        var ex = Assert.Throws<MetricException>(() => b.Add(double.PositiveInfinity));
        Assert.Equal(4, ex.Index);
        b.Reset();
        Assert.Empty(b.Values);
    }
}
