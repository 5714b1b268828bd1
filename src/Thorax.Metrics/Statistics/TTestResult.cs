namespace Thorax.Metrics;

/// <summary>Result of a paired t-test.</summary>
/// <param name="T">t statistic = mean(d) / (sd(d)/√n), d = a − b; ±∞ when all differences are equal and non-zero; NaN when all are zero.</param>
/// <param name="DegreesOfFreedom">n − 1.</param>
/// <param name="PValue">p-value for <paramref name="Alternative"/>; NaN when <paramref name="T"/> is NaN.</param>
/// <param name="MeanDifference">mean(a − b).</param>
/// <param name="Alternative">The alternative hypothesis tested.</param>
public sealed record TTestResult(double T, int DegreesOfFreedom, double PValue, double MeanDifference, Alternative Alternative);
