using Thorax.Data.Datasets;
using Thorax.Imaging;

namespace Thorax.Data.Augmentation;

/// <summary>
/// Random crop of random area and aspect ratio, resized to a fixed size (albumentations 1.3 / torchvision
/// <c>RandomResizedCrop</c>, p 1): up to 10 attempts of area ~ U(scale) * W * H and aspect = exp(U(log ratio)),
/// w = round(sqrt(area * aspect)), h = round(sqrt(area / aspect)), top ~ randint(0, H - h), left ~ randint(0, W - w);
/// else a central crop clamped to the ratio range. Crop then bilinear (masks nearest) resize.
/// </summary>
/// <param name="width">Output columns.</param>
/// <param name="height">Output rows.</param>
public sealed class RandomResizedCrop(int width, int height) : SampleTransform<RandomResizedCrop.Params>
{
    /// <summary>The crop rectangle in input pixels.</summary>
    public readonly record struct Params(int X, int Y, int CropWidth, int CropHeight);

    /// <summary>Output columns.</summary>
    public int Width { get; } = width >= 1 ? width : throw new ArgumentOutOfRangeException(nameof(width));

    /// <summary>Output rows.</summary>
    public int Height { get; } = height >= 1 ? height : throw new ArgumentOutOfRangeException(nameof(height));

    /// <summary>Area fraction range; default (0.08, 1).</summary>
    public (double Min, double Max) Scale { get; init; } = (0.08, 1.0);

    /// <summary>Aspect ratio (w/h) range; default (3/4, 4/3).</summary>
    public (double Min, double Max) Ratio { get; init; } = (3.0 / 4.0, 4.0 / 3.0);

    /// <inheritdoc />
    public override Params Randomize(Random random, int width, int height)
    {
        double area = (double)width * height, logMin = Math.Log(Ratio.Min), logMax = Math.Log(Ratio.Max);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = SampleOps.Uniform(random, Scale.Min, Scale.Max) * area;
            double aspect = Math.Exp(SampleOps.Uniform(random, logMin, logMax));
            int w = (int)Math.Round(Math.Sqrt(target * aspect), MidpointRounding.ToEven);
            int h = (int)Math.Round(Math.Sqrt(target / aspect), MidpointRounding.ToEven);
            if (w > 0 && w <= width && h > 0 && h <= height)
                return new Params(random.Next(0, width - w + 1), random.Next(0, height - h + 1), w, h);
        }
        double inRatio = (double)width / height;
        int cw = width, ch = height;
        if (inRatio < Ratio.Min) ch = (int)Math.Round(width / Ratio.Min, MidpointRounding.ToEven);
        else if (inRatio > Ratio.Max) cw = (int)Math.Round(height * Ratio.Max, MidpointRounding.ToEven);
        return new Params((width - cw) / 2, (height - ch) / 2, cw, ch);
    }

    /// <inheritdoc />
    public override Sample Apply(Sample sample, Params p)
    {
        ArgumentNullException.ThrowIfNull(sample);
        if (p.X < 0 || p.Y < 0 || p.CropWidth < 1 || p.CropHeight < 1 || p.X + p.CropWidth > sample.Width || p.Y + p.CropHeight > sample.Height)
            throw new ArgumentOutOfRangeException(nameof(p), p, $"crop outside the {sample.Width}x{sample.Height} image");
        var cropped = SampleOps.Spatial(sample, p.CropWidth, p.CropHeight, img => Crop(img, p), m => Crop(m, p));
        return Resize.To(cropped, Width, Height);
    }

    private static Image<T> Crop<T>(Image<T> src, Params p) where T : unmanaged
    {
        var dst = new Image<T>(p.CropWidth, p.CropHeight, 1);
        for (int y = 0; y < p.CropHeight; y++) src.Row(p.Y + y).Slice(p.X, p.CropWidth).CopyTo(dst.Row(y));
        return dst;
    }
}
