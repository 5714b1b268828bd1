using Thorax.Metrics.Internal;

namespace Thorax.Metrics;

/// <summary>
/// Label-based classification metrics (accuracy, balanced accuracy, precision, recall, F-beta, MCC) on class
/// indices 0..K-1, equal to sklearn's with its default <c>zero_division="warn"</c> outcome.
/// </summary>
/// <remarks>
/// Zero division: a precision with no predicted sample, a recall with no true sample, or an F-beta with
/// precision + recall = 0 is 0.0 (sklearn's default, which also emits a warning). MCC is 0.0 when either
/// marginal is constant (sklearn). For binary problems the positive class is index 1.
/// Every overload taking spans builds a <see cref="ConfusionMatrix"/> first and validates labels
/// (a label outside 0..K-1 throws a <see cref="MetricException"/> naming the argument and index).
/// </remarks>
public static class ClassificationMetrics
{
    /// <summary>Fraction of correct predictions, in [0, 1].</summary>
    public static double Accuracy(ConfusionMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        return (double)matrix.Correct / matrix.Total;
    }

    /// <summary>Fraction of correct predictions; labels must lie in 0..<paramref name="numClasses"/>-1.</summary>
    public static double Accuracy(ReadOnlySpan<int> yTrue, ReadOnlySpan<int> yPred, int numClasses)
        => Accuracy(ConfusionMatrix.Compute(yTrue, yPred, numClasses));

    /// <summary>
    /// Balanced accuracy: the mean recall over classes that have at least one true sample
    /// (sklearn <c>balanced_accuracy_score</c>, <c>adjusted=False</c>).
    /// </summary>
    public static double BalancedAccuracy(ConfusionMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        double sum = 0;
        var n = 0;
        for (var c = 0; c < matrix.NumClasses; c++)
        {
            var support = matrix.TrueCount(c);
            if (support > 0)
            {
                sum += (double)matrix[c, c] / support;
                n++;
            }
        }

        return sum / n;
    }

    /// <summary>Balanced accuracy from labels.</summary>
    public static double BalancedAccuracy(ReadOnlySpan<int> yTrue, ReadOnlySpan<int> yPred, int numClasses)
        => BalancedAccuracy(ConfusionMatrix.Compute(yTrue, yPred, numClasses));

    /// <summary>Per-class precision, recall, F-beta and support.</summary>
    /// <param name="matrix">Confusion matrix.</param>
    /// <param name="beta">β &gt; 0 (1 = F1, 2 = F2).</param>
    public static ClassScores PerClass(ConfusionMatrix matrix, double beta = 1.0)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        CheckBeta(beta);
        var k = matrix.NumClasses;
        var precision = new double[k];
        var recall = new double[k];
        var f = new double[k];
        var support = new long[k];
        var b2 = beta * beta;
        for (var c = 0; c < k; c++)
        {
            var tp = (double)matrix[c, c];
            var predicted = matrix.PredictedCount(c);
            support[c] = matrix.TrueCount(c);
            precision[c] = predicted == 0 ? 0.0 : tp / predicted;
            recall[c] = support[c] == 0 ? 0.0 : tp / support[c];
            var denom = b2 * precision[c] + recall[c];
            f[c] = denom == 0 ? 0.0 : (1 + b2) * precision[c] * recall[c] / denom;
        }

        return new ClassScores(precision, recall, f, support, beta);
    }

    /// <summary>Precision averaged per <paramref name="average"/>.</summary>
    /// <exception cref="MetricException"><see cref="AverageMethod.Binary"/> on more than 2 classes.</exception>
    public static double Precision(ConfusionMatrix matrix, AverageMethod average = AverageMethod.Binary)
        => Averaged(matrix, average, 1.0, Which.Precision);

    /// <summary>Precision from labels.</summary>
    public static double Precision(ReadOnlySpan<int> yTrue, ReadOnlySpan<int> yPred, int numClasses, AverageMethod average = AverageMethod.Binary)
        => Precision(ConfusionMatrix.Compute(yTrue, yPred, numClasses), average);

    /// <summary>Recall (sensitivity) averaged per <paramref name="average"/>.</summary>
    public static double Recall(ConfusionMatrix matrix, AverageMethod average = AverageMethod.Binary)
        => Averaged(matrix, average, 1.0, Which.Recall);

    /// <summary>Recall from labels.</summary>
    public static double Recall(ReadOnlySpan<int> yTrue, ReadOnlySpan<int> yPred, int numClasses, AverageMethod average = AverageMethod.Binary)
        => Recall(ConfusionMatrix.Compute(yTrue, yPred, numClasses), average);

    /// <summary>F-beta averaged per <paramref name="average"/> (weighted/macro average the per-class F values).</summary>
    /// <param name="matrix">Confusion matrix.</param>
    /// <param name="beta">β &gt; 0.</param>
    /// <param name="average">Averaging method.</param>
    public static double FBeta(ConfusionMatrix matrix, double beta, AverageMethod average = AverageMethod.Binary)
        => Averaged(matrix, average, beta, Which.F);

    /// <summary>F-beta from labels.</summary>
    public static double FBeta(ReadOnlySpan<int> yTrue, ReadOnlySpan<int> yPred, int numClasses, double beta, AverageMethod average = AverageMethod.Binary)
        => FBeta(ConfusionMatrix.Compute(yTrue, yPred, numClasses), beta, average);

    /// <summary>F1 averaged per <paramref name="average"/>.</summary>
    public static double F1(ConfusionMatrix matrix, AverageMethod average = AverageMethod.Binary)
        => Averaged(matrix, average, 1.0, Which.F);

    /// <summary>F1 from labels.</summary>
    public static double F1(ReadOnlySpan<int> yTrue, ReadOnlySpan<int> yPred, int numClasses, AverageMethod average = AverageMethod.Binary)
        => F1(ConfusionMatrix.Compute(yTrue, yPred, numClasses), average);

    /// <summary>
    /// Matthews correlation coefficient in [-1, 1], binary or multiclass (Gorodkin's R_K, sklearn
    /// <c>matthews_corrcoef</c>); 0 when the true or the predicted labels are constant.
    /// </summary>
    public static double Mcc(ConfusionMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var k = matrix.NumClasses;
        double n = matrix.Total, correct = matrix.Correct;
        double tp = 0, pp = 0, tt = 0;
        for (var c = 0; c < k; c++)
        {
            double t = matrix.TrueCount(c), p = matrix.PredictedCount(c);
            tp += t * p;
            pp += p * p;
            tt += t * t;
        }

        var covYtYp = correct * n - tp;
        var covYpYp = n * n - pp;
        var covYtYt = n * n - tt;
        return covYpYp * covYtYt == 0 ? 0.0 : covYtYp / Math.Sqrt(covYtYt * covYpYp);
    }

    /// <summary>MCC from labels.</summary>
    public static double Mcc(ReadOnlySpan<int> yTrue, ReadOnlySpan<int> yPred, int numClasses)
        => Mcc(ConfusionMatrix.Compute(yTrue, yPred, numClasses));

    private enum Which
    {
        Precision,
        Recall,
        F,
    }

    private static double Averaged(ConfusionMatrix matrix, AverageMethod average, double beta, Which which)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var scores = PerClass(matrix, beta);
        var values = which switch
        {
            Which.Precision => scores.Precision,
            Which.Recall => scores.Recall,
            _ => scores.FBeta,
        };
        switch (average)
        {
            case AverageMethod.Binary:
                if (matrix.NumClasses != 2)
                {
                    throw new MetricException(
                        $"Binary averaging needs 2 classes, the matrix has {matrix.NumClasses}; use Macro, Weighted or Micro.",
                        nameof(average));
                }

                return values[1];
            case AverageMethod.Micro:
                // Single-label: sum TP = trace, sum (TP + FP) = sum (TP + FN) = total, so P = R = F = accuracy.
                return Accuracy(matrix);
            case AverageMethod.Macro:
            {
                double sum = 0;
                var n = 0;
                for (var c = 0; c < matrix.NumClasses; c++)
                {
                    if (scores.Support[c] > 0 || matrix.PredictedCount(c) > 0)
                    {
                        sum += values[c];
                        n++;
                    }
                }

                return sum / n;
            }

            case AverageMethod.Weighted:
            {
                double sum = 0, weight = 0;
                for (var c = 0; c < matrix.NumClasses; c++)
                {
                    sum += values[c] * scores.Support[c];
                    weight += scores.Support[c];
                }

                return sum / weight;
            }

            default:
                throw new MetricException($"Unknown average {average}.", nameof(average));
        }
    }

    private static void CheckBeta(double beta)
    {
        if (!(beta > 0) || !double.IsFinite(beta))
        {
            throw new MetricException($"beta must be positive and finite, got {beta}.", nameof(beta));
        }
    }
}
