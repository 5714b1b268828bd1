using Thorax.Data.Datasets;

namespace Thorax.Data.Augmentation;

/// <summary>
/// Random brightness and contrast on the image only (albumentations 1.3 <c>RandomBrightnessContrast</c>,
/// brightness_by_max = True, float images): alpha = 1 + U(-ContrastLimit, ContrastLimit),
/// beta = U(-BrightnessLimit, BrightnessLimit) (drawn in that order), out = clip(x * alpha + beta, 0, 1).
/// Set a limit to 0 for the old <c>RandomBrightness</c> / <c>RandomContrast</c>. Defaults 0.2 / 0.2, p 0.5.
/// </summary>
public sealed class RandomBrightnessContrast : SampleTransform<RandomBrightnessContrast.Params>
{
    /// <summary>Drawn parameters: contrast factor alpha and brightness offset beta (image units).</summary>
    public readonly record struct Params(double Alpha, double Beta);

    /// <summary>Creates the transform with p = 0.5.</summary>
    public RandomBrightnessContrast() => Probability = 0.5;

    /// <summary>Maximum brightness offset (fraction of the [0, 1] range); default 0.2.</summary>
    public double BrightnessLimit { get; init; } = 0.2;

    /// <summary>Maximum relative contrast change; default 0.2.</summary>
    public double ContrastLimit { get; init; } = 0.2;

    /// <inheritdoc />
    public override Params Randomize(Random random, int width, int height) =>
        new(1 + SampleOps.Uniform(random, -ContrastLimit, ContrastLimit), SampleOps.Uniform(random, -BrightnessLimit, BrightnessLimit));

    /// <inheritdoc />
    public override Sample Apply(Sample sample, Params p)
    {
        float a = (float)p.Alpha, b = (float)p.Beta;
        return SampleOps.MapImage(sample, v => Math.Clamp(v * a + b, 0f, 1f));
    }
}
