using Thorax.Training.Optim;
using Optimizer = TorchSharp.torch.optim.Optimizer;
using System.Text.Json.Nodes;

namespace Thorax.Training.Schedulers;

/// <summary>
/// Runs several schedulers one after another on the same optimiser: scheduler i+1 takes over at milestone i and
/// starts from its own epoch 0 (e.g. linear warm-up for 5 epochs, then cosine annealing).
/// </summary>
/// <remarks>
/// Build the child schedulers on the optimiser first (each applies its epoch 0), then this; like PyTorch it resets
/// the learning rates to <c>initial_lr</c> and restarts the first child. PyTorch: <c>torch.optim.lr_scheduler.SequentialLR</c>.
/// </remarks>
public sealed class SequentialLR : LRScheduler
{
    private readonly LRScheduler[] _schedulers;
    private readonly int[] _milestones;

    /// <summary>Creates the sequence and restarts the first scheduler at epoch 0.</summary>
    /// <param name="optimizer">The optimiser all <paramref name="schedulers"/> drive.</param>
    /// <param name="schedulers">The schedulers in order (at least one).</param>
    /// <param name="milestones">Epochs at which the next scheduler takes over; ascending, one fewer than the schedulers.</param>
    /// <param name="lastEpoch">-1 for a fresh schedule.</param>
    public SequentialLR(Optimizer optimizer, IReadOnlyList<LRScheduler> schedulers, IReadOnlyList<int> milestones, int lastEpoch = -1)
        : base(optimizer, lastEpoch)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        ArgumentNullException.ThrowIfNull(milestones);
        if (schedulers.Count == 0) throw new ArgumentException("SequentialLR needs at least one scheduler", nameof(schedulers));
        for (var i = 0; i < schedulers.Count; i++)
            if (!ReferenceEquals(schedulers[i].Optimizer, optimizer))
                throw new ArgumentException($"Sequential schedulers expect all schedulers to belong to the same optimizer, but scheduler {i} drives another one", nameof(schedulers));
        if (milestones.Count != schedulers.Count - 1)
            throw new ArgumentException($"Sequential schedulers expect one milestone fewer than schedulers, got {schedulers.Count} schedulers and {milestones.Count} milestones", nameof(milestones));
        for (var i = 1; i < milestones.Count; i++)
            if (milestones[i] < milestones[i - 1]) throw new ArgumentException("milestones must be ascending", nameof(milestones));
        _schedulers = schedulers.ToArray();
        _milestones = milestones.ToArray();
        LastEpoch = lastEpoch + 1;
        foreach (var g in OptimizerGroups.Of(optimizer)) g.LearningRate = g.InitialLearningRate;
        foreach (var s in _schedulers) s.LastEpoch -= 1;
        _schedulers[0].InitialStep();
        RecordLastLr();
    }

    /// <summary>
    /// Linear warm-up from <paramref name="warmupStartFactor"/>·lr to lr over <paramref name="warmupSteps"/> steps, then
    /// cosine annealing to <paramref name="etaMin"/> over the remaining <paramref name="totalSteps"/> - warmupSteps.
    /// </summary>
    /// <param name="optimizer">The optimiser to drive.</param>
    /// <param name="warmupSteps">Warm-up length in scheduler steps, ≥ 1.</param>
    /// <param name="totalSteps">Total schedule length, &gt; <paramref name="warmupSteps"/>.</param>
    /// <param name="warmupStartFactor">Factor of the base rate at step 0, in [0, 1]. Default 0.01.</param>
    /// <param name="etaMin">Final learning rate of the cosine phase. Default 0.</param>
    /// <returns>The sequence (a <see cref="LinearLR"/> then a <see cref="CosineAnnealingLR"/>).</returns>
    public static SequentialLR WarmupCosine(Optimizer optimizer, int warmupSteps, int totalSteps, double warmupStartFactor = 0.01, double etaMin = 0)
    {
        if (warmupSteps < 1) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "warm-up must last at least one step");
        if (totalSteps <= warmupSteps) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "total steps must exceed the warm-up steps");
        var warmup = new LinearLR(optimizer, warmupStartFactor, 1.0, warmupSteps);
        var cosine = new CosineAnnealingLR(optimizer, totalSteps - warmupSteps, etaMin);
        return new SequentialLR(optimizer, new LRScheduler[] { warmup, cosine }, new[] { warmupSteps });
    }

    /// <summary>The child schedulers in order.</summary>
    public IReadOnlyList<LRScheduler> Schedulers => _schedulers;

    /// <summary>Epochs at which the next child takes over.</summary>
    public IReadOnlyList<int> Milestones => _milestones;

    /// <summary>Advances one epoch: the active child steps (or starts at its epoch 0 on a milestone).</summary>
    public override void Step()
    {
        StepCount++;
        LastEpoch++;
        var idx = ActiveIndex(LastEpoch);
        var child = _schedulers[idx];
        if (idx > 0 && _milestones[idx - 1] == LastEpoch) child.StepTo(0);
        else child.Step();
        RecordLastLr();
    }

    internal override void StepTo(int epoch)
    {
        StepCount++;
        LastEpoch = epoch;
        var idx = ActiveIndex(epoch);
        _schedulers[idx].StepTo(idx == 0 ? epoch : epoch - _milestones[idx - 1]);
        RecordLastLr();
    }

    /// <summary>The learning rates the active child set (children compute the schedule).</summary>
    private protected override double[] ComputeLrs() => _schedulers[ActiveIndex(LastEpoch)].GetLastLr().ToArray();

    private int ActiveIndex(int epoch)
    {
        var idx = 0;
        while (idx < _milestones.Length && _milestones[idx] <= epoch) idx++;
        return idx;
    }

    /// <inheritdoc/>
    public override JsonObject StateDict()
    {
        var o = base.StateDict();
        o["_milestones"] = new JsonArray(_milestones.Select(m => (JsonNode?)m).ToArray());
        o["_schedulers"] = new JsonArray(_schedulers.Select(s => (JsonNode?)s.StateDict()).ToArray());
        return o;
    }

    /// <inheritdoc/>
    public override void LoadStateDict(JsonObject state)
    {
        base.LoadStateDict(state);
        if (!state.TryGetPropertyValue("_schedulers", out var n) || n is not JsonArray a || a.Count != _schedulers.Length)
            throw new OptimizerStateException("_schedulers", $"expected an array of {_schedulers.Length} scheduler states");
        for (var i = 0; i < a.Count; i++)
        {
            if (a[i] is not JsonObject child) throw new OptimizerStateException($"_schedulers.{i}", "expected an object");
            _schedulers[i].LoadStateDict(child);
        }
    }
}
