using Thorax.Data.Datasets;
using Thorax.Imaging.Ops;

namespace Thorax.Data.Augmentation;

/// <summary>Applies one affine matrix to a whole sample: image and gaze bilinear, masks nearest (cv2.warpAffine semantics).</summary>
public static class AffineWarp
{
    /// <summary>Warps every plane of <paramref name="sample"/> with <paramref name="transform"/> (source → destination), same size.</summary>
    /// <param name="sample">Input sample.</param>
    /// <param name="transform">Forward matrix as passed to cv2.warpAffine.</param>
    /// <param name="border">Border mode for image, gaze and masks.</param>
    /// <param name="borderValue">Image/gaze constant border value (masks use 0).</param>
    public static Sample Apply(Sample sample, AffineTransform transform, BorderMode border, double borderValue = 0)
    {
        ArgumentNullException.ThrowIfNull(sample);
        int w = sample.Width, h = sample.Height;
        return SampleOps.Spatial(sample, w, h,
            img => Warp.Affine(img, transform, w, h, Interpolation.Linear, border, borderValue),
            m => Warp.Affine(m, transform, w, h, Interpolation.Nearest, border, 0));
    }
}
