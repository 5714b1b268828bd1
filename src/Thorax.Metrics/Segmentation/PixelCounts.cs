namespace Thorax.Metrics;

/// <summary>
/// Pixel confusion counts of a predicted binary mask against a ground-truth mask.
/// </summary>
/// <param name="TruePositive">Pixels foreground in both.</param>
/// <param name="FalsePositive">Pixels foreground in the prediction only.</param>
/// <param name="FalseNegative">Pixels foreground in the truth only.</param>
/// <param name="TrueNegative">Pixels background in both.</param>
public readonly record struct PixelCounts(long TruePositive, long FalsePositive, long FalseNegative, long TrueNegative)
{
    /// <summary>True when neither mask has a foreground pixel.</summary>
    public bool BothEmpty => TruePositive == 0 && FalsePositive == 0 && FalseNegative == 0;

    /// <summary>Total pixel count.</summary>
    public long Total => TruePositive + FalsePositive + FalseNegative + TrueNegative;

    /// <summary>Element-wise sum (for pooling counts over a set of images).</summary>
    public static PixelCounts operator +(PixelCounts a, PixelCounts b) => new(
        a.TruePositive + b.TruePositive, a.FalsePositive + b.FalsePositive,
        a.FalseNegative + b.FalseNegative, a.TrueNegative + b.TrueNegative);

    /// <summary>Counts two row-major byte masks of equal length (non-zero = foreground).</summary>
    /// <param name="prediction">Predicted mask bytes.</param>
    /// <param name="truth">Ground-truth mask bytes, same length.</param>
    /// <exception cref="MetricException">Length mismatch.</exception>
    public static PixelCounts Count(ReadOnlySpan<byte> prediction, ReadOnlySpan<byte> truth)
    {
        Internal.Guard.SameLength(prediction.Length, truth.Length, nameof(prediction), nameof(truth));
        long tp = 0, fp = 0, fn = 0;
        for (var i = 0; i < prediction.Length; i++)
        {
            var p = prediction[i] != 0 ? 1 : 0;
            var t = truth[i] != 0 ? 1 : 0;
            tp += p & t;
            fp += p & (t ^ 1);
            fn += (p ^ 1) & t;
        }

        return new PixelCounts(tp, fp, fn, prediction.Length - tp - fp - fn);
    }

    /// <summary>Counts two row-major boolean masks of equal length.</summary>
    /// <param name="prediction">Predicted mask.</param>
    /// <param name="truth">Ground-truth mask, same length.</param>
    /// <exception cref="MetricException">Length mismatch.</exception>
    public static PixelCounts Count(ReadOnlySpan<bool> prediction, ReadOnlySpan<bool> truth)
    {
        Internal.Guard.SameLength(prediction.Length, truth.Length, nameof(prediction), nameof(truth));
        long tp = 0, fp = 0, fn = 0;
        for (var i = 0; i < prediction.Length; i++)
        {
            var p = prediction[i];
            var t = truth[i];
            tp += p && t ? 1 : 0;
            fp += p && !t ? 1 : 0;
            fn += !p && t ? 1 : 0;
        }

        return new PixelCounts(tp, fp, fn, prediction.Length - tp - fp - fn);
    }

    /// <summary>Counts two masks of the same width and height.</summary>
    /// <exception cref="MetricException">The masks differ in size.</exception>
    public static PixelCounts Count(BinaryMask prediction, BinaryMask truth)
    {
        if (prediction.Width != truth.Width || prediction.Height != truth.Height)
        {
            throw new MetricException(
                $"Mask size mismatch: prediction is {prediction.Width}x{prediction.Height}, truth is {truth.Width}x{truth.Height}.",
                nameof(truth));
        }

        return Count(prediction.Data.Span, truth.Data.Span);
    }
}
