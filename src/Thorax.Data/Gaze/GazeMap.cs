namespace Thorax.Data.Gaze;

/// <summary>A gaze heat map: row-major float32 values, Height rows by Width columns, plus point bookkeeping.</summary>
/// <param name="Width">Columns.</param>
/// <param name="Height">Rows.</param>
/// <param name="Data">Row-major values, length Width*Height.</param>
/// <param name="PointsUsed">Points/fixations that contributed.</param>
/// <param name="PointsSkipped">Points outside the image that were skipped (see <see cref="OutOfImagePolicy"/>).</param>
public sealed record GazeMap(int Width, int Height, float[] Data, int PointsUsed, int PointsSkipped)
{
    /// <summary>Value at (row, col).</summary>
    public float this[int row, int col] => Data[row * Width + col];

    /// <summary>Resamples to <paramref name="width"/> x <paramref name="height"/> (e.g. the model input size).</summary>
    public GazeMap Resize(int width, int height, ResampleMode mode = ResampleMode.Area) =>
        this with { Width = width, Height = height, Data = Resample.Apply(Data, Width, Height, width, height, mode) };
}
