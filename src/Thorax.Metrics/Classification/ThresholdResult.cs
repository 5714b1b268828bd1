namespace Thorax.Metrics;

/// <summary>Binary operating point: counts and rates when predicting positive for score &gt;= <see cref="Threshold"/>.</summary>
/// <param name="Threshold">Decision threshold (may be +∞ for the all-negative point).</param>
/// <param name="Sensitivity">TP / (TP + FN), the true positive rate; 0 when there is no positive sample.</param>
/// <param name="Specificity">TN / (TN + FP), 1 - false positive rate; 0 when there is no negative sample.</param>
/// <param name="TruePositive">Positives at or above the threshold.</param>
/// <param name="FalsePositive">Negatives at or above the threshold.</param>
/// <param name="FalseNegative">Positives below the threshold.</param>
/// <param name="TrueNegative">Negatives below the threshold.</param>
public sealed record ThresholdResult(double Threshold, double Sensitivity, double Specificity,
    long TruePositive, long FalsePositive, long FalseNegative, long TrueNegative)
{
    /// <summary>Youden's J = sensitivity + specificity - 1, in [-1, 1].</summary>
    public double YoudenJ => Sensitivity + Specificity - 1.0;
}
