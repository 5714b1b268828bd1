using Thorax.Data.Datasets;

namespace Thorax.Data.Augmentation;

/// <summary>
/// Per-channel normalisation of the image (albumentations <c>Normalize</c> on [0, 1] data):
/// out = ((x - mean[c]) / std[c]) * OutputScale. With 8-bit input albumentations computes (p - 255 mean) / (255 std),
/// the same value for x = p / 255. Deterministic (consumes no randomness), p 1.
/// </summary>
/// <param name="mean">Per-channel means (one value = all channels).</param>
/// <param name="std">Per-channel standard deviations (&gt; 0).</param>
public sealed class Normalize(IReadOnlyList<double> mean, IReadOnlyList<double> std) : SampleTransform
{
    /// <summary>ImageNet statistics (0.485, 0.456, 0.406) / (0.229, 0.224, 0.225).</summary>
    public static Normalize ImageNet => new([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);

    /// <summary>Per-channel means.</summary>
    public IReadOnlyList<double> Mean { get; } = mean.Count > 0 ? mean : throw new ArgumentException("mean is empty", nameof(mean));

    /// <summary>Per-channel standard deviations.</summary>
    public IReadOnlyList<double> Std { get; } = std.Count > 0 && std.All(s => s > 0) ? std : throw new ArgumentException("std must be non-empty and positive", nameof(std));

    /// <summary>Factor applied after normalising (GD-ViG divides by 255 again: 1/255); default 1.</summary>
    public double OutputScale { get; init; } = 1;

    /// <inheritdoc />
    public override Sample Apply(Sample sample, Random random) => ApplyForced(sample, random);

    /// <inheritdoc />
    public override Sample ApplyForced(Sample sample, Random random)
    {
        ArgumentNullException.ThrowIfNull(sample);
        int plane = sample.PlaneSize;
        var dst = new float[sample.Image.Length];
        for (int c = 0; c < sample.Channels; c++)
        {
            double m = Mean[Mean.Count == 1 ? 0 : c], s = Std[Std.Count == 1 ? 0 : c];
            float scale = (float)(OutputScale / s), offset = (float)(-m * OutputScale / s);
            var src = sample.Image.AsSpan(c * plane, plane);
            var d = dst.AsSpan(c * plane, plane);
            for (int i = 0; i < plane; i++) d[i] = src[i] * scale + offset;
        }
        return sample with { Image = dst };
    }
}
