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

    /// <summary>
    /// The SIIM-ACR first place's <c>ComboLoss</c>: <c>max(wBce·BCE + wDice·Dice + wFocal·Focal, 1e-5)</c> on logits, with
    /// BCE the stable mean <c>max(x,0) − x·t + log(1+exp(−|x|))</c> over every pixel of the batch; Dice
    /// <c>1 − (2Σpt + 1e-6)/(Σp + Σt + 1e-6)</c> per channel over the whole batch, averaged over channels; Focal
    /// (γ = 2) <c>mean(−(1−pt)²·log pt)</c> with p and t clamped to [1e-8, 1 − 1e-8] and <c>pt = (1−t)(1−p) + t·p</c>.
    /// A zero weight skips its term.
    /// </summary>
    /// <param name="logits">(N, C, H, W) logits.</param>
    /// <param name="target">(N, C, H, W) in [0, 1].</param>
    /// <param name="bce">BCE weight (first place: 3 in albunet_valid/seunet, 2 in resnet50, 1 in albunet_public).</param>
    /// <param name="dice">Dice weight (1 in every first-place config).</param>
    /// <param name="focal">Focal weight (4, 2 or 1).</param>
    /// <returns>A 0-d tensor.</returns>
    public static Tensor Combo(Tensor logits, Tensor target, double bce = 3, double dice = 1, double focal = 4)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(target);
        CheckShapes(logits, target);
        if (logits.dim() != 4) throw new ArgumentException($"expected (N, C, H, W) logits, got [{string.Join(", ", logits.shape)}]", nameof(logits));
        if (bce < 0 || dice < 0 || focal < 0 || bce + dice + focal <= 0)
            throw new ArgumentException($"loss weights must be non-negative and not all zero, got bce {bce}, dice {dice}, focal {focal}");
        Tensor total = torch.zeros(1, dtype: logits.dtype, device: logits.device).squeeze();
        if (bce > 0)
        {
            var l = (logits.clamp_min(0) - logits * target + (-logits.abs()).exp().log1p()).mean();
            total = total + l * bce;
        }
        var p = logits.sigmoid();
        if (dice > 0)
        {
            const double eps = 1e-6;
            long[] dims = [0, 2, 3];
            var inter = (p * target).sum(dims);
            var denom = p.sum(dims) + target.sum(dims);
            var perChannel = 1.0 - (inter * 2.0 + eps) / (denom + eps);
            total = total + perChannel.mean() * dice;
        }
        if (focal > 0)
        {
            const double eps = 1e-8;
            var pc = p.clamp(eps, 1 - eps);
            var tc = target.clamp(eps, 1 - eps);
            var pt = (1.0 - tc) * (1.0 - pc) + tc * pc;
            var l = (-(1.0 - pt).pow(2) * pt.log()).mean();
            total = total + l * focal;
        }
        return total.clamp_min(1e-5);
    }

    private static void CheckShapes(Tensor logits, Tensor target)
    {
        if (!logits.shape.AsSpan().SequenceEqual(target.shape))
            throw new ArgumentException($"logits [{string.Join(", ", logits.shape)}] and target [{string.Join(", ", target.shape)}] differ in shape", nameof(target));
    }
}
