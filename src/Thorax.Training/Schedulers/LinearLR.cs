using Thorax.Training.Optim;
using Optimizer = TorchSharp.torch.optim.Optimizer;
namespace Thorax.Training.Schedulers;

/// <summary>
/// Linear change of the multiplicative factor from <c>startFactor</c> to <c>endFactor</c> over <c>totalIters</c>
/// epochs, then constant: lr = base·(start + (end - start)·min(epoch, totalIters)/totalIters). With
/// startFactor &lt; 1 = end this is the usual linear warm-up.
/// </summary>
/// <remarks>PyTorch: <c>torch.optim.lr_scheduler.LinearLR</c>.</remarks>
public sealed class LinearLR : LRScheduler
{
    /// <summary>Creates the scheduler and applies epoch 0.</summary>
    /// <param name="optimizer">The optimiser to drive.</param>
    /// <param name="startFactor">Factor at epoch 0, in [0, 1]. Default 1/3.</param>
    /// <param name="endFactor">Factor from <paramref name="totalIters"/> on, in [0, 1]. Default 1.</param>
    /// <param name="totalIters">Epochs of the ramp, ≥ 1. Default 5.</param>
    /// <param name="lastEpoch">-1 for a fresh schedule, or the last completed epoch when resuming.</param>
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5, int lastEpoch = -1)
        : base(optimizer, lastEpoch)
    {
        if (!(startFactor >= 0 && startFactor <= 1)) throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, "starting multiplicative factor expected to be between 0 and 1");
        if (!(endFactor >= 0 && endFactor <= 1)) throw new ArgumentOutOfRangeException(nameof(endFactor), endFactor, "ending multiplicative factor expected to be between 0 and 1");
        if (totalIters < 1) throw new ArgumentOutOfRangeException(nameof(totalIters), totalIters, "total_iters must be at least 1");
        StartFactor = startFactor;
        EndFactor = endFactor;
        TotalIters = totalIters;
        InitialStep();
    }

    /// <summary>Factor at epoch 0.</summary>
    public double StartFactor { get; }

    /// <summary>Factor from <see cref="TotalIters"/> on.</summary>
    public double EndFactor { get; }

    /// <summary>Epochs of the ramp.</summary>
    public int TotalIters { get; }

    private protected override double[] ComputeLrs() =>
        BaseLrs.Select(b => b * (StartFactor + (EndFactor - StartFactor) * Math.Min(TotalIters, LastEpoch) / TotalIters)).ToArray();
}
