using Thorax.Training.Optim;
using Optimizer = TorchSharp.torch.optim.Optimizer;
namespace Thorax.Training.Schedulers;

/// <summary>
/// Cosine annealing from each base learning rate down to <c>etaMin</c> over <c>tMax</c> epochs:
/// lr = ηmin + (base - ηmin)·(1 + cos(π·epoch/Tmax))/2 (continuing as a cosine wave past Tmax, like PyTorch).
/// </summary>
/// <remarks>PyTorch: <c>torch.optim.lr_scheduler.CosineAnnealingLR</c> (its closed form).</remarks>
public sealed class CosineAnnealingLR : LRScheduler
{
    /// <summary>Creates the scheduler and applies epoch 0.</summary>
    /// <param name="optimizer">The optimiser to drive.</param>
    /// <param name="tMax">Epochs of the half cosine period, ≥ 1.</param>
    /// <param name="etaMin">Minimum learning rate. Default 0.</param>
    /// <param name="lastEpoch">-1 for a fresh schedule, or the last completed epoch when resuming.</param>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0, int lastEpoch = -1) : base(optimizer, lastEpoch)
    {
        if (tMax < 1) throw new ArgumentOutOfRangeException(nameof(tMax), tMax, "T_max must be at least 1");
        TMax = tMax;
        EtaMin = etaMin;
        InitialStep();
    }

    /// <summary>Epochs of the half cosine period (PyTorch's <c>T_max</c>).</summary>
    public int TMax { get; }

    /// <summary>Minimum learning rate (PyTorch's <c>eta_min</c>).</summary>
    public double EtaMin { get; }

    private protected override double[] ComputeLrs() =>
        BaseLrs.Select(b => EtaMin + (b - EtaMin) * (1 + Math.Cos(Math.PI * LastEpoch / TMax)) / 2).ToArray();
}
