using Thorax.Dicom;

namespace Thorax.Data.Datasets;

/// <summary>How datasets decode images. Shared by every dataset class.</summary>
public sealed record DatasetOptions
{
    /// <summary>Defaults: native size, 1 channel, no cache, DICOM presentation defaults.</summary>
    public static DatasetOptions Default { get; } = new();

    /// <summary>Resize every image (bilinear), mask (nearest) and gaze map (bilinear) to this size; null (default)
    /// keeps the native size.</summary>
    public ImageSize? Size { get; init; }

    /// <summary>Output channels: 1 (default) or 3 (the grey image repeated, as <c>convert("RGB")</c> / <c>cv2.imread(path, 1)</c> on grey data).</summary>
    public int Channels { get; init; } = 1;

    /// <summary>Cache of decoded, resized images; null (default) decodes every time.</summary>
    public ImageCache? Cache { get; init; }

    /// <summary>DICOM rendering (VOI, MONOCHROME1 inversion); default <see cref="PresentationOptions.Default"/>.</summary>
    public PresentationOptions Presentation { get; init; } = PresentationOptions.Default;

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Channels not 1 or 3, or a non-positive size.</exception>
    public void Validate()
    {
        if (Channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(Channels), Channels, "Channels must be 1 or 3.");
        if (Size is { } s && (s.Width < 1 || s.Height < 1))
            throw new ArgumentOutOfRangeException(nameof(Size), s, "Size must be positive.");
    }
}
