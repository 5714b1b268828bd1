using Thorax.Training.Optim;
using Optimizer = TorchSharp.torch.optim.Optimizer;
namespace Thorax.Training.Schedulers;

/// <summary>Whether <see cref="ReduceLROnPlateau"/> waits for the metric to go down or up.</summary>
public enum PlateauMode
{
    /// <summary>Lower is better (losses). PyTorch's <c>'min'</c>.</summary>
    Min,

    /// <summary>Higher is better (accuracy, Dice, AUC). PyTorch's <c>'max'</c>.</summary>
    Max,
}

/// <summary>How <see cref="ReduceLROnPlateau"/> measures a significant improvement.</summary>
public enum ThresholdMode
{
    /// <summary>Relative: better than best·(1 ∓ threshold). PyTorch's <c>'rel'</c>.</summary>
    Rel,

    /// <summary>Absolute: better than best ∓ threshold. PyTorch's <c>'abs'</c>.</summary>
    Abs,
}
