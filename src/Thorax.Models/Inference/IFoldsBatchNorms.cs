namespace Thorax.Models.Inference;

/// <summary>
/// Implemented by modules that call their layers by hand (not through a <c>Sequential</c>) and so must fold their own
/// convolution → batch-norm pairs when <see cref="ModuleFusion.FuseForInference{T}"/> runs.
/// </summary>
public interface IFoldsBatchNorms
{
    /// <summary>
    /// Folds this module's own convolution → batch-norm pairs, typically with <see cref="ModuleFusion.TryFold"/> followed
    /// by <see cref="ModuleFusion.ReplaceChild"/> putting an <c>Identity</c> where the batch norm was, and makes the
    /// forward pass skip the folded batch norms. Called once per module, in evaluation mode with gradients off, before
    /// the module's children are visited.
    /// </summary>
    void FoldBatchNorms();
}
