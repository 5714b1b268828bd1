using Thorax.Metrics.Internal;

namespace Thorax.Metrics;

/// <summary>
/// Seeded percentile bootstrap: resample the n items with replacement, recompute the statistic, take percentiles.
/// </summary>
/// <remarks>
/// Resampling uses <c>new Random(seed)</c>, whose seeded sequence is fixed across .NET versions, so the same
/// seed gives the same interval everywhere (the numbers differ from numpy's generator). Percentiles use linear
/// interpolation between order statistics (numpy's default <c>np.percentile</c>). Resamples whose statistic is NaN
/// are dropped and counted in <see cref="BootstrapInterval.Discarded"/>.
/// </remarks>
public static class Bootstrap
{
    /// <summary>Percentile interval of an arbitrary statistic.</summary>
    /// <param name="sampleCount">Number of items n &gt;= 2.</param>
    /// <param name="statistic">
    /// Computes the statistic from item indices (length n, values in 0..n-1, repeats allowed); return NaN to
    /// reject a resample. Called once with the identity indices for the estimate.
    /// </param>
    /// <param name="resamples">Number of bootstrap resamples (default 1000).</param>
    /// <param name="confidence">Confidence level in (0, 1) (default 0.95).</param>
    /// <param name="seed">Seed for the resampling generator (default 0).</param>
    /// <exception cref="MetricException">Bad arguments, a NaN estimate, or every resample rejected.</exception>
    public static BootstrapInterval PercentileInterval(int sampleCount, Func<int[], double> statistic,
        int resamples = 1000, double confidence = 0.95, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(statistic);
        if (sampleCount < 2)
        {
            throw new MetricException($"Bootstrap needs at least 2 items, got {sampleCount}.", nameof(sampleCount));
        }

        if (resamples < 1)
        {
            throw new MetricException($"resamples must be >= 1, got {resamples}.", nameof(resamples));
        }

        if (!(confidence > 0 && confidence < 1))
        {
            throw new MetricException($"confidence must be in (0, 1), got {confidence}.", nameof(confidence));
        }

        var indices = new int[sampleCount];
        for (var i = 0; i < sampleCount; i++)
        {
            indices[i] = i;
        }

        var estimate = statistic(indices);
        if (double.IsNaN(estimate))
        {
            throw new MetricException("The statistic is NaN on the original sample.", nameof(statistic));
        }

        var rng = new Random(seed);
        var stats = new List<double>(resamples);
        var discarded = 0;
        for (var r = 0; r < resamples; r++)
        {
            for (var i = 0; i < sampleCount; i++)
            {
                indices[i] = rng.Next(sampleCount);
            }

            var v = statistic(indices);
            if (double.IsNaN(v))
            {
                discarded++;
            }
            else
            {
                stats.Add(v);
            }
        }

        if (stats.Count == 0)
        {
            throw new MetricException($"All {resamples} resamples gave NaN.", nameof(statistic));
        }

        var sorted = stats.ToArray();
        Array.Sort(sorted);
        var alpha = (1 - confidence) / 2;
        return new BootstrapInterval(estimate, PercentileOfSorted(sorted, 100 * alpha),
            PercentileOfSorted(sorted, 100 * (1 - alpha)), confidence, stats.Count, discarded);
    }

    /// <summary>Percentile interval of the mean of <paramref name="values"/>.</summary>
    public static BootstrapInterval MeanInterval(ReadOnlySpan<double> values, int resamples = 1000, double confidence = 0.95, int seed = 0)
    {
        Guard.Finite(values, nameof(values));
        var data = values.ToArray();
        return PercentileInterval(data.Length, idx =>
        {
            double s = 0;
            foreach (var i in idx)
            {
                s += data[i];
            }

            return s / idx.Length;
        }, resamples, confidence, seed);
    }

    /// <summary>
    /// Percentile interval of the binary ROC AUC; resamples containing a single class are dropped (counted in
    /// <see cref="BootstrapInterval.Discarded"/>).
    /// </summary>
    /// <param name="scores">Finite scores.</param>
    /// <param name="labels">0/1 labels, both classes present.</param>
    /// <param name="resamples">Number of resamples.</param>
    /// <param name="confidence">Confidence level in (0, 1).</param>
    /// <param name="seed">Resampling seed.</param>
    public static BootstrapInterval RocAucInterval(ReadOnlySpan<double> scores, ReadOnlySpan<int> labels,
        int resamples = 1000, double confidence = 0.95, int seed = 0)
    {
        _ = RankingMetrics.RocAuc(scores, labels); // validates and rejects single-class input with a clear message
        var s = scores.ToArray();
        var y = labels.ToArray();
        var keys = new double[s.Length];
        var items = new int[s.Length];
        return PercentileInterval(s.Length, idx =>
        {
            var positives = 0;
            for (var i = 0; i < idx.Length; i++)
            {
                keys[i] = s[idx[i]];
                items[i] = y[idx[i]];
                positives += items[i];
            }

            if (positives == 0 || positives == idx.Length)
            {
                return double.NaN;
            }

            return BinaryCurve.FromArrays(keys, items, nameof(labels), true, null).RocAuc();
        }, resamples, confidence, seed);
    }

    /// <summary>
    /// q-th percentile (q in [0, 100]) with linear interpolation between order statistics (numpy default).
    /// </summary>
    /// <param name="values">Finite values (not modified).</param>
    /// <param name="q">Percentile in [0, 100].</param>
    public static double Percentile(ReadOnlySpan<double> values, double q)
    {
        Guard.NotEmpty(values.Length, nameof(values));
        Guard.Finite(values, nameof(values));
        if (!(q >= 0 && q <= 100))
        {
            throw new MetricException($"q must be in [0, 100], got {q}.", nameof(q));
        }

        var sorted = values.ToArray();
        Array.Sort(sorted);
        return PercentileOfSorted(sorted, q);
    }

    private static double PercentileOfSorted(double[] sorted, double q)
    {
        var pos = q / 100 * (sorted.Length - 1);
        var lo = (int)Math.Floor(pos);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        var frac = pos - lo;
        return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
    }
}
