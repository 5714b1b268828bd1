namespace Thorax.Training.Loop;

/// <summary>Which way a selection metric improves.</summary>
public enum MetricGoal
{
    /// <summary>Higher is better (Dice, AUC, accuracy).</summary>
    Maximize,

    /// <summary>Lower is better (a loss, an error).</summary>
    Minimize,
}

/// <summary>
/// Which epoch <see cref="EpochTrainer"/> keeps when a later epoch's selection metric equals the best so far
/// (<see cref="TrainingMethod.SelectionTies"/>).
/// </summary>
public enum SelectionTieRule
{
    /// <summary>Keep the earlier epoch: a later epoch replaces the best only when strictly better (PyTorch code's
    /// <c>if score &gt; best</c>). The default.</summary>
    Earlier,

    /// <summary>Keep the later epoch: a later epoch that equals the best replaces it (<c>if score &gt;= best</c>, as in
    /// the ConTEXTual Net reference). Early-stopping patience still counts from the first epoch that reached the best
    /// value: a tie moves the best epoch but does not reset patience.</summary>
    Later,
}

/// <summary>When <see cref="EpochTrainer"/> steps the method's <see cref="TrainingComponents.Scheduler"/>.</summary>
public enum SchedulerInterval
{
    /// <summary>Once per epoch, after validation (StepLR, CosineAnnealingLR over epochs).</summary>
    Epoch,

    /// <summary>After every optimiser step (OneCycleLR, warm-up over iterations).</summary>
    Step,
}

/// <summary>Why <see cref="EpochTrainer.Fit"/> stopped training.</summary>
public enum TrainingStopReason
{
    /// <summary>The last epoch of <see cref="EpochTrainerOptions.Epochs"/> finished.</summary>
    Epochs,

    /// <summary>The run's total wall time reached <see cref="EpochTrainerOptions.TimeBudget"/> (the epoch then running was
    /// ended early, see <see cref="EpochResult.Partial"/>), or the next epoch would have ended past it
    /// (<see cref="EpochTrainerResult.StopDetail"/> says which).</summary>
    TimeBudget,

    /// <summary>The selection metric had not improved for <see cref="EpochTrainerOptions.EarlyStoppingPatience"/> epochs.</summary>
    EarlyStopping,
}
