using Thorax.Data.Masks;

namespace Thorax.Data.Siim;

/// <summary>Per-image RLE statistics.</summary>
/// <param name="ImageId">Image id.</param>
/// <param name="Rows">CSV rows for the image (including "-1" rows).</param>
/// <param name="Instances">Rows with foreground (non-"-1").</param>
/// <param name="UnionPixels">Foreground pixel count of the union of all instances.</param>
/// <param name="BoundingBox">Inclusive box [row_min, col_min, row_max, col_max] of the union, or null when empty.</param>
public sealed record RleImageStats(string ImageId, int Rows, int Instances, long UnionPixels, MaskBoundingBox? BoundingBox);
