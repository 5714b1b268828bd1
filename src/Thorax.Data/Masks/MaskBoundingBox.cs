namespace Thorax.Data.Masks;

/// <summary>Inclusive pixel bounding box of a mask's foreground, in (row, column) image coordinates.</summary>
/// <param name="RowMin">Topmost foreground row (0-based).</param>
/// <param name="ColMin">Leftmost foreground column (0-based).</param>
/// <param name="RowMax">Bottom foreground row (inclusive).</param>
/// <param name="ColMax">Rightmost foreground column (inclusive).</param>
public readonly record struct MaskBoundingBox(int RowMin, int ColMin, int RowMax, int ColMax)
{
    /// <summary>Box height in pixels (RowMax - RowMin + 1).</summary>
    public int Height => RowMax - RowMin + 1;

    /// <summary>Box width in pixels (ColMax - ColMin + 1).</summary>
    public int Width => ColMax - ColMin + 1;

    /// <summary>As the array [row_min, col_min, row_max, col_max].</summary>
    public int[] ToArray() => [RowMin, ColMin, RowMax, ColMax];

    /// <summary>Smallest box containing both boxes.</summary>
    public MaskBoundingBox Union(MaskBoundingBox other) => new(
        Math.Min(RowMin, other.RowMin), Math.Min(ColMin, other.ColMin),
        Math.Max(RowMax, other.RowMax), Math.Max(ColMax, other.ColMax));
}
