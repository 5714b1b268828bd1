using Thorax.Data.Datasets;

namespace Thorax.Data.Augmentation;

/// <summary>Random gamma on the image only (albumentations <c>RandomGamma</c>, float images): gamma = U(Min, Max) / 100,
/// out = x ^ gamma (negative inputs clamp to 0). Defaults 80 .. 120, p 0.5.</summary>
public sealed class RandomGamma : SampleTransform<double>
{
    /// <summary>Creates the transform with p = 0.5.</summary>
    public RandomGamma() => Probability = 0.5;

    /// <summary>Gamma range in percent; default (80, 120).</summary>
    public (double Min, double Max) Limit { get; init; } = (80, 120);

    /// <inheritdoc />
    public override double Randomize(Random random, int width, int height) => SampleOps.Uniform(random, Limit.Min, Limit.Max) / 100.0;

    /// <inheritdoc />
    public override Sample Apply(Sample sample, double gamma) =>
        SampleOps.MapImage(sample, v => v <= 0 ? 0f : MathF.Pow(v, (float)gamma));
}
