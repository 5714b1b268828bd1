using Thorax.Data.Gaze;
using Thorax.Data.Masks;

namespace Thorax.Data;

/// <summary>
/// The annotation-level sample that flows from the readers to datasets/loaders: an id plus whatever the source
/// provides. Pixels are loaded later by the imaging layer from <see cref="ImagePath"/>.
/// </summary>
public sealed record SampleRecord
{
    /// <summary>Sample id (SIIM SOP Instance UID, MIMIC dicom_id, file stem ...).</summary>
    public required string Id { get; init; }

    /// <summary>Image file path (absolute or relative to a dataset root), or null.</summary>
    public string? ImagePath { get; init; }

    /// <summary>Segmentation mask (row-major 0/1), or null when the source has none.</summary>
    public BinaryMask? Mask { get; init; }

    /// <summary>Gaze points in image pixels, or null.</summary>
    public IReadOnlyList<GazePoint>? Gaze { get; init; }

    /// <summary>Report text, or null.</summary>
    public string? Report { get; init; }

    /// <summary>Label name -&gt; target (NaN = masked/unknown); empty when unlabelled.</summary>
    public IReadOnlyDictionary<string, float> Labels { get; init; } = new Dictionary<string, float>();

    /// <summary>Free-form metadata (patient id, split, view position, source line ...).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}
