namespace Thorax.Training.Loop;

/// <summary>
/// Base of the pipeline trainers that run a <see cref="TrainingMethod"/> on the shared <see cref="EpochTrainer"/>: the
/// progress events they forward from the loop they create with <see cref="CreateLoop"/> (<see cref="StepCompleted"/>,
/// <see cref="Resumed"/>, <see cref="EpochCompleted"/>), and <see cref="Finished"/>, raised by the trainer once its run
/// folder is written (<see cref="OnFinished"/>). The run folder's <c>config.json</c> is written with <see cref="RunConfig"/>.
/// </summary>
/// <typeparam name="TOptions">The trainer's settings, validated when it is created.</typeparam>
/// <typeparam name="TEpoch">What <see cref="EpochCompleted"/> reports for a finished epoch: <see cref="EpochResult"/>
/// (<see cref="LoopTrainer{TOptions}"/>) or a trainer's own row type made by <see cref="ToEpoch"/>.</typeparam>
public abstract class LoopTrainer<TOptions, TEpoch>
    where TOptions : ITrainerOptions
{
    /// <summary>Validates and keeps <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">An option is out of range (named in the message).</exception>
    protected LoopTrainer(TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
    }

    /// <summary>The trainer's settings.</summary>
    public TOptions Options { get; }

    /// <summary>Reports (epoch, step within the epoch (1-based), steps per epoch, running mean loss of the epoch) after every step.</summary>
    public event Action<int, int, int, double>? StepCompleted;

    /// <summary>Reports that training resumed after the given finished epoch (from <c>RUN/checkpoints</c>).</summary>
    public event Action<int>? Resumed;

    /// <summary>Reports each finished epoch (after validation, before its checkpoint is written).</summary>
    public event Action<TEpoch>? EpochCompleted;

    /// <summary>Reports that training ended (epochs, time budget or early stopping) and the run folder is written.</summary>
    public event Action? Finished;

    /// <summary>The epoch as <see cref="EpochCompleted"/> reports it (only called when someone listens).</summary>
    protected abstract TEpoch ToEpoch(EpochResult epoch);

    /// <summary>A loop with <paramref name="options"/> whose step, resume and epoch events are forwarded to this trainer's.</summary>
    /// <exception cref="ArgumentException">An option is out of range (named).</exception>
    protected EpochTrainer CreateLoop(EpochTrainerOptions options)
    {
        var loop = new EpochTrainer(options);
        loop.StepCompleted += (e, s, n, l) => StepCompleted?.Invoke(e, s, n, l);
        loop.Resumed += e => Resumed?.Invoke(e);
        loop.EpochCompleted += e => EpochCompleted?.Invoke(ToEpoch(e));
        return loop;
    }

    /// <summary>Raises <see cref="Finished"/>: call it after the run folder's last file is written.</summary>
    protected void OnFinished() => Finished?.Invoke();
}

/// <summary>A <see cref="LoopTrainer{TOptions, TEpoch}"/> that reports each finished epoch as the loop's <see cref="EpochResult"/>.</summary>
public abstract class LoopTrainer<TOptions> : LoopTrainer<TOptions, EpochResult>
    where TOptions : ITrainerOptions
{
    /// <summary>Validates and keeps <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">An option is out of range (named in the message).</exception>
    protected LoopTrainer(TOptions options) : base(options)
    {
    }

    /// <inheritdoc/>
    protected sealed override EpochResult ToEpoch(EpochResult epoch) => epoch;
}

/// <summary>Settings of a <see cref="LoopTrainer{TOptions, TEpoch}"/>: they check themselves when the trainer is created.</summary>
public interface ITrainerOptions
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range and its valid range.</summary>
    void Validate();
}
