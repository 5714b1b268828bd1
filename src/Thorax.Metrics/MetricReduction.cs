namespace Thorax.Metrics;

/// <summary>
/// How a cumulative metric reduces its per-item values (one per image or per case) to one number.
/// NaN items are excluded from every reduction (MONAI's <c>nanmean</c> behaviour) and counted separately;
/// a buffer with no finite item reduces to NaN.
/// </summary>
/// <remarks>MONAI: <c>monai.utils.enums.MetricReduction</c> (the batch/channel variants do not apply to flat buffers).</remarks>
public enum MetricReduction
{
    /// <summary>Arithmetic mean of the non-NaN values.</summary>
    Mean,

    /// <summary>Sum of the non-NaN values.</summary>
    Sum,

    /// <summary>Median of the non-NaN values (mean of the two middle values for an even count, as numpy).</summary>
    Median,

    /// <summary>Population standard deviation (divisor N, numpy <c>np.std</c>) of the non-NaN values.</summary>
    Std,
}
