using Thorax.Data.Datasets;
using Thorax.Imaging.Ops;

namespace Thorax.Data.Augmentation;

/// <summary>
/// Barrel / pincushion distortion (albumentations 1.3 <c>OpticalDistortion</c>): k ~ U(-DistortLimit, DistortLimit),
/// dx, dy = round(U(-ShiftLimit, ShiftLimit)) (drawn in that order); camera matrix fx = W, fy = H, cx = W/2 + dx,
/// cy = H/2 + dy, distortion (k, k, 0, 0, 0); sampling map = <c>cv2.initUndistortRectifyMap</c> (new camera matrix =
/// the default one with the principal point at ((W-1)/2, (H-1)/2)), applied with cv2.remap. Defaults 0.05 / 0.05, p 0.5.
/// </summary>
public sealed class OpticalDistortion : SampleTransform<OpticalDistortion.Params>
{
    /// <summary>Drawn parameters: radial coefficient k (used as k1 = k2) and principal point shift in pixels.</summary>
    public readonly record struct Params(double K, double Dx, double Dy);

    /// <summary>Creates the transform with p = 0.5.</summary>
    public OpticalDistortion() => Probability = 0.5;

    /// <summary>Maximum |k|; default 0.05.</summary>
    public double DistortLimit { get; init; } = 0.05;

    /// <summary>Maximum principal point shift in pixels before rounding; default 0.05.</summary>
    public double ShiftLimit { get; init; } = 0.05;

    /// <summary>Border mode; default <see cref="BorderMode.Reflect101"/>.</summary>
    public BorderMode Border { get; init; } = BorderMode.Reflect101;

    /// <inheritdoc />
    public override Params Randomize(Random random, int width, int height) => new(
        SampleOps.Uniform(random, -DistortLimit, DistortLimit),
        Math.Round(SampleOps.Uniform(random, -ShiftLimit, ShiftLimit), MidpointRounding.ToEven),
        Math.Round(SampleOps.Uniform(random, -ShiftLimit, ShiftLimit), MidpointRounding.ToEven));

    /// <summary>The sampling maps (row-major [H, W]) of <c>cv2.initUndistortRectifyMap</c> for these parameters.</summary>
    public static (float[] MapX, float[] MapY) Maps(int width, int height, Params p)
    {
        double fx = width, fy = height;
        // cv2 uses float32 camera matrix values; the principal point of the source camera includes the shift.
        double u0 = (float)(width * 0.5 + p.Dx), v0 = (float)(height * 0.5 + p.Dy);
        double k = (float)p.K;
        double ncx = (width - 1) * 0.5, ncy = (height - 1) * 0.5;
        var mapX = new float[width * height];
        var mapY = new float[width * height];
        for (int i = 0; i < height; i++)
        {
            double y = (i - ncy) / fy;
            for (int j = 0; j < width; j++)
            {
                double x = (j - ncx) / fx;
                double r2 = x * x + y * y;
                double kr = 1 + (k * r2 + k) * r2;
                mapX[i * width + j] = (float)(fx * x * kr + u0);
                mapY[i * width + j] = (float)(fy * y * kr + v0);
            }
        }
        return (mapX, mapY);
    }

    /// <inheritdoc />
    public override Sample Apply(Sample sample, Params p)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var (mx, my) = Maps(sample.Width, sample.Height, p);
        return DisplacementWarp.Apply(sample, mx, my, Border);
    }
}
