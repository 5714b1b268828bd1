namespace Thorax.Data.Gaze;

/// <summary>Interpolation used by <see cref="Resample"/>.</summary>
public enum ResampleMode
{
    /// <summary>Pixel-area averaging (OpenCV INTER_AREA for downscaling; preserves mean). Upscaling falls back to bilinear.</summary>
    Area,

    /// <summary>Bilinear with half-pixel centres and clamped borders (OpenCV INTER_LINEAR, torch bilinear align_corners=False without antialias).</summary>
    Bilinear,
}
