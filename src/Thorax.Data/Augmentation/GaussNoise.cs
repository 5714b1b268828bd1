using Thorax.Data.Datasets;

namespace Thorax.Data.Augmentation;

/// <summary>
/// Additive Gaussian noise on the image only (albumentations <c>GaussNoise</c>): variance ~ U(VarLimit) in 8-bit
/// units², sigma = sqrt(var) / 255 in [0, 1] image units, one independent N(Mean, sigma) value per pixel and
/// channel, result clipped to [0, 1]. Defaults var (10, 50), mean 0, p 0.5.
/// </summary>
/// <remarks>albumentations adds sigma in 8-bit units even to float images (a known pitfall); this port scales to
/// the [0, 1] range so that the same settings mean the same noise for uint8 and float inputs.</remarks>
public sealed class GaussNoise : SampleTransform<float[]>
{
    /// <summary>Creates the transform with p = 0.5.</summary>
    public GaussNoise() => Probability = 0.5;

    /// <summary>Variance range in 8-bit units squared; default (10, 50).</summary>
    public (double Min, double Max) VarLimit { get; init; } = (10, 50);

    /// <summary>Noise mean in 8-bit units; default 0.</summary>
    public double Mean { get; init; }

    /// <summary>Channels of the images this instance will see; the noise array covers Channels x H x W. Default 1.</summary>
    public int Channels { get; init; } = 1;

    /// <inheritdoc />
    public override float[] Randomize(Random random, int width, int height)
    {
        double sigma = Math.Sqrt(SampleOps.Uniform(random, VarLimit.Min, VarLimit.Max)) / 255.0, mean = Mean / 255.0;
        var noise = new float[Channels * width * height];
        for (int i = 0; i < noise.Length; i += 2)
        {
            // Box-Muller: two independent normals per pair of uniforms.
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            double r = Math.Sqrt(-2.0 * Math.Log(u1));
            noise[i] = (float)(mean + sigma * r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < noise.Length) noise[i + 1] = (float)(mean + sigma * r * Math.Sin(2 * Math.PI * u2));
        }
        return noise;
    }

    /// <inheritdoc />
    public override Sample Apply(Sample sample, float[] noise)
    {
        ArgumentNullException.ThrowIfNull(sample);
        if (noise.Length != sample.Image.Length)
            throw new ArgumentException($"noise has {noise.Length} values but the image has {sample.Image.Length} (set Channels = {sample.Channels})", nameof(noise));
        var dst = new float[noise.Length];
        for (int i = 0; i < dst.Length; i++) dst[i] = Math.Clamp(sample.Image[i] + noise[i], 0f, 1f);
        return sample with { Image = dst };
    }
}
