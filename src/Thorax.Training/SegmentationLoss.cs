using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Training;

/// <summary>Losses for binary segmentation on logits.</summary>
public static class SegmentationLoss
{
    /// <summary>
    /// Soft Dice loss <c>1 - (2·Σ p·t + smooth) / (Σ p + Σ t + smooth)</c> with <c>p = sigmoid(logits)</c>, summed over
    /// the whole batch (CXLSeg's Keras metric is batch-global too).
    /// </summary>
    /// <param name="logits">(N, 1, H, W) float32 logits.</param>
    /// <param name="target">(N, 1, H, W) float32 in {0, 1}.</param>
    /// <param name="smooth">Additive smoothing (CXLSeg: 1e-15; 1 is the common PyTorch choice).</param>
    /// <returns>A 0-d tensor (intermediates go to the caller's dispose scope).</returns>
    public static Tensor Dice(Tensor logits, Tensor target, double smooth = 1.0)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(target);
        CheckShapes(logits, target);
        var p = logits.sigmoid();
        var inter = (p * target).sum();
        var denom = p.sum() + target.sum();
        return 1.0 - (inter * 2.0 + smooth) / (denom + smooth);
    }

    /// <summary>BCE-with-logits (mean) + soft Dice loss, CXLSeg's "BCE + (1 - Dice)".</summary>
    public static Tensor BceDice(Tensor logits, Tensor target, double smooth = 1.0)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(target);
        CheckShapes(logits, target);
        return nn.functional.binary_cross_entropy_with_logits(logits, target) + Dice(logits, target, smooth);
    }

    private static void CheckShapes(Tensor logits, Tensor target)
    {
        if (!logits.shape.AsSpan().SequenceEqual(target.shape))
            throw new ArgumentException($"logits [{string.Join(", ", logits.shape)}] and target [{string.Join(", ", target.shape)}] differ in shape", nameof(target));
    }
}
