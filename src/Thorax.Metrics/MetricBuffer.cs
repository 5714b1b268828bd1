namespace Thorax.Metrics;

/// <summary>
/// A cumulative buffer for any per-item score computed with a functional metric (e.g. per-image KL, CC or SIM
/// from <see cref="SaliencyMetrics"/>): <see cref="Add"/> per item, then <see cref="CumulativeMetric.Aggregate()"/>
/// with mean, median, sum or population std (the gaze papers report mean, median and np.std).
/// </summary>
/// <remarks>NaN values are recorded and left out of reductions (see <see cref="CumulativeMetric"/>).</remarks>
public sealed class MetricBuffer : CumulativeMetric
{
    /// <summary>Creates an empty buffer.</summary>
    /// <param name="reduction">Default reduction for <see cref="CumulativeMetric.Aggregate()"/>.</param>
    public MetricBuffer(MetricReduction reduction = MetricReduction.Mean)
        : base(reduction)
    {
    }

    /// <summary>Records one item value (NaN allowed; infinities are rejected because they poison every reduction).</summary>
    /// <exception cref="MetricException"><paramref name="value"/> is infinite.</exception>
    public void Add(double value)
    {
        if (double.IsInfinity(value))
        {
            throw new MetricException($"Cannot record an infinite value (item {Count}).", nameof(value), Count);
        }

        Append(value);
    }
}
