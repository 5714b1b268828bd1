namespace Thorax.Metrics;

/// <summary>
/// Cumulative per-image segmentation score (MONAI <c>DiceMetric</c>/<c>MeanIoU</c> style): <c>Update</c> once per
/// image, <see cref="CumulativeMetric.Aggregate()"/>, <see cref="CumulativeMetric.Reset"/>.
/// </summary>
/// <remarks>
/// Empty/empty pairs follow <see cref="EmptyPolicy"/>: <see cref="EmptyMaskPolicy.One"/> records 1,
/// <see cref="EmptyMaskPolicy.NaN"/> records NaN (left out of the reduction), <see cref="EmptyMaskPolicy.Skip"/>
/// records nothing. <see cref="PooledCounts"/> also sums the pixel counts of every update (skipped ones included),
/// for a dataset-level ("global") score.
/// </remarks>
public sealed class SegmentationMetric : CumulativeMetric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="score">Which score (default Dice).</param>
    /// <param name="emptyPolicy">Empty/empty handling (default: 1, Kaggle).</param>
    /// <param name="reduction">Reduction used by <see cref="CumulativeMetric.Aggregate()"/> (default mean).</param>
    public SegmentationMetric(SegmentationScore score = SegmentationScore.Dice,
        EmptyMaskPolicy emptyPolicy = EmptyMaskPolicy.One, MetricReduction reduction = MetricReduction.Mean)
        : base(reduction)
    {
        Score = score;
        EmptyPolicy = emptyPolicy;
    }

    /// <summary>The score recorded per image.</summary>
    public SegmentationScore Score { get; }

    /// <summary>Empty/empty handling.</summary>
    public EmptyMaskPolicy EmptyPolicy { get; }

    /// <summary>Sum of the pixel counts of every update since the last reset.</summary>
    public PixelCounts PooledCounts { get; private set; }

    /// <summary>Scores one image from its pixel counts; returns the recorded value (NaN when skipped).</summary>
    public double Update(PixelCounts counts)
    {
        PooledCounts += counts;
        var value = SegmentationMetrics.Score(counts, Score, EmptyPolicy);
        if (!(counts.BothEmpty && EmptyPolicy == EmptyMaskPolicy.Skip))
        {
            Append(value);
        }

        return value;
    }

    /// <summary>Scores one pair of row-major byte masks of equal length (non-zero = foreground).</summary>
    /// <exception cref="MetricException">Length mismatch.</exception>
    public double Update(ReadOnlySpan<byte> prediction, ReadOnlySpan<byte> truth)
        => Update(PixelCounts.Count(prediction, truth));

    /// <summary>Scores one pair of masks of equal size.</summary>
    /// <exception cref="MetricException">Size mismatch.</exception>
    public double Update(BinaryMask prediction, BinaryMask truth) => Update(PixelCounts.Count(prediction, truth));

    /// <summary>Clears the buffer and the pooled counts.</summary>
    public override void Reset()
    {
        base.Reset();
        PooledCounts = default;
    }
}
