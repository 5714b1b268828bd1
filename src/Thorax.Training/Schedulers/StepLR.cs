using Thorax.Training.Optim;
using Optimizer = TorchSharp.torch.optim.Optimizer;
namespace Thorax.Training.Schedulers;

/// <summary>Multiplies each base learning rate by <c>gamma</c> every <c>stepSize</c> epochs: lr = base·γ^⌊epoch/stepSize⌋.</summary>
/// <remarks>PyTorch: <c>torch.optim.lr_scheduler.StepLR</c>.</remarks>
public sealed class StepLR : LRScheduler
{
    /// <summary>Creates the scheduler and applies epoch 0.</summary>
    /// <param name="optimizer">The optimiser to drive.</param>
    /// <param name="stepSize">Epochs between decays, ≥ 1.</param>
    /// <param name="gamma">Multiplicative factor per decay. Default 0.1.</param>
    /// <param name="lastEpoch">-1 for a fresh schedule, or the last completed epoch when resuming.</param>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1, int lastEpoch = -1) : base(optimizer, lastEpoch)
    {
        if (stepSize < 1) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "step_size must be at least 1");
        StepSize = stepSize;
        Gamma = gamma;
        InitialStep();
    }

    /// <summary>Epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>Multiplicative factor per decay.</summary>
    public double Gamma { get; }

    private protected override double[] ComputeLrs()
    {
        var k = Math.Floor((double)LastEpoch / StepSize);
        return BaseLrs.Select(b => b * Math.Pow(Gamma, k)).ToArray();
    }
}
