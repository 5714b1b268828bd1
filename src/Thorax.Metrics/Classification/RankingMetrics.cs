using Thorax.Metrics.Internal;

namespace Thorax.Metrics;

/// <summary>
/// Score-based metrics: ROC AUC (binary, one-vs-rest per class, macro/weighted/micro), average precision,
/// ROC curve points, Youden threshold, sensitivity/specificity at a threshold. Values equal sklearn's
/// (<c>roc_auc_score</c>, <c>average_precision_score</c>, <c>roc_curve</c>) including tied scores.
/// </summary>
/// <remarks>
/// Each call sorts the scores once (O(n log n); 10⁶ scores take well under a second). Labels are 0/1 for binary
/// problems (1 = positive) and class indices 0..K-1 for multiclass problems, whose scores are a row-major
/// n×K matrix (column c = score of class c). Bad input throws <see cref="MetricException"/>: NaN/infinite
/// scores, length mismatches, labels outside the class list, and a single-class problem (AUC undefined; sklearn
/// raises too). Multiclass scores are not required to sum to 1 per row (sklearn requires that in its
/// multiclass mode; the values agree whenever sklearn accepts the input).
/// </remarks>
public static class RankingMetrics
{
    /// <summary>Binary ROC AUC (trapezoidal; ties count one half).</summary>
    /// <param name="scores">Finite scores, higher = more likely positive.</param>
    /// <param name="labels">0/1 labels, same length, both classes present.</param>
    /// <returns>AUC in [0, 1].</returns>
    public static double RocAuc(ReadOnlySpan<double> scores, ReadOnlySpan<int> labels)
        => BinaryCurve.Build(scores, labels, nameof(scores), nameof(labels), true).RocAuc();

    /// <summary>Binary average precision (sklearn <c>average_precision_score</c>: Σ (Rₙ − Rₙ₋₁) Pₙ, no interpolation).</summary>
    /// <param name="scores">Finite scores.</param>
    /// <param name="labels">0/1 labels with at least one positive and one negative.</param>
    /// <returns>AP in [0, 1].</returns>
    public static double AveragePrecision(ReadOnlySpan<double> scores, ReadOnlySpan<int> labels)
        => BinaryCurve.Build(scores, labels, nameof(scores), nameof(labels), true).AveragePrecision();

    /// <summary>ROC curve points (sklearn <c>roc_curve</c>).</summary>
    /// <param name="scores">Finite scores.</param>
    /// <param name="labels">0/1 labels, both classes present.</param>
    /// <param name="dropIntermediate">
    /// Drop points that are collinear on a horizontal or vertical segment (sklearn's default <c>True</c>); the
    /// area is unchanged.
    /// </param>
    public static RocCurve RocCurve(ReadOnlySpan<double> scores, ReadOnlySpan<int> labels, bool dropIntermediate = true)
    {
        var c = BinaryCurve.Build(scores, labels, nameof(scores), nameof(labels), true);
        var keep = new List<int>(c.Length);
        for (var i = 0; i < c.Length; i++)
        {
            if (!dropIntermediate || c.Length <= 2 || i == 0 || i == c.Length - 1)
            {
                keep.Add(i);
                continue;
            }

            // sklearn: keep where the second difference of fps or tps is non-zero.
            var d2Fps = c.Fps[i + 1] - 2 * c.Fps[i] + c.Fps[i - 1];
            var d2Tps = c.Tps[i + 1] - 2 * c.Tps[i] + c.Tps[i - 1];
            if (d2Fps != 0 || d2Tps != 0)
            {
                keep.Add(i);
            }
        }

        var fpr = new double[keep.Count + 1];
        var tpr = new double[keep.Count + 1];
        var thr = new double[keep.Count + 1];
        thr[0] = double.PositiveInfinity;
        for (var j = 0; j < keep.Count; j++)
        {
            var i = keep[j];
            fpr[j + 1] = (double)c.Fps[i] / c.Negatives;
            tpr[j + 1] = (double)c.Tps[i] / c.Positives;
            thr[j + 1] = c.Thresholds[i];
        }

        return new RocCurve(fpr, tpr, thr);
    }

    /// <summary>
    /// Threshold maximising Youden's J = TPR − FPR over the full ROC curve; ties go to the highest threshold
    /// (numpy <c>argmax</c> on sklearn's curve). Returns +∞ when no threshold beats predicting all negative.
    /// </summary>
    /// <param name="scores">Finite scores.</param>
    /// <param name="labels">0/1 labels, both classes present.</param>
    public static ThresholdResult YoudenThreshold(ReadOnlySpan<double> scores, ReadOnlySpan<int> labels)
    {
        var c = BinaryCurve.Build(scores, labels, nameof(scores), nameof(labels), true);
        var best = -1;
        var bestJ = 0.0; // the (0, 0) point at +inf has J = 0
        for (var i = 0; i < c.Length; i++)
        {
            var j = (double)c.Tps[i] / c.Positives - (double)c.Fps[i] / c.Negatives;
            if (j > bestJ)
            {
                bestJ = j;
                best = i;
            }
        }

        if (best < 0)
        {
            return new ThresholdResult(double.PositiveInfinity, 0.0, 1.0, 0, 0, c.Positives, c.Negatives);
        }

        long tp = c.Tps[best], fp = c.Fps[best];
        return new ThresholdResult(c.Thresholds[best], (double)tp / c.Positives, 1.0 - (double)fp / c.Negatives,
            tp, fp, c.Positives - tp, c.Negatives - fp);
    }

    /// <summary>Sensitivity and specificity when predicting positive for score &gt;= <paramref name="threshold"/>.</summary>
    /// <param name="scores">Finite scores.</param>
    /// <param name="labels">0/1 labels (one class may be absent; its rate is then 0, sklearn's zero_division).</param>
    /// <param name="threshold">Decision threshold (not NaN).</param>
    public static ThresholdResult AtThreshold(ReadOnlySpan<double> scores, ReadOnlySpan<int> labels, double threshold)
    {
        Guard.SameLength(scores.Length, labels.Length, nameof(scores), nameof(labels));
        Guard.NotEmpty(scores.Length, nameof(scores));
        Guard.Finite(scores, nameof(scores));
        Guard.BinaryLabels(labels, nameof(labels));
        if (double.IsNaN(threshold))
        {
            throw new MetricException("threshold is NaN.", nameof(threshold));
        }

        long tp = 0, fp = 0, fn = 0, tn = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            var predicted = scores[i] >= threshold;
            if (labels[i] == 1)
            {
                if (predicted) tp++; else fn++;
            }
            else
            {
                if (predicted) fp++; else tn++;
            }
        }

        var sens = tp + fn == 0 ? 0.0 : (double)tp / (tp + fn);
        var spec = tn + fp == 0 ? 0.0 : (double)tn / (tn + fp);
        return new ThresholdResult(threshold, sens, spec, tp, fp, fn, tn);
    }

    /// <summary>One-vs-rest ROC AUC of every class.</summary>
    /// <param name="scores">Row-major n×K scores (column c scores class c).</param>
    /// <param name="labels">Class index per sample, 0..K-1; every class must occur and not be the only one.</param>
    /// <param name="numClasses">K &gt;= 2.</param>
    /// <returns>AUC per class, length K.</returns>
    public static double[] RocAucPerClass(ReadOnlySpan<double> scores, ReadOnlySpan<int> labels, int numClasses)
        => PerClass(scores, labels, numClasses, c => c.RocAuc());

    /// <summary>One-vs-rest average precision of every class.</summary>
    /// <param name="scores">Row-major n×K scores.</param>
    /// <param name="labels">Class index per sample, 0..K-1; every class must occur.</param>
    /// <param name="numClasses">K &gt;= 2.</param>
    /// <returns>AP per class, length K.</returns>
    public static double[] AveragePrecisionPerClass(ReadOnlySpan<double> scores, ReadOnlySpan<int> labels, int numClasses)
        => PerClass(scores, labels, numClasses, c => c.AveragePrecision());

    /// <summary>
    /// Multiclass ROC AUC: <see cref="AverageMethod.Macro"/> = mean of the one-vs-rest AUCs (sklearn
    /// <c>multi_class="ovr", average="macro"</c>), <see cref="AverageMethod.Weighted"/> = support-weighted mean,
    /// <see cref="AverageMethod.Micro"/> = binary AUC of the raveled one-hot labels against the raveled scores.
    /// </summary>
    /// <param name="scores">Row-major n×K scores.</param>
    /// <param name="labels">Class index per sample, 0..K-1.</param>
    /// <param name="numClasses">K &gt;= 2.</param>
    /// <param name="average">Macro, Weighted or Micro (Binary is rejected).</param>
    public static double RocAucMulticlass(ReadOnlySpan<double> scores, ReadOnlySpan<int> labels, int numClasses,
        AverageMethod average = AverageMethod.Macro)
    {
        switch (average)
        {
            case AverageMethod.Macro:
                return Mean(RocAucPerClass(scores, labels, numClasses));
            case AverageMethod.Weighted:
            {
                var auc = RocAucPerClass(scores, labels, numClasses);
                var support = new long[numClasses];
                foreach (var y in labels)
                {
                    support[y]++;
                }

                double sum = 0;
                for (var c = 0; c < numClasses; c++)
                {
                    sum += auc[c] * support[c];
                }

                return sum / labels.Length;
            }

            case AverageMethod.Micro:
            {
                CheckMatrix(scores, labels, numClasses);
                var oneHot = new int[scores.Length];
                for (var i = 0; i < labels.Length; i++)
                {
                    oneHot[i * numClasses + labels[i]] = 1;
                }

                return BinaryCurve.FromArrays(scores.ToArray(), oneHot, nameof(labels), true, "micro average").RocAuc();
            }

            default:
                throw new MetricException("Multiclass ROC AUC supports Macro, Weighted and Micro averaging.", nameof(average));
        }
    }

    /// <summary>Macro average precision: the mean of the one-vs-rest APs.</summary>
    public static double AveragePrecisionMacro(ReadOnlySpan<double> scores, ReadOnlySpan<int> labels, int numClasses)
        => Mean(AveragePrecisionPerClass(scores, labels, numClasses));

    private static double[] PerClass(ReadOnlySpan<double> scores, ReadOnlySpan<int> labels, int numClasses,
        Func<BinaryCurve, double> metric)
    {
        CheckMatrix(scores, labels, numClasses);
        var n = labels.Length;
        var result = new double[numClasses];
        for (var c = 0; c < numClasses; c++)
        {
            var keys = new double[n];
            var items = new int[n];
            for (var i = 0; i < n; i++)
            {
                keys[i] = scores[i * numClasses + c];
                items[i] = labels[i] == c ? 1 : 0;
            }

            result[c] = metric(BinaryCurve.FromArrays(keys, items, nameof(labels), true, $"class {c} one-vs-rest"));
        }

        return result;
    }

    private static void CheckMatrix(ReadOnlySpan<double> scores, ReadOnlySpan<int> labels, int numClasses)
    {
        Guard.NumClasses(numClasses, nameof(numClasses));
        Guard.NotEmpty(labels.Length, nameof(labels));
        if ((long)labels.Length * numClasses != scores.Length)
        {
            throw new MetricException(
                $"Length mismatch: scores has {scores.Length} elements, expected labels ({labels.Length}) x numClasses ({numClasses}).",
                nameof(scores));
        }

        Guard.Finite(scores, nameof(scores));
        Guard.Labels(labels, numClasses, nameof(labels));
    }

    private static double Mean(double[] values)
    {
        double s = 0;
        foreach (var v in values)
        {
            s += v;
        }

        return s / values.Length;
    }
}
