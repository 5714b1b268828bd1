namespace Thorax.Training.Loop;

/// <summary>What <see cref="EpochTrainer.Fit"/> did.</summary>
/// <param name="History">Every finished epoch of the run, resumed parts included, oldest first.</param>
/// <param name="BestEpoch">The epoch whose weights the model holds after Fit (0 when no epoch improved on the start,
/// e.g. all metrics NaN; the model then holds the last epoch's weights).</param>
/// <param name="StopReason">Why training stopped.</param>
/// <param name="ResumedAfterEpoch">The checkpointed epoch the run continued from, or null for a fresh run.</param>
/// <param name="TrainSeconds">Wall time of all training so far, resumed parts included.</param>
/// <param name="Steps">Optimiser steps taken so far, resumed parts included.</param>
public sealed record EpochTrainerResult(IReadOnlyList<EpochResult> History, int BestEpoch, TrainingStopReason StopReason,
    int? ResumedAfterEpoch, double TrainSeconds, long Steps)
{
    /// <summary>
    /// Why training stopped, in a sentence, for the time budget (e.g. that it ran out inside epoch 7 after 120 of 400
    /// steps, or that the next epoch, at the mean duration of the run's full epochs, would have ended past it); null for
    /// the other reasons.
    /// </summary>
    public string? StopDetail { get; init; }

    /// <summary>The history row of <see cref="BestEpoch"/>, or null when it is 0.</summary>
    public EpochResult? Best => History.FirstOrDefault(h => h.Epoch == BestEpoch);
}
