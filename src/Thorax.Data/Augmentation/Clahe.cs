using Thorax.Data.Datasets;
using Thorax.Imaging;
using Thorax.Imaging.Ops;

namespace Thorax.Data.Augmentation;

/// <summary>
/// Contrast-limited adaptive histogram equalisation on the image only (albumentations <c>CLAHE</c>): clip limit ~
/// U(ClipLimit.Min, ClipLimit.Max); the [0, 1] image is quantised to 8 bits (round half to even), equalised per channel with
/// <see cref="Histogram.Clahe(Image{byte}, double, int, int)"/> (bit-exact with OpenCV) and scaled back by 1/255.
/// Defaults clip (1, 4), 8x8 tiles, p 0.5. CXLSeg uses a fixed clip 2.0 (set ClipLimit = (2, 2), p 1).
/// </summary>
public sealed class Clahe : SampleTransform<double>
{
    /// <summary>Creates the transform with p = 0.5.</summary>
    public Clahe() => Probability = 0.5;

    /// <summary>Clip limit range; default (1, 4).</summary>
    public (double Min, double Max) ClipLimit { get; init; } = (1, 4);

    /// <summary>Tiles per axis; default 8.</summary>
    public int Tiles { get; init; } = 8;

    /// <inheritdoc />
    public override double Randomize(Random random, int width, int height) => SampleOps.Uniform(random, ClipLimit.Min, ClipLimit.Max);

    /// <inheritdoc />
    public override Sample Apply(Sample sample, double clipLimit)
    {
        ArgumentNullException.ThrowIfNull(sample);
        int plane = sample.PlaneSize;
        var result = new float[sample.Image.Length];
        for (int c = 0; c < sample.Channels; c++)
        {
            var src = new Image<float>(sample.Width, sample.Height, 1, sample.Image.AsSpan(c * plane, plane).ToArray());
            var eq = Histogram.Clahe(PixelConvert.ToByte(src, 255f), clipLimit, Tiles, Tiles);
            var d = eq.Pixels;
            for (int i = 0; i < plane; i++) result[c * plane + i] = d[i] * (1f / 255f);
        }
        return sample with { Image = result };
    }
}
