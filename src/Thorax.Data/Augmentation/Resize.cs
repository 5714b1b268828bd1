using Thorax.Data.Datasets;
using Thorax.Imaging.Ops;

namespace Thorax.Data.Augmentation;

/// <summary>Resizes image and gaze (bilinear, cv2.resize INTER_LINEAR) and masks (nearest) to a fixed size
/// (albumentations <c>Resize</c>, p 1). Consumes no randomness.</summary>
/// <param name="width">Output columns.</param>
/// <param name="height">Output rows.</param>
public sealed class Resize(int width, int height) : SampleTransform
{
    /// <summary>Output columns.</summary>
    public int Width { get; } = width >= 1 ? width : throw new ArgumentOutOfRangeException(nameof(width));

    /// <summary>Output rows.</summary>
    public int Height { get; } = height >= 1 ? height : throw new ArgumentOutOfRangeException(nameof(height));

    /// <inheritdoc />
    public override Sample Apply(Sample sample, Random random) => ApplyForced(sample, random);

    /// <inheritdoc />
    public override Sample ApplyForced(Sample sample, Random random) => To(sample, Width, Height);

    /// <summary>Resizes a sample (no-op when already that size).</summary>
    public static Sample To(Sample sample, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(sample);
        if (sample.Width == width && sample.Height == height) return sample;
        return SampleOps.Spatial(sample, width, height,
            img => Resampling.Resize(img, width, height, Interpolation.Linear),
            m => Resampling.Resize(m, width, height, Interpolation.Nearest));
    }
}
