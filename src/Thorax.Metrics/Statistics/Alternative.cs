namespace Thorax.Metrics;

/// <summary>Alternative hypothesis of a test on a mean difference (scipy <c>alternative=</c>).</summary>
public enum Alternative
{
    /// <summary>The mean difference is not zero (default).</summary>
    TwoSided,

    /// <summary>The mean of the first sample minus the second is less than zero.</summary>
    Less,

    /// <summary>The mean of the first sample minus the second is greater than zero.</summary>
    Greater,
}
