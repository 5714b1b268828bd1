namespace Thorax.Data.Gaze;

/// <summary>What to do with a gaze point whose position lies outside the image (including EGD-CXR's -1 marker).</summary>
public enum OutOfImagePolicy
{
    /// <summary>Skip it and count it in <see cref="GazeMap.PointsSkipped"/> (default).</summary>
    Skip,

    /// <summary>Throw <see cref="DataFormatException"/>.</summary>
    Throw,
}
