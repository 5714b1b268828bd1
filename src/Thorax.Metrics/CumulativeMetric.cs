namespace Thorax.Metrics;

/// <summary>
/// Base of the per-item cumulative metrics: call <c>Update</c> once per image/case, <see cref="Aggregate()"/> at
/// the end of an epoch or evaluation, then <see cref="Reset"/>. The buffer holds one double per recorded item.
/// </summary>
/// <remarks>
/// NaN policy: an item whose value is NaN (for example an empty/empty mask pair under
/// <see cref="EmptyMaskPolicy.NaN"/>) is kept in <see cref="Values"/> but excluded from every reduction;
/// <see cref="NotNanCount"/> says how many items were reduced. With no finite items the aggregate is NaN.
/// MONAI: <c>Cumulative</c> / <c>CumulativeIterationMetric</c> with <c>get_not_nans</c>.
/// Instances are not thread-safe.
/// </remarks>
public abstract class CumulativeMetric
{
    private readonly List<double> _values = new();

    /// <summary>Creates the metric with the default reduction used by <see cref="Aggregate()"/>.</summary>
    protected CumulativeMetric(MetricReduction reduction)
    {
        Reduction = reduction;
    }

    /// <summary>The reduction used by <see cref="Aggregate()"/>.</summary>
    public MetricReduction Reduction { get; }

    /// <summary>Per-item values in update order (NaN items included).</summary>
    public IReadOnlyList<double> Values => _values;

    /// <summary>Number of recorded items (NaN items included).</summary>
    public int Count => _values.Count;

    /// <summary>Number of recorded items that are not NaN.</summary>
    public int NotNanCount
    {
        get
        {
            var n = 0;
            foreach (var v in _values)
            {
                if (!double.IsNaN(v))
                {
                    n++;
                }
            }

            return n;
        }
    }

    /// <summary>Reduces the buffer with <see cref="Reduction"/>.</summary>
    public double Aggregate() => Aggregate(Reduction);

    /// <summary>Reduces the buffer with the given reduction (NaN items excluded).</summary>
    public double Aggregate(MetricReduction reduction) => Reduce(_values, reduction);

    /// <summary>Clears the buffer.</summary>
    public virtual void Reset() => _values.Clear();

    /// <summary>Appends one item value (NaN allowed, meaning "recorded but not scored").</summary>
    protected void Append(double value) => _values.Add(value);

    /// <summary>
    /// Reduces <paramref name="values"/> ignoring NaN entries; returns NaN when none is finite.
    /// </summary>
    /// <param name="values">Per-item values.</param>
    /// <param name="reduction">Reduction to apply.</param>
    public static double Reduce(IEnumerable<double> values, MetricReduction reduction)
    {
        ArgumentNullException.ThrowIfNull(values);
        var kept = new List<double>();
        foreach (var v in values)
        {
            if (!double.IsNaN(v))
            {
                kept.Add(v);
            }
        }

        if (kept.Count == 0)
        {
            return double.NaN;
        }

        switch (reduction)
        {
            case MetricReduction.Sum:
                return Sum(kept);
            case MetricReduction.Mean:
                return Sum(kept) / kept.Count;
            case MetricReduction.Median:
                kept.Sort();
                var mid = kept.Count / 2;
                return kept.Count % 2 == 1 ? kept[mid] : 0.5 * (kept[mid - 1] + kept[mid]);
            case MetricReduction.Std:
                var mean = Sum(kept) / kept.Count;
                var ss = 0.0;
                foreach (var v in kept)
                {
                    ss += (v - mean) * (v - mean);
                }

                return Math.Sqrt(ss / kept.Count);
            default:
                throw new MetricException($"Unknown reduction {reduction}.", nameof(reduction));
        }
    }

    private static double Sum(List<double> values)
    {
        var s = 0.0;
        foreach (var v in values)
        {
            s += v;
        }

        return s;
    }
}
