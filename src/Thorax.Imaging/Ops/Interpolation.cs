namespace Thorax.Imaging.Ops;

/// <summary>Resampling kernels (OpenCV INTER_* semantics).</summary>
public enum Interpolation
{
    /// <summary>Nearest neighbour (INTER_NEAREST: source = floor(dst * src/dst)).</summary>
    Nearest,
    /// <summary>Bilinear (INTER_LINEAR, half-pixel centres).</summary>
    Linear,
    /// <summary>Bicubic, Keys a = -0.75 (INTER_CUBIC), edge pixels replicated.</summary>
    Cubic,
    /// <summary>Pixel-area averaging for downscaling (INTER_AREA); bilinear-like when upscaling.</summary>
    Area,
}
