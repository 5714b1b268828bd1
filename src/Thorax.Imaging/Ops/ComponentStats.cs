namespace Thorax.Imaging.Ops;

/// <summary>Statistics of one connected component (OpenCV CC_STAT_* plus centroid).</summary>
/// <param name="Left">Leftmost column (inclusive).</param>
/// <param name="Top">Topmost row (inclusive).</param>
/// <param name="Width">Bounding-box width in pixels.</param>
/// <param name="Height">Bounding-box height in pixels.</param>
/// <param name="Area">Pixel count.</param>
/// <param name="CentroidX">Mean column of the component's pixels.</param>
/// <param name="CentroidY">Mean row of the component's pixels.</param>
public readonly record struct ComponentStats(int Left, int Top, int Width, int Height, int Area, double CentroidX, double CentroidY);
