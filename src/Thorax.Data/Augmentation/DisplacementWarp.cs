using Thorax.Data.Datasets;
using Thorax.Imaging.Ops;

namespace Thorax.Data.Augmentation;

/// <summary>Applies a dense sampling map (cv2.remap) to a whole sample: image and gaze bilinear, masks nearest.</summary>
public static class DisplacementWarp
{
    /// <summary>Remaps every plane of <paramref name="sample"/> with source coordinates (mapX, mapY), same size.</summary>
    /// <param name="sample">Input sample.</param>
    /// <param name="mapX">Source column per pixel, row-major [H, W].</param>
    /// <param name="mapY">Source row per pixel, row-major [H, W].</param>
    /// <param name="border">Border mode for every plane (masks use 0 for the constant border).</param>
    public static Sample Apply(Sample sample, float[] mapX, float[] mapY, BorderMode border)
    {
        ArgumentNullException.ThrowIfNull(sample);
        int w = sample.Width, h = sample.Height;
        return SampleOps.Spatial(sample, w, h,
            img => Remap.Linear(img, mapX, mapY, w, h, border),
            m => Remap.Nearest(m, mapX, mapY, w, h, border));
    }
}
