namespace Thorax.Imaging.Ops;

/// <summary>Result of connected-component labelling.</summary>
public sealed class ComponentLabels
{
    internal ComponentLabels(Image<int> labels, ComponentStats[] stats)
    {
        Labels = labels;
        Stats = stats;
    }

    /// <summary>Per-pixel label: 0 background, 1..Count-1 components.</summary>
    public Image<int> Labels { get; }

    /// <summary>Statistics indexed by label; index 0 describes the background pixels.</summary>
    public IReadOnlyList<ComponentStats> Stats { get; }

    /// <summary>Number of labels including the background (OpenCV's return value).</summary>
    public int Count => Stats.Count;
}
