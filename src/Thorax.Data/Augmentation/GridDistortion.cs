using Thorax.Data.Datasets;
using Thorax.Imaging.Ops;

namespace Thorax.Data.Augmentation;

/// <summary>
/// Grid distortion (albumentations 1.3 <c>GridDistortion</c>, normalized = False): the image is cut into
/// NumSteps cells per axis (step = size // NumSteps); cell k is stretched by a factor ~ U(1 - DistortLimit, 1 + DistortLimit)
/// (NumSteps + 1 factors per axis, x first), the source coordinates are piecewise linear (np.linspace) and applied
/// with cv2.remap. Defaults 5 steps, limit 0.3, p 0.5.
/// </summary>
public sealed class GridDistortion : SampleTransform<GridDistortion.Params>
{
    /// <summary>Drawn stretch factors, NumSteps + 1 per axis.</summary>
    public sealed record Params(double[] XSteps, double[] YSteps);

    /// <summary>Creates the transform with p = 0.5.</summary>
    public GridDistortion() => Probability = 0.5;

    /// <summary>Cells per axis; default 5.</summary>
    public int NumSteps { get; init; } = 5;

    /// <summary>Maximum relative stretch; default 0.3.</summary>
    public double DistortLimit { get; init; } = 0.3;

    /// <summary>Border mode; default <see cref="BorderMode.Reflect101"/>.</summary>
    public BorderMode Border { get; init; } = BorderMode.Reflect101;

    /// <inheritdoc />
    public override Params Randomize(Random random, int width, int height)
    {
        var xs = new double[NumSteps + 1];
        var ys = new double[NumSteps + 1];
        for (int i = 0; i <= NumSteps; i++) xs[i] = 1 + SampleOps.Uniform(random, -DistortLimit, DistortLimit);
        for (int i = 0; i <= NumSteps; i++) ys[i] = 1 + SampleOps.Uniform(random, -DistortLimit, DistortLimit);
        return new Params(xs, ys);
    }

    /// <summary>Source coordinates along one axis of length <paramref name="size"/> (albumentations' loop).</summary>
    public static float[] AxisMap(int size, int numSteps, IReadOnlyList<double> steps)
    {
        int step = size / numSteps;
        var result = new float[size];
        double prev = 0;
        for (int idx = 0; idx <= numSteps; idx++)
        {
            int start = idx * step, end = start + step;
            double cur;
            if (end > size) { end = size; cur = size; }
            else cur = prev + step * steps[idx];
            int n = end - start;
            // np.linspace(prev, cur, n) in float64, stored as float32
            for (int k = 0; k < n; k++)
                result[start + k] = (float)(n == 1 ? prev : k == n - 1 ? cur : prev + (cur - prev) / (n - 1) * k);
            prev = cur;
        }
        return result;
    }

    /// <inheritdoc />
    public override Sample Apply(Sample sample, Params p)
    {
        ArgumentNullException.ThrowIfNull(sample);
        int w = sample.Width, h = sample.Height;
        if (p.XSteps.Length != NumSteps + 1 || p.YSteps.Length != NumSteps + 1)
            throw new ArgumentException($"need {NumSteps + 1} steps per axis", nameof(p));
        var xx = AxisMap(w, NumSteps, p.XSteps);
        var yy = AxisMap(h, NumSteps, p.YSteps);
        var mapX = new float[w * h];
        var mapY = new float[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                mapX[y * w + x] = xx[x];
                mapY[y * w + x] = yy[y];
            }
        return DisplacementWarp.Apply(sample, mapX, mapY, Border);
    }
}
