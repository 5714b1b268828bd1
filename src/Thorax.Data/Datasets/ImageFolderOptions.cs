namespace Thorax.Data.Datasets;

/// <summary>Column choices for <see cref="ImageFolderDataset"/>.</summary>
public sealed record ImageFolderOptions
{
    /// <summary>Defaults: image column "image" (also "path", "file", "filename", "image_id"), mask column auto, labels auto.</summary>
    public static ImageFolderOptions Default { get; } = new();

    /// <summary>Column holding the image path relative to the root; null (default) tries image, path, file, filename, image_id.</summary>
    public string? ImageColumn { get; init; }

    /// <summary>Column holding a mask path relative to the root (0/255 or 0/1 PNG); null (default) uses a column named
    /// "mask" or "mask_path" when there is one (blank cells = no mask for that row).</summary>
    public string? MaskColumn { get; init; }

    /// <summary>Label columns in order; null (default) = every other column whose values are all numeric or blank
    /// (blank = NaN).</summary>
    public IReadOnlyList<string>? LabelColumns { get; init; }
}
