using Thorax.Data.Datasets;
using Thorax.Data.Gaze;
using Thorax.Imaging.Ops;

namespace Thorax.Data.Augmentation;

/// <summary>
/// Elastic deformation (albumentations 1.3 <c>ElasticTransform</c>, Simard et al.): first a random affine warp that
/// moves the three points (c + s, c + s), (c0 + s, c1 - s), (c - s) (c = (H//2, W//2), s = min(H, W)//3, the
/// reference's mixed axis order) by U(-AlphaAffine, AlphaAffine), then a displacement field
/// dx, dy = gaussian_filter(U(-1, 1), Sigma) * Alpha (scipy reflect border, truncate 4) applied with cv2.remap.
/// Defaults alpha 1, sigma 50, alpha_affine 50, p 0.5 (albumentations 1.3).
/// </summary>
public sealed class ElasticTransform : SampleTransform<ElasticTransform.Params>
{
    /// <summary>Drawn parameters: the affine matrix and the displacement fields (row-major [H, W], pixels).</summary>
    public sealed record Params(AffineTransform Affine, float[] Dx, float[] Dy);

    /// <summary>Creates the transform with p = 0.5.</summary>
    public ElasticTransform() => Probability = 0.5;

    /// <summary>Displacement scale in pixels; default 1.</summary>
    public double Alpha { get; init; } = 1;

    /// <summary>Gaussian sigma of the displacement field, pixels; default 50.</summary>
    public double Sigma { get; init; } = 50;

    /// <summary>Affine jitter of the three anchor points, pixels; default 50.</summary>
    public double AlphaAffine { get; init; } = 50;

    /// <summary>Border mode; default <see cref="BorderMode.Reflect101"/>.</summary>
    public BorderMode Border { get; init; } = BorderMode.Reflect101;

    /// <summary>The three anchor points (x, y) the reference perturbs.</summary>
    public static (double X, double Y)[] AnchorPoints(int width, int height)
    {
        double c0 = height / 2, c1 = width / 2, s = Math.Min(height, width) / 3;
        return [(c0 + s, c1 + s), (c0 + s, c1 - s), (c0 - s, c1 - s)];
    }

    /// <summary><c>cv2.getAffineTransform</c>: the affine map taking three source points to three destination points.</summary>
    /// <exception cref="ArgumentException">Collinear source points.</exception>
    public static AffineTransform FromPoints(IReadOnlyList<(double X, double Y)> src, IReadOnlyList<(double X, double Y)> dst)
    {
        double x0 = src[0].X, y0 = src[0].Y, x1 = src[1].X, y1 = src[1].Y, x2 = src[2].X, y2 = src[2].Y;
        double det = x0 * (y1 - y2) - y0 * (x1 - x2) + (x1 * y2 - x2 * y1);
        if (Math.Abs(det) < 1e-12) throw new ArgumentException("source points are collinear", nameof(src));
        (double, double, double) Solve(double u0, double u1, double u2) => (
            (u0 * (y1 - y2) - y0 * (u1 - u2) + (u1 * y2 - u2 * y1)) / det,
            (x0 * (u1 - u2) - u0 * (x1 - x2) + (x1 * u2 - x2 * u1)) / det,
            (x0 * (y1 * u2 - y2 * u1) - y0 * (x1 * u2 - x2 * u1) + u0 * (x1 * y2 - x2 * y1)) / det);
        var (a, b, c) = Solve(dst[0].X, dst[1].X, dst[2].X);
        var (d, e, f) = Solve(dst[0].Y, dst[1].Y, dst[2].Y);
        return new AffineTransform(a, b, c, d, e, f);
    }

    /// <inheritdoc />
    public override Params Randomize(Random random, int width, int height)
    {
        var src = AnchorPoints(width, height);
        var dst = new (double X, double Y)[3];
        for (int i = 0; i < 3; i++)
        {
            double jx = SampleOps.Uniform(random, -AlphaAffine, AlphaAffine), jy = SampleOps.Uniform(random, -AlphaAffine, AlphaAffine);
            dst[i] = ((float)(src[i].X + jx), (float)(src[i].Y + jy));
        }
        return new Params(FromPoints(src, dst), Field(random, width, height), Field(random, width, height));
    }

    /// <inheritdoc />
    public override Sample Apply(Sample sample, Params p)
    {
        ArgumentNullException.ThrowIfNull(sample);
        int w = sample.Width, h = sample.Height;
        if (p.Dx.Length != w * h || p.Dy.Length != w * h) throw new ArgumentException($"displacement fields must have {w}x{h} values", nameof(p));
        var warped = AffineWarp.Apply(sample, p.Affine, Border);
        var mapX = new float[w * h];
        var mapY = new float[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                mapX[i] = x + p.Dx[i];
                mapY[i] = y + p.Dy[i];
            }
        return DisplacementWarp.Apply(warped, mapX, mapY, Border);
    }

    private float[] Field(Random random, int width, int height)
    {
        var noise = new float[width * height];
        for (int i = 0; i < noise.Length; i++) noise[i] = (float)(random.NextDouble() * 2 - 1);
        var smooth = GaussianFilter.Apply(noise, width, height, Sigma);
        for (int i = 0; i < smooth.Length; i++) smooth[i] = (float)(smooth[i] * Alpha);
        return smooth;
    }
}
