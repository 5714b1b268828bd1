namespace Thorax.Data.Datasets;

/// <summary>A decoded single-channel image, row-major float32 [H, W].</summary>
/// <param name="Width">Columns.</param>
/// <param name="Height">Rows.</param>
/// <param name="Pixels">Row-major values, length Width * Height; intensities in [0, 1] for images.</param>
public sealed record GreyImage(int Width, int Height, float[] Pixels);
