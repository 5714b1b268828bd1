namespace Thorax.Data.Datasets;

/// <summary>A target image size in pixels.</summary>
/// <param name="Width">Columns, &gt;= 1.</param>
/// <param name="Height">Rows, &gt;= 1.</param>
public readonly record struct ImageSize(int Width, int Height)
{
    /// <summary>A square size.</summary>
    public static ImageSize Square(int size) => new(size, size);

    /// <inheritdoc />
    public override string ToString() => $"{Width}x{Height}";
}
