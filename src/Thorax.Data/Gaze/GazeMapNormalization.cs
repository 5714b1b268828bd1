namespace Thorax.Data.Gaze;

/// <summary>How a gaze map is scaled after accumulation.</summary>
public enum GazeMapNormalization
{
    /// <summary>Raw accumulated values.</summary>
    None,

    /// <summary>Divide by the maximum (peak = 1). MT-UNet/CXRGazeLearn, REFLACX per-sentence maps.</summary>
    Max,

    /// <summary>(v - min) / (max - min) into [0, 1]. EGD-CXR heatmap.png (matplotlib auto-scaling, read back as grey).</summary>
    MinMax,

    /// <summary>Divide by the sum (a probability map, sum 1). REFLACX <c>create_heatmap</c>; KL-divergence targets.</summary>
    Sum,
}
