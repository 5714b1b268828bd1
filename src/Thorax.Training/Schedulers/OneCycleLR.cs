using Thorax.Training.Optim;
using Optimizer = TorchSharp.torch.optim.Optimizer;
namespace Thorax.Training.Schedulers;

/// <summary>
/// The 1cycle policy, evaluated per batch: the learning rate rises from maxLr/divFactor to maxLr over the first
/// <c>pctStart</c> of <c>totalSteps</c>, then anneals to initial/finalDivFactor (three-phase: back to the initial rate
/// first, then to the minimum). With <c>cycleMomentum</c> the momentum moves inversely between maxMomentum and
/// baseMomentum: SGD's <c>momentum</c>, or β1 of Adam-style <c>betas</c>.
/// </summary>
/// <remarks>
/// Sets each group's <c>initial_lr</c> (TorchSharp's <c>InitialLearningRate</c>) like PyTorch; the other values PyTorch
/// keeps in the group (<c>max_lr</c>, <c>min_lr</c>, <c>max_momentum</c>, <c>base_momentum</c>) are kept by the scheduler
/// (TorchSharp's typed option records have no room for them) and are recomputed from the constructor's arguments, so a
/// restored run gets them from its own construction. Stepping more than <c>totalSteps</c> times throws.
/// PyTorch: <c>torch.optim.lr_scheduler.OneCycleLR</c>.
/// </remarks>
public sealed class OneCycleLR : LRScheduler
{
    private enum Point { Initial, Max, Min }

    private readonly (double EndStep, Point StartLr, Point EndLr, bool StartAtMaxMomentum, bool EndAtMaxMomentum)[] _phases;
    private readonly double[] _maxLrs;
    private readonly double[] _minLrs;
    private readonly double[] _initialLrs;

    /// <summary>Creates the scheduler with one peak rate for every group and applies step 0.</summary>
    /// <inheritdoc cref="OneCycleLR(Optimizer, IReadOnlyList{double}, int, double, AnnealStrategy, bool, double, double, double, double, bool, int)"/>
    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps, double pctStart = 0.3, AnnealStrategy annealStrategy = AnnealStrategy.Cos,
        bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95, double divFactor = 25, double finalDivFactor = 1e4,
        bool threePhase = false, int lastEpoch = -1)
        : this(optimizer, Enumerable.Repeat(maxLr, optimizer is null ? 0 : OptimizerGroups.Of(optimizer).Count).ToArray(), totalSteps, pctStart, annealStrategy,
            cycleMomentum, baseMomentum, maxMomentum, divFactor, finalDivFactor, threePhase, lastEpoch) { }

    /// <summary>Creates the scheduler with a peak rate per group and applies step 0.</summary>
    /// <param name="optimizer">The optimiser to drive.</param>
    /// <param name="maxLrs">Peak learning rate of each group.</param>
    /// <param name="totalSteps">Number of scheduler steps in the cycle (epochs × steps per epoch), ≥ 1.</param>
    /// <param name="pctStart">Fraction of the cycle spent increasing the rate, in [0, 1]. Default 0.3.</param>
    /// <param name="annealStrategy">Cosine or linear annealing. Default cosine.</param>
    /// <param name="cycleMomentum">Cycle momentum (SGD <c>momentum</c> or β1 of <c>betas</c>) inversely to the rate. Default true.</param>
    /// <param name="baseMomentum">Momentum at the peak rate. Default 0.85.</param>
    /// <param name="maxMomentum">Momentum at the start and end. Default 0.95.</param>
    /// <param name="divFactor">initial_lr = maxLr / divFactor. Default 25.</param>
    /// <param name="finalDivFactor">min_lr = initial_lr / finalDivFactor. Default 1e4.</param>
    /// <param name="threePhase">Use the three-phase schedule (up, back down to initial, then to minimum). Default false.</param>
    /// <param name="lastEpoch">-1 for a fresh schedule, or the last completed step when resuming.</param>
    public OneCycleLR(Optimizer optimizer, IReadOnlyList<double> maxLrs, int totalSteps, double pctStart = 0.3, AnnealStrategy annealStrategy = AnnealStrategy.Cos,
        bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95, double divFactor = 25, double finalDivFactor = 1e4,
        bool threePhase = false, int lastEpoch = -1)
        : base(Prepare(optimizer, maxLrs, totalSteps, pctStart, cycleMomentum, maxMomentum, divFactor, lastEpoch), lastEpoch)
    {
        TotalSteps = totalSteps;
        Strategy = annealStrategy;
        CycleMomentum = cycleMomentum;
        BaseMomentum = baseMomentum;
        MaxMomentum = maxMomentum;
        _maxLrs = maxLrs.ToArray();
        _initialLrs = _maxLrs.Select(m => m / divFactor).ToArray();
        _minLrs = _initialLrs.Select(i => i / finalDivFactor).ToArray();
        var up = pctStart * totalSteps - 1;
        _phases = threePhase
            ? new[]
            {
                (up, Point.Initial, Point.Max, true, false),
                (2 * pctStart * totalSteps - 2, Point.Max, Point.Initial, false, true),
                ((double)totalSteps - 1, Point.Initial, Point.Min, true, true),
            }
            : new[]
            {
                (up, Point.Initial, Point.Max, true, false),
                ((double)totalSteps - 1, Point.Max, Point.Min, false, true),
            };
        InitialStep();
    }

    /// <summary>Number of steps in the cycle.</summary>
    public int TotalSteps { get; }

    /// <summary>Annealing shape.</summary>
    public AnnealStrategy Strategy { get; }

    /// <summary>Whether momentum is cycled.</summary>
    public bool CycleMomentum { get; }

    /// <summary>Momentum at the peak rate (PyTorch's <c>base_momentum</c>).</summary>
    public double BaseMomentum { get; }

    /// <summary>Momentum at the start and end (PyTorch's <c>max_momentum</c>).</summary>
    public double MaxMomentum { get; }

    /// <summary>Each group's peak rate (PyTorch's group <c>max_lr</c>).</summary>
    public IReadOnlyList<double> MaxLrs => _maxLrs;

    /// <summary>Each group's final rate (PyTorch's group <c>min_lr</c>).</summary>
    public IReadOnlyList<double> MinLrs => _minLrs;

    private static Optimizer Prepare(Optimizer optimizer, IReadOnlyList<double> maxLrs, int totalSteps, double pctStart, bool cycleMomentum,
        double maxMomentum, double divFactor, int lastEpoch)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(maxLrs);
        var groups = OptimizerGroups.Of(optimizer);
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "expected positive integer total_steps");
        if (!(pctStart >= 0 && pctStart <= 1)) throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, "expected pct_start between 0 and 1");
        if (maxLrs.Count != groups.Count) throw new ArgumentException($"expected {groups.Count} values for max_lr, got {maxLrs.Count}", nameof(maxLrs));
        if (cycleMomentum && !OptimizerGroups.HasMomentum(optimizer) && !OptimizerGroups.HasBetas(optimizer))
            throw new ArgumentException("optimizer must support momentum (SGD momentum or Adam betas) with cycle_momentum enabled", nameof(optimizer));
        if (lastEpoch == -1)
        {
            for (var i = 0; i < groups.Count; i++)
            {
                OptimizerGroups.SetInitialLr(groups[i], maxLrs[i] / divFactor);
                if (cycleMomentum) OptimizerGroups.SetMomentum(groups[i], maxMomentum);
            }
        }
        return optimizer;
    }

    private double Anneal(double start, double end, double pct)
    {
        if (Strategy == AnnealStrategy.Linear) return (end - start) * pct + start;
        var cosOut = Math.Cos(Math.PI * pct) + 1;
        return end + (start - end) / 2.0 * cosOut;
    }

    private double Lr(Point p, int group) => p switch
    {
        Point.Initial => _initialLrs[group],
        Point.Max => _maxLrs[group],
        _ => _minLrs[group],
    };

    private protected override double[] ComputeLrs()
    {
        var stepNum = LastEpoch;
        if (stepNum > TotalSteps)
            throw new InvalidOperationException($"tried to step {stepNum + 1} times; the cycle has {TotalSteps} total steps");
        var groups = OptimizerGroups.Of(Optimizer);
        var lrs = new double[groups.Count];
        for (var gi = 0; gi < groups.Count; gi++)
        {
            double start = 0, lr = 0, momentum = 0;
            for (var i = 0; i < _phases.Length; i++)
            {
                var ph = _phases[i];
                if (stepNum <= ph.EndStep || i == _phases.Length - 1)
                {
                    var pct = (stepNum - start) / (ph.EndStep - start);
                    lr = Anneal(Lr(ph.StartLr, gi), Lr(ph.EndLr, gi), pct);
                    if (CycleMomentum)
                        momentum = Anneal(ph.StartAtMaxMomentum ? MaxMomentum : BaseMomentum, ph.EndAtMaxMomentum ? MaxMomentum : BaseMomentum, pct);
                    break;
                }
                start = ph.EndStep;
            }
            lrs[gi] = lr;
            if (CycleMomentum) OptimizerGroups.SetMomentum(groups[gi], momentum);
        }
        return lrs;
    }
}
