using Thorax.Training.Optim;
using Optimizer = TorchSharp.torch.optim.Optimizer;
namespace Thorax.Training.Schedulers;

/// <summary>How <see cref="OneCycleLR"/> moves between two values within a phase.</summary>
public enum AnnealStrategy
{
    /// <summary>Half-cosine: end + (start - end)/2·(1 + cos(π·pct)). PyTorch's <c>'cos'</c>.</summary>
    Cos,

    /// <summary>Straight line: start + (end - start)·pct. PyTorch's <c>'linear'</c>.</summary>
    Linear,
}
