using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Thorax.Training.Loop;

/// <summary>
/// What a training method supplies to <see cref="EpochTrainer"/>: its checkpointed state, one training step (one
/// batch to a loss), its validation (metrics by name), the metric that selects the best epoch and its direction.
/// The trainer owns everything around them: the epoch loop, resuming, checkpoints, the time budget, best-epoch
/// tracking, early stopping, history, progress events and cancellation.
/// </summary>
/// <remarks>
/// <para>Order of calls per epoch: <c>Components.Model.train()</c>, <see cref="BeginEpoch"/>, then
/// <see cref="TrainStep"/> for each step (each inside its own dispose scope), then <see cref="Evaluate"/>; then the
/// trainer steps the plateau scheduler on <see cref="PlateauMetric"/> and the epoch scheduler, and checkpoints.</para>
/// <para>Host-side randomness (shuffling, augmentation) must draw from <see cref="SeededRandom"/>s listed in
/// <see cref="TrainingComponents.Randoms"/> (or torch generators in <see cref="TrainingComponents.Generators"/>) so
/// that a resumed run draws what the uninterrupted run would have drawn. PyTorch analogues: a LightningModule's
/// <c>training_step</c>/<c>validation_step</c>; MONAI's <c>SupervisedTrainer</c> iteration.</para>
/// </remarks>
public abstract class TrainingMethod
{
    /// <summary>
    /// The live objects a checkpoint captures and restores (model, optimiser, schedulers, random sources). The trainer
    /// reads it once per <see cref="EpochTrainer.Fit"/>; its model is the one whose best weights are kept.
    /// </summary>
    public abstract TrainingComponents Components { get; }

    /// <summary>
    /// The settings that define what the run's checkpoints contain (invariant text); a run folder resumes only when
    /// it equals the stored one, otherwise <see cref="EpochTrainer.Fit"/> throws naming both.
    /// </summary>
    public abstract string Fingerprint { get; }

    /// <summary>Names of the metrics <see cref="Evaluate"/> returns, in the column order of <c>history.csv</c>.</summary>
    public abstract IReadOnlyList<string> MetricNames { get; }

    /// <summary>The metric (one of <see cref="MetricNames"/>) that selects the best epoch and drives early stopping.</summary>
    public abstract string SelectionMetric { get; }

    /// <summary>Whether <see cref="SelectionMetric"/> improves upwards or downwards. Default <see cref="MetricGoal.Maximize"/>.</summary>
    public virtual MetricGoal SelectionGoal => MetricGoal.Maximize;

    /// <summary>
    /// Which epoch is kept when an epoch's <see cref="SelectionMetric"/> equals the best so far. Default
    /// <see cref="SelectionTieRule.Earlier"/> (strictly better only). Under <see cref="SelectionTieRule.Later"/> the tying
    /// epoch becomes the best epoch (its weights are kept), but early-stopping patience is not reset by it: patience
    /// counts from the first epoch that reached the best value, as under the default rule.
    /// </summary>
    public virtual SelectionTieRule SelectionTies => SelectionTieRule.Earlier;

    /// <summary>
    /// The metric the components' <see cref="TrainingComponents.PlateauScheduler"/> is stepped on after each epoch;
    /// required when there is a plateau scheduler. Default null.
    /// </summary>
    public virtual string? PlateauMetric => null;

    /// <summary>When the components' <see cref="TrainingComponents.Scheduler"/> is stepped. Default per epoch.</summary>
    public virtual SchedulerInterval SchedulerInterval => SchedulerInterval.Epoch;

    /// <summary>
    /// The method's own state that later epochs depend on and that is not in <see cref="Components"/> (e.g. the learning
    /// rate seen at the previous epoch start), as JSON; stored in every checkpoint and handed to <see cref="RestoreState"/>
    /// on resume, so a killed run continues exactly as the uninterrupted one. Called after each epoch (after the
    /// schedulers stepped). Default null: no state.
    /// </summary>
    public virtual JsonNode? CaptureState() => null;

    /// <summary>
    /// Restores what <see cref="CaptureState"/> returned when the resumed checkpoint was written (called once, before the
    /// first resumed epoch's <see cref="BeginEpoch"/>; not called on a fresh run or for a checkpoint without method state).
    /// </summary>
    /// <exception cref="InvalidDataException">The state is malformed (name the field).</exception>
    public virtual void RestoreState(JsonNode state)
    {
    }

    /// <summary>Prepares epoch <paramref name="epoch"/> (1-based), e.g. draws its shuffled order, and returns its number of steps (at least 1).</summary>
    public abstract int BeginEpoch(int epoch);

    /// <summary>The loss of one training batch (step <paramref name="step"/>, 0-based, of epoch <paramref name="epoch"/>), with its graph.</summary>
    public abstract Tensor ComputeLoss(int epoch, int step);

    /// <summary>
    /// One optimiser step: <see cref="ComputeLoss"/>, zero the gradients, backward, <c>Optimizer.step()</c>; returns the
    /// loss value. Override for gradient clipping, mixed precision or several optimisers. Runs inside a dispose scope.
    /// </summary>
    public virtual double TrainStep(int epoch, int step)
    {
        var optimizer = Components.Optimizer
            ?? throw new InvalidOperationException($"{GetType().Name}: TrainingComponents.Optimizer is null; set it or override TrainStep");
        var loss = ComputeLoss(epoch, step);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        return loss.item<float>();
    }

    /// <summary>
    /// Validation after epoch <paramref name="epoch"/>: every name of <see cref="MetricNames"/> to its value. Switch the
    /// model to eval mode and back to train mode as needed (the trainer sets train mode at each epoch start).
    /// </summary>
    public abstract IReadOnlyDictionary<string, double> Evaluate(int epoch);
}
