namespace Thorax.Metrics;

/// <summary>One class's row of a <see cref="ClassificationReport"/>.</summary>
/// <param name="Class">Class name (the <c>p_&lt;class&gt;</c> suffix, or "0"/"1" for a binary <c>p</c> column).</param>
/// <param name="Precision">Precision in [0, 1] (0 when never predicted).</param>
/// <param name="Recall">Recall in [0, 1] (0 when the class has no sample).</param>
/// <param name="F1">F1 in [0, 1].</param>
/// <param name="Support">Number of samples whose label is this class.</param>
/// <param name="RocAuc">One-vs-rest ROC AUC, or <c>null</c> when undefined (the class is absent or is every sample).</param>
/// <param name="AveragePrecision">One-vs-rest average precision, or <c>null</c> when undefined.</param>
public sealed record ClassReportRow(string Class, double Precision, double Recall, double F1, long Support,
    double? RocAuc, double? AveragePrecision);
