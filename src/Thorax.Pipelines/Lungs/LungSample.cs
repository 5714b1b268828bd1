namespace Thorax.Pipelines.Lungs;

/// <summary>One preprocessed pair: image (Size x Size, float in [0, 1], CLAHE applied) and binary mask (0/1).</summary>
public sealed record LungSample(string Id, float[] Image, byte[] Mask, int Size, string Source);
