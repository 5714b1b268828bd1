namespace Thorax.Training.Loop;

/// <summary>Settings of the <see cref="EpochTrainer"/> loop (the method's own settings live in the method).</summary>
public sealed record EpochTrainerOptions
{
    /// <summary>Last epoch number (1-based) to train; a resumed run continues up to it. Default 10.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>
    /// Wall-clock budget of the whole run, resumed parts included. Checked after every step: when it is reached inside an
    /// epoch, that epoch ends early (<see cref="EpochResult.Partial"/>) and is evaluated, recorded and checkpointed as
    /// usual, then training stops; a later run with a larger budget resumes after it (the partial epoch counts as done).
    /// Before each epoch, training also stops when the mean duration of the run's full epochs would take it past the
    /// budget. At least one step always runs. Default: no limit.
    /// </summary>
    public TimeSpan TimeBudget { get; init; } = TimeSpan.MaxValue;

    /// <summary>
    /// Stop when the selection metric has not improved for this many epochs after the best one (counted from the first
    /// epoch that reached the best value: a tie kept under <see cref="SelectionTieRule.Later"/> does not reset it); 0 turns
    /// early stopping off. Default 0.
    /// </summary>
    public int EarlyStoppingPatience { get; init; }

    /// <summary>
    /// Deterministic mode: the loop runs on one intra-op thread (TorchSharp has no <c>use_deterministic_algorithms</c>;
    /// libtorch's CPU kernels are deterministic at a fixed thread count), so equal settings give bit-identical weights
    /// and a killed run resumes to exactly the weights of an uninterrupted one. See <see cref="DeterministicThreads"/>.
    /// </summary>
    public bool Deterministic { get; init; }

    /// <summary>How many of the newest per-epoch checkpoints to keep under <c>RUN/checkpoints/</c>; 0 keeps all. Default 2.</summary>
    public int KeepCheckpoints { get; init; } = 2;

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting and its valid range.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"epochs must be at least 1, got {Epochs}");
        if (TimeBudget <= TimeSpan.Zero) throw new ArgumentException($"time budget must be positive, got {TimeBudget}");
        if (EarlyStoppingPatience < 0) throw new ArgumentException($"early-stopping patience must be 0 (off) or more, got {EarlyStoppingPatience}");
        if (KeepCheckpoints < 0) throw new ArgumentException($"kept checkpoints must be 0 (all) or more, got {KeepCheckpoints}");
    }
}
