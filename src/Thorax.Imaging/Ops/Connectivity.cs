namespace Thorax.Imaging.Ops;

/// <summary>Pixel neighbourhood for connected components.</summary>
public enum Connectivity
{
    /// <summary>Edge neighbours only (scipy/skimage connectivity=1).</summary>
    Four = 4,
    /// <summary>Edge and corner neighbours (OpenCV's default).</summary>
    Eight = 8,
}
