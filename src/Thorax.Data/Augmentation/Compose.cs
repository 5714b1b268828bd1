using Thorax.Data.Datasets;

namespace Thorax.Data.Augmentation;

/// <summary>Applies transforms in order (albumentations <c>Compose</c>; applied with <see cref="SampleTransform.Probability"/>, default 1).</summary>
/// <param name="transforms">The transforms, in order.</param>
public sealed class Compose(params SampleTransform[] transforms) : SampleTransform
{
    /// <summary>The transforms, in order.</summary>
    public IReadOnlyList<SampleTransform> Transforms { get; } = transforms;

    /// <inheritdoc />
    public override Sample ApplyForced(Sample sample, Random random)
    {
        foreach (var t in Transforms) sample = t.Apply(sample, random);
        return sample;
    }
}
