using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Saliency;

/// <summary>The terms of one <see cref="UncertaintyWeightedLoss.Compute"/> call (scalars).</summary>
/// <param name="Sum">The weighted total (<c>loss_sum</c>), the quantity trained and used for model selection.</param>
/// <param name="ClassRaw">Cross-entropy of the class logits (<c>class_loss_raw</c>).</param>
/// <param name="ImageRaw">KL divergence of the saliency, batch mean (<c>image_loss_raw</c>).</param>
/// <param name="SigmaClass">σc = exp(lg_sigma_class).</param>
/// <param name="SigmaImage">σi = exp(lg_sigma_image) (1 in the reference, where it is fixed).</param>
public sealed record MultiTaskLoss(Tensor Sum, Tensor ClassRaw, Tensor ImageRaw, Tensor SigmaClass, Tensor SigmaImage) : IDisposable
{
    /// <summary>Disposes the five tensors.</summary>
    public void Dispose()
    {
        Sum.Dispose();
        ClassRaw.Dispose();
        ImageRaw.Dispose();
        SigmaClass.Dispose();
        SigmaImage.Dispose();
    }
}

/// <summary>
/// The reference's uncertainty-weighted multi-task loss (Kendall-style; <c>MTL_UNet_preset.compute_loss</c>):
/// <c>CE/σc² + log(σc + 1) + KL/(2σi²) + log(σi + 1)</c>, σ = exp(lg σ), with σc learnable and σi fixed at 1 unless a
/// learnable log σi is given. KL is <c>KLDivLoss(reduction='batchmean')</c> of the saliency log-probabilities against
/// the per-image normalised gaze map: Σ Q·(log Q − log P) / N, zero target pixels contributing 0.
/// </summary>
public static class UncertaintyWeightedLoss
{
    /// <summary>Computes the loss.</summary>
    /// <param name="classLogits">[N, classes].</param>
    /// <param name="saliencyLogProbabilities">[N, 1, H, W] log-probabilities (<see cref="SaliencyLayers.LogSoftmaxOverPixels"/>).</param>
    /// <param name="labels">[N] int64 class indices.</param>
    /// <param name="gazeTarget">[N, 1, H, W] target distribution (<see cref="NormalizeGaze"/>).</param>
    /// <param name="lgSigmaClass">Log σc (a 0-d parameter).</param>
    /// <param name="lgSigmaImage">Log σi; null for the reference's fixed 0.</param>
    public static MultiTaskLoss Compute(Tensor classLogits, Tensor saliencyLogProbabilities, Tensor labels, Tensor gazeTarget,
        Tensor lgSigmaClass, Tensor? lgSigmaImage = null)
    {
        if (!saliencyLogProbabilities.shape.SequenceEqual(gazeTarget.shape))
            throw new ArgumentException($"saliency [{string.Join(", ", saliencyLogProbabilities.shape)}] and gaze target [{string.Join(", ", gazeTarget.shape)}] differ in shape");
        using var scope = NewDisposeScope();
        var classRaw = functional.cross_entropy(classLogits, labels);
        var imageRaw = KLDivBatchMean(saliencyLogProbabilities, gazeTarget);
        var sc = lgSigmaClass.exp();
        var si = lgSigmaImage is null ? torch.tensor(1f, device: classLogits.device) : lgSigmaImage.exp();
        var sum = classRaw / sc / sc + (sc + 1.0).log() + imageRaw / si / si / 2.0 + (si + 1.0).log();
        var result = new MultiTaskLoss(sum, classRaw, imageRaw, sc, si);
        foreach (var t in new[] { sum, classRaw, imageRaw, sc, si }) scope.MoveToOuter(t);
        return result;
    }

    /// <summary><c>KLDivLoss(reduction='batchmean')(logP, Q)</c>: Σ Q·(log Q − log P) / N with 0·log 0 = 0.</summary>
    public static Tensor KLDivBatchMean(Tensor logP, Tensor q)
    {
        using var scope = NewDisposeScope();
        var qlogq = torch.where(q > 0, q * q.clamp_min(1e-38).log(), torch.zeros_like(q));
        return ((qlogq - q * logP).sum() / logP.shape[0]).MoveToOuterDisposeScope();
    }

    /// <summary>Gaze maps divided by their per-image sum over H and W (the reference's target, <c>Y/Y.sum((-2,-1))</c>).</summary>
    public static Tensor NormalizeGaze(Tensor gaze)
    {
        using var s = gaze.sum([-2L, -1L], keepdim: true);
        return gaze / s;
    }
}
