namespace Thorax.Optim;

/// <summary>
/// The 1cycle policy, evaluated per batch: the learning rate rises from maxLr/divFactor to maxLr over the first
/// <c>pctStart</c> of <c>totalSteps</c>, then anneals to initial/finalDivFactor (three-phase: back to the initial rate
/// first, then to the minimum). With <c>cycleMomentum</c> the momentum moves inversely between maxMomentum and
/// baseMomentum: SGD's <c>momentum</c>, or β1 of Adam-style <c>betas</c>.
/// </summary>
/// <remarks>
/// Stores <c>initial_lr</c>, <c>max_lr</c>, <c>min_lr</c> (and <c>max_momentum</c>, <c>base_momentum</c>) in each
/// parameter group, like PyTorch. Stepping more than <c>totalSteps</c> times throws.
/// PyTorch: <c>torch.optim.lr_scheduler.OneCycleLR</c>.
/// </remarks>
public sealed class OneCycleLR : LRScheduler
{
    private readonly (double EndStep, string StartLr, string EndLr, string StartMomentum, string EndMomentum)[] _phases;
    private readonly bool _useBeta1;

    /// <summary>Creates the scheduler with one peak rate for every group and applies step 0.</summary>
    /// <inheritdoc cref="OneCycleLR(Optimizer, IReadOnlyList{double}, int, double, AnnealStrategy, bool, double, double, double, double, bool, int)"/>
    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps, double pctStart = 0.3, AnnealStrategy annealStrategy = AnnealStrategy.Cos,
        bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95, double divFactor = 25, double finalDivFactor = 1e4,
        bool threePhase = false, int lastEpoch = -1)
        : this(optimizer, Enumerable.Repeat(maxLr, optimizer?.ParamGroups.Count ?? 0).ToArray(), totalSteps, pctStart, annealStrategy,
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
        : base(Prepare(optimizer, maxLrs, totalSteps, pctStart, cycleMomentum, baseMomentum, maxMomentum, divFactor, finalDivFactor, lastEpoch), lastEpoch)
    {
        TotalSteps = totalSteps;
        Strategy = annealStrategy;
        CycleMomentum = cycleMomentum;
        _useBeta1 = cycleMomentum && optimizer.Defaults.ContainsKey("betas");
        var up = pctStart * totalSteps - 1;
        _phases = threePhase
            ? new[]
            {
                (up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (2 * pctStart * totalSteps - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                ((double)totalSteps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            }
            : new[]
            {
                (up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                ((double)totalSteps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            };
        InitialStep();
    }

    /// <summary>Number of steps in the cycle.</summary>
    public int TotalSteps { get; }

    /// <summary>Annealing shape.</summary>
    public AnnealStrategy Strategy { get; }

    /// <summary>Whether momentum is cycled.</summary>
    public bool CycleMomentum { get; }

    private static Optimizer Prepare(Optimizer optimizer, IReadOnlyList<double> maxLrs, int totalSteps, double pctStart, bool cycleMomentum,
        double baseMomentum, double maxMomentum, double divFactor, double finalDivFactor, int lastEpoch)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(maxLrs);
        var groups = optimizer.ParamGroups;
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "expected positive integer total_steps");
        if (!(pctStart >= 0 && pctStart <= 1)) throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, "expected pct_start between 0 and 1");
        if (maxLrs.Count != groups.Count) throw new ArgumentException($"expected {groups.Count} values for max_lr, got {maxLrs.Count}", nameof(maxLrs));
        var useBeta1 = false;
        if (cycleMomentum)
        {
            var d = optimizer.Defaults;
            if (!d.ContainsKey("momentum") && !d.ContainsKey("betas"))
                throw new ArgumentException("optimizer must support momentum (SGD momentum or Adam betas) with cycle_momentum enabled", nameof(optimizer));
            useBeta1 = d.ContainsKey("betas");
        }
        if (lastEpoch == -1)
        {
            for (var i = 0; i < groups.Count; i++)
            {
                var g = groups[i];
                var initial = maxLrs[i] / divFactor;
                g.Set("initial_lr", initial);
                g.Set("max_lr", maxLrs[i]);
                g.Set("min_lr", initial / finalDivFactor);
                if (!cycleMomentum) continue;
                if (useBeta1) g.Set("betas", (maxMomentum, g.GetPair("betas").Item2));
                else g.Set("momentum", maxMomentum);
                g.Set("max_momentum", maxMomentum);
                g.Set("base_momentum", baseMomentum);
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

    private protected override double[] ComputeLrs()
    {
        var stepNum = LastEpoch;
        if (stepNum > TotalSteps)
            throw new InvalidOperationException($"tried to step {stepNum + 1} times; the cycle has {TotalSteps} total steps");
        var groups = Optimizer.ParamGroups;
        var lrs = new double[groups.Count];
        for (var gi = 0; gi < groups.Count; gi++)
        {
            var g = groups[gi];
            double start = 0, lr = 0, momentum = 0;
            for (var i = 0; i < _phases.Length; i++)
            {
                var ph = _phases[i];
                if (stepNum <= ph.EndStep || i == _phases.Length - 1)
                {
                    var pct = (stepNum - start) / (ph.EndStep - start);
                    lr = Anneal(g.GetDouble(ph.StartLr), g.GetDouble(ph.EndLr), pct);
                    if (CycleMomentum) momentum = Anneal(g.GetDouble(ph.StartMomentum), g.GetDouble(ph.EndMomentum), pct);
                    break;
                }
                start = ph.EndStep;
            }
            lrs[gi] = lr;
            if (!CycleMomentum) continue;
            if (_useBeta1) g.Set("betas", (momentum, g.GetPair("betas").Item2));
            else g.Set("momentum", momentum);
        }
        return lrs;
    }
}
