namespace Thorax.Pipelines.GdVig;

/// <summary>One image's GD-ViG output.</summary>
/// <param name="File">The input file.</param>
/// <param name="Logits">Raw class scores.</param>
/// <param name="Probabilities">Softmax of the logits.</param>
/// <param name="PredictedClass">Index of the largest logit.</param>
/// <param name="GazeMap">The GMG's gaze map, 224x224 row-major, before any normalisation (ReLU output, ≥ 0).</param>
/// <param name="Input">The 8-bit grey image resized to 224x224 (for overlays).</param>
public sealed record GdVigPrediction(string File, float[] Logits, float[] Probabilities, int PredictedClass, float[] GazeMap,
    Imaging.Image<byte> Input);
