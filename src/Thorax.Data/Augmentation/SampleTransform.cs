using Thorax.Data.Datasets;

namespace Thorax.Data.Augmentation;

/// <summary>
/// A (possibly random) transform of a <see cref="Sample"/>, applied identically to the image, its masks and its
/// gaze map. Semantics follow albumentations: <see cref="Apply(Sample, Random)"/> draws one uniform number and
/// applies the transform when it is below <see cref="Probability"/>.
/// </summary>
/// <remarks>Transforms are immutable and thread-safe: all randomness comes from the <see cref="Random"/> passed in
/// (the loader gives each sample its own, seeded from (epoch seed, position)), and parameters are drawn only in
/// <c>Randomize</c>. Inputs are never modified; outputs may share arrays the transform did not change.</remarks>
public abstract class SampleTransform
{
    /// <summary>Probability in [0, 1] that the transform is applied.</summary>
    public double Probability { get; init; } = 1.0;

    /// <summary>Applies the transform with probability <see cref="Probability"/> (one draw from <paramref name="random"/>).</summary>
    /// <param name="sample">Input sample (not modified).</param>
    /// <param name="random">Source of randomness.</param>
    /// <returns>The transformed sample, or <paramref name="sample"/> when skipped.</returns>
    public virtual Sample Apply(Sample sample, Random random)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(random);
        return random.NextDouble() < Probability ? ApplyForced(sample, random) : sample;
    }

    /// <summary>Applies the transform unconditionally (albumentations <c>force_apply=True</c>; used by
    /// <see cref="OneOf"/> and <see cref="SomeOf"/>).</summary>
    public abstract Sample ApplyForced(Sample sample, Random random);
}

/// <summary>A random transform whose parameters are drawn by <see cref="Randomize"/> and applied
/// deterministically by <see cref="Apply(Sample, TParams)"/> (the split that golden tests rely on).</summary>
/// <typeparam name="TParams">The drawn parameters.</typeparam>
public abstract class SampleTransform<TParams> : SampleTransform
{
    /// <summary>Draws the parameters for an image of <paramref name="width"/> x <paramref name="height"/> pixels.</summary>
    public abstract TParams Randomize(Random random, int width, int height);

    /// <summary>Applies fixed parameters (deterministic, no randomness).</summary>
    public abstract Sample Apply(Sample sample, TParams parameters);

    /// <inheritdoc />
    public sealed override Sample ApplyForced(Sample sample, Random random) =>
        Apply(sample, Randomize(random, sample.Width, sample.Height));
}
