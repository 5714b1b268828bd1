using Thorax.Metrics.Internal;

namespace Thorax.Metrics;

/// <summary>
/// Paired (related-samples) t-test, equal to scipy <c>stats.ttest_rel(a, b, alternative=...)</c>; used to compare
/// per-image metric lists of two models on the same images.
/// </summary>
public static class PairedTTest
{
    /// <summary>Tests whether mean(a − b) differs from 0.</summary>
    /// <param name="a">First sample (e.g. model A's per-image scores), finite.</param>
    /// <param name="b">Second sample, same length and pairing, finite.</param>
    /// <param name="alternative">Two-sided (default), Less (mean(a − b) &lt; 0) or Greater.</param>
    /// <exception cref="MetricException">Fewer than 2 pairs, a length mismatch, or a non-finite value.</exception>
    /// <remarks>
    /// The seed paper's one-sided p (p/2 when the sign favours the model) equals <see cref="Alternative.Less"/> or
    /// <see cref="Alternative.Greater"/> in that case.
    /// </remarks>
    public static TTestResult Compute(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Alternative alternative = Alternative.TwoSided)
    {
        Guard.SameLength(a.Length, b.Length, nameof(a), nameof(b));
        Guard.Finite(a, nameof(a));
        Guard.Finite(b, nameof(b));
        var n = a.Length;
        if (n < 2)
        {
            throw new MetricException($"A paired t-test needs at least 2 pairs, got {n}.", nameof(a));
        }

        double mean = 0;
        for (var i = 0; i < n; i++)
        {
            mean += a[i] - b[i];
        }

        mean /= n;
        double ss = 0;
        for (var i = 0; i < n; i++)
        {
            var d = a[i] - b[i] - mean;
            ss += d * d;
        }

        var se = Math.Sqrt(ss / (n - 1) / n);
        var df = n - 1;
        double t = se > 0 ? mean / se : mean == 0 ? double.NaN : Math.CopySign(double.PositiveInfinity, mean);
        var p = double.IsNaN(t) ? double.NaN : alternative switch
        {
            Alternative.TwoSided => Math.Min(1.0, 2 * StudentT.Sf(Math.Abs(t), df)),
            Alternative.Less => StudentT.Cdf(t, df),
            Alternative.Greater => StudentT.Sf(t, df),
            _ => throw new MetricException($"Unknown alternative {alternative}.", nameof(alternative)),
        };
        return new TTestResult(t, df, p, mean, alternative);
    }
}
