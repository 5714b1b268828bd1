using Thorax.Metrics.Internal;

namespace Thorax.Metrics;

/// <summary>
/// Functional overlap metrics for binary masks: per image from <see cref="PixelCounts"/> or spans, and averaged
/// over a set of images (Kaggle SIIM-ACR mean Dice).
/// </summary>
/// <remarks>
/// Zero denominators: when both masks are empty every score follows the <see cref="EmptyMaskPolicy"/>
/// (default <see cref="EmptyMaskPolicy.One"/>). Any other zero denominator (precision with an empty prediction
/// but a non-empty truth, recall with an empty truth but a non-empty prediction) gives 0, as sklearn's
/// <c>zero_division</c> default. No smoothing constant is added. MONAI: <c>compute_dice</c>, <c>compute_iou</c>.
/// </remarks>
public static class SegmentationMetrics
{
    /// <summary>Dice = 2TP / (2TP + FP + FN).</summary>
    /// <param name="counts">Pixel counts of one image.</param>
    /// <param name="emptyPolicy">Value when both masks are empty.</param>
    /// <returns>Dice in [0, 1], or NaN per <paramref name="emptyPolicy"/>.</returns>
    public static double Dice(PixelCounts counts, EmptyMaskPolicy emptyPolicy = EmptyMaskPolicy.One)
        => Score(counts, SegmentationScore.Dice, emptyPolicy);

    /// <summary>Dice of two row-major byte masks (non-zero = foreground) of equal length.</summary>
    /// <exception cref="MetricException">Length mismatch.</exception>
    public static double Dice(ReadOnlySpan<byte> prediction, ReadOnlySpan<byte> truth, EmptyMaskPolicy emptyPolicy = EmptyMaskPolicy.One)
        => Score(PixelCounts.Count(prediction, truth), SegmentationScore.Dice, emptyPolicy);

    /// <summary>IoU (Jaccard) = TP / (TP + FP + FN).</summary>
    public static double IoU(PixelCounts counts, EmptyMaskPolicy emptyPolicy = EmptyMaskPolicy.One)
        => Score(counts, SegmentationScore.IoU, emptyPolicy);

    /// <summary>IoU of two row-major byte masks of equal length.</summary>
    /// <exception cref="MetricException">Length mismatch.</exception>
    public static double IoU(ReadOnlySpan<byte> prediction, ReadOnlySpan<byte> truth, EmptyMaskPolicy emptyPolicy = EmptyMaskPolicy.One)
        => Score(PixelCounts.Count(prediction, truth), SegmentationScore.IoU, emptyPolicy);

    /// <summary>Pixel precision = TP / (TP + FP); 0 when the prediction is empty and the truth is not.</summary>
    public static double Precision(PixelCounts counts, EmptyMaskPolicy emptyPolicy = EmptyMaskPolicy.One)
        => Score(counts, SegmentationScore.Precision, emptyPolicy);

    /// <summary>Pixel recall = TP / (TP + FN); 0 when the truth is empty and the prediction is not.</summary>
    public static double Recall(PixelCounts counts, EmptyMaskPolicy emptyPolicy = EmptyMaskPolicy.One)
        => Score(counts, SegmentationScore.Recall, emptyPolicy);

    /// <summary>
    /// F-beta = (1 + β²)TP / ((1 + β²)TP + β²FN + FP). β = 1 is Dice, β = 2 weights recall more.
    /// </summary>
    /// <param name="counts">Pixel counts of one image.</param>
    /// <param name="beta">β &gt; 0.</param>
    /// <param name="emptyPolicy">Value when both masks are empty.</param>
    /// <exception cref="MetricException"><paramref name="beta"/> is not positive and finite.</exception>
    public static double FBeta(PixelCounts counts, double beta, EmptyMaskPolicy emptyPolicy = EmptyMaskPolicy.One)
    {
        if (!(beta > 0) || !double.IsFinite(beta))
        {
            throw new MetricException($"beta must be positive and finite, got {beta}.", nameof(beta));
        }

        if (counts.BothEmpty)
        {
            return EmptyValue(emptyPolicy);
        }

        var b2 = beta * beta;
        var num = (1 + b2) * counts.TruePositive;
        var den = num + b2 * counts.FalseNegative + counts.FalsePositive;
        return den == 0 ? 0.0 : num / den;
    }

    /// <summary>Computes one <see cref="SegmentationScore"/> from pixel counts.</summary>
    /// <param name="counts">Pixel counts of one image (or pooled counts of a set).</param>
    /// <param name="score">Which score.</param>
    /// <param name="emptyPolicy">Value when both masks are empty.</param>
    /// <returns>The score in [0, 1], or NaN per <paramref name="emptyPolicy"/>.</returns>
    public static double Score(PixelCounts counts, SegmentationScore score, EmptyMaskPolicy emptyPolicy = EmptyMaskPolicy.One)
    {
        if (counts.TruePositive < 0 || counts.FalsePositive < 0 || counts.FalseNegative < 0 || counts.TrueNegative < 0)
        {
            throw new MetricException($"Pixel counts must be non-negative, got {counts}.", nameof(counts));
        }

        if (counts.BothEmpty)
        {
            return EmptyValue(emptyPolicy);
        }

        double tp = counts.TruePositive, fp = counts.FalsePositive, fn = counts.FalseNegative;
        return score switch
        {
            SegmentationScore.Dice or SegmentationScore.F1 => 2 * tp / (2 * tp + fp + fn),
            SegmentationScore.IoU => tp / (tp + fp + fn),
            SegmentationScore.Precision => tp + fp == 0 ? 0.0 : tp / (tp + fp),
            SegmentationScore.Recall => tp + fn == 0 ? 0.0 : tp / (tp + fn),
            SegmentationScore.F2 => FBeta(counts, 2.0, emptyPolicy),
            _ => throw new MetricException($"Unknown segmentation score {score}.", nameof(score)),
        };
    }

    /// <summary>
    /// Mean over images of the per-image score; with the default <see cref="EmptyMaskPolicy.One"/> and
    /// <see cref="SegmentationScore.Dice"/> this is the Kaggle SIIM-ACR leaderboard metric.
    /// </summary>
    /// <param name="pairs">(prediction, truth) masks, each pair of equal size.</param>
    /// <param name="score">Which score to average.</param>
    /// <param name="emptyPolicy">Empty/empty handling; NaN and Skipped pairs are left out of the mean.</param>
    /// <returns>The mean, or NaN when no pair was scored.</returns>
    /// <exception cref="MetricException">A pair has masks of different sizes.</exception>
    public static double MeanScore(IEnumerable<(BinaryMask Prediction, BinaryMask Truth)> pairs,
        SegmentationScore score = SegmentationScore.Dice, EmptyMaskPolicy emptyPolicy = EmptyMaskPolicy.One)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var metric = new SegmentationMetric(score, emptyPolicy, MetricReduction.Mean);
        foreach (var (prediction, truth) in pairs)
        {
            metric.Update(prediction, truth);
        }

        return metric.Aggregate();
    }

    /// <summary>
    /// Kaggle SIIM-ACR mean Dice: the mean over images of per-image Dice with empty/empty = 1.
    /// </summary>
    /// <param name="pairs">(prediction, truth) masks, each pair of equal size.</param>
    /// <returns>Mean Dice in [0, 1]; NaN for an empty sequence.</returns>
    public static double KaggleMeanDice(IEnumerable<(BinaryMask Prediction, BinaryMask Truth)> pairs)
        => MeanScore(pairs, SegmentationScore.Dice, EmptyMaskPolicy.One);

    private static double EmptyValue(EmptyMaskPolicy policy) => policy switch
    {
        EmptyMaskPolicy.One => 1.0,
        EmptyMaskPolicy.NaN or EmptyMaskPolicy.Skip => double.NaN,
        _ => throw new MetricException($"Unknown empty policy {policy}.", nameof(policy)),
    };
}
