using Thorax.Training.Optim;
using Optimizer = TorchSharp.torch.optim.Optimizer;
namespace Thorax.Training.Schedulers;

/// <summary>Decays each base learning rate by <c>gamma</c> every epoch: lr = base·γ^epoch.</summary>
/// <remarks>PyTorch: <c>torch.optim.lr_scheduler.ExponentialLR</c>.</remarks>
public sealed class ExponentialLR : LRScheduler
{
    /// <summary>Creates the scheduler and applies epoch 0.</summary>
    /// <param name="optimizer">The optimiser to drive.</param>
    /// <param name="gamma">Multiplicative factor per epoch.</param>
    /// <param name="lastEpoch">-1 for a fresh schedule, or the last completed epoch when resuming.</param>
    public ExponentialLR(Optimizer optimizer, double gamma, int lastEpoch = -1) : base(optimizer, lastEpoch)
    {
        Gamma = gamma;
        InitialStep();
    }

    /// <summary>Multiplicative factor per epoch.</summary>
    public double Gamma { get; }

    private protected override double[] ComputeLrs() => BaseLrs.Select(b => b * Math.Pow(Gamma, LastEpoch)).ToArray();
}
