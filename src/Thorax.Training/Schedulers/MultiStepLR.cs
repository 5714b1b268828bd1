using Thorax.Training.Optim;
using Optimizer = TorchSharp.torch.optim.Optimizer;
namespace Thorax.Training.Schedulers;

/// <summary>
/// Multiplies each base learning rate by <c>gamma</c> once per milestone passed: lr = base·γ^(number of milestones ≤
/// epoch). A milestone listed twice counts twice.
/// </summary>
/// <remarks>PyTorch: <c>torch.optim.lr_scheduler.MultiStepLR</c>.</remarks>
public sealed class MultiStepLR : LRScheduler
{
    private readonly int[] _milestones;

    /// <summary>Creates the scheduler and applies epoch 0.</summary>
    /// <param name="optimizer">The optimiser to drive.</param>
    /// <param name="milestones">Epoch indices at which the rate decays (any order; repeats compound).</param>
    /// <param name="gamma">Multiplicative factor per milestone. Default 0.1.</param>
    /// <param name="lastEpoch">-1 for a fresh schedule, or the last completed epoch when resuming.</param>
    public MultiStepLR(Optimizer optimizer, IEnumerable<int> milestones, double gamma = 0.1, int lastEpoch = -1) : base(optimizer, lastEpoch)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        _milestones = milestones.Order().ToArray();
        Gamma = gamma;
        InitialStep();
    }

    /// <summary>Sorted milestones.</summary>
    public IReadOnlyList<int> Milestones => _milestones;

    /// <summary>Multiplicative factor per milestone.</summary>
    public double Gamma { get; }

    private protected override double[] ComputeLrs()
    {
        var passed = 0;
        while (passed < _milestones.Length && _milestones[passed] <= LastEpoch) passed++;
        return BaseLrs.Select(b => b * Math.Pow(Gamma, passed)).ToArray();
    }
}
