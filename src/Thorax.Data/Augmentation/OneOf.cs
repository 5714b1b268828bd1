using Thorax.Data.Datasets;

namespace Thorax.Data.Augmentation;

/// <summary>With probability <see cref="SampleTransform.Probability"/> (default 0.5), applies exactly one child,
/// chosen with probability proportional to the children's own probabilities, unconditionally (albumentations <c>OneOf</c>).</summary>
public sealed class OneOf : SampleTransform
{
    /// <summary>Creates the container with p = 0.5.</summary>
    public OneOf(params SampleTransform[] transforms)
    {
        if (transforms.Length == 0) throw new ArgumentException("OneOf needs at least one transform", nameof(transforms));
        Transforms = transforms;
        Probability = 0.5;
    }

    /// <summary>The children.</summary>
    public IReadOnlyList<SampleTransform> Transforms { get; }

    /// <inheritdoc />
    public override Sample ApplyForced(Sample sample, Random random)
    {
        double total = Transforms.Sum(t => t.Probability);
        if (!(total > 0)) return sample;
        double u = random.NextDouble() * total, acc = 0;
        foreach (var t in Transforms)
        {
            acc += t.Probability;
            if (u < acc) return t.ApplyForced(sample, random);
        }
        return Transforms[^1].ApplyForced(sample, random);
    }
}
