namespace Thorax.Metrics;

/// <summary>Precision, recall and F1 under one averaging method.</summary>
/// <param name="Precision">Averaged precision in [0, 1].</param>
/// <param name="Recall">Averaged recall in [0, 1].</param>
/// <param name="F1">Averaged F1 in [0, 1].</param>
public sealed record AveragedScores(double Precision, double Recall, double F1)
{
    internal static AveragedScores From(ConfusionMatrix m, AverageMethod average) => new(
        ClassificationMetrics.Precision(m, average), ClassificationMetrics.Recall(m, average),
        ClassificationMetrics.F1(m, average));
}
