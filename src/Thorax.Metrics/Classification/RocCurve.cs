namespace Thorax.Metrics;

/// <summary>
/// ROC curve points, as sklearn <c>roc_curve</c>: the first point is (0, 0) at threshold +∞, then one point per
/// kept distinct score in descending order; the last point is (1, 1). A sample is predicted positive when
/// score &gt;= threshold.
/// </summary>
/// <param name="Fpr">False positive rates, non-decreasing, in [0, 1].</param>
/// <param name="Tpr">True positive rates, non-decreasing, in [0, 1].</param>
/// <param name="Thresholds">Thresholds, strictly decreasing; <c>Thresholds[0]</c> is +∞ (sklearn &lt; 1.3 wrote max+1 there).</param>
public sealed record RocCurve(double[] Fpr, double[] Tpr, double[] Thresholds)
{
    /// <summary>Number of points.</summary>
    public int Count => Fpr.Length;
}
