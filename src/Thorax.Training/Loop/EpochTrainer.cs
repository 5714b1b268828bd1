using System.Diagnostics;
using System.Text.Json.Nodes;
using Thorax.Models.Runtime;
using Thorax.Models.Weights;
using TorchSharp;

namespace Thorax.Training.Loop;

/// <summary>
/// Thorax's shared epoch loop: trains a <see cref="TrainingMethod"/> into a run folder, with resuming, per-epoch
/// checkpoints, a time budget, best-epoch selection (best weights kept), early stopping, <c>history.csv</c>, progress
/// events, cancellation and a deterministic mode.
/// </summary>
/// <remarks>
/// <para>Run folder: <c>checkpoints/epoch-NNNN.ckpt.safetensors</c> after every epoch (the newest
/// <see cref="EpochTrainerOptions.KeepCheckpoints"/> kept; <see cref="TrainingCheckpoint"/> with the method's
/// components, the epoch, the step count and the loop state as user JSON: fingerprint, selection metric, tie rule
/// (<c>selection_ties</c>: <c>earlier</c> or <c>later</c>, <see cref="TrainingMethod.SelectionTies"/>), best epoch, seconds, history),
/// <c>checkpoints/best.safetensors</c> (the model's state dict at the best epoch so far) and <c>history.csv</c>
/// (rewritten after every epoch). Every file is written atomically. A second <see cref="Fit"/> into the same folder
/// resumes after the newest checkpoint when the method's <see cref="TrainingMethod.Fingerprint"/> matches; epochs and
/// time budget may change between the two. The method's own state (<see cref="TrainingMethod.CaptureState"/>) travels in
/// the checkpoint's user JSON. Temp files a killed write left behind (<see cref="RunFiles.IsTemporary"/>) are deleted
/// when Fit starts.</para>
/// <para>After the loop the model holds the best epoch's weights; the method then evaluates and writes its own run
/// files (model, config, metrics).</para>
/// <para>Cancellation is checked before every step: a cancelled run throws <see cref="OperationCanceledException"/>
/// and a later Fit resumes after the last finished epoch.</para>
/// <para>The time budget (<see cref="EpochTrainerOptions.TimeBudget"/>) is checked after every step: when it runs out
/// inside an epoch, the epoch ends there and is evaluated, recorded (<see cref="EpochResult.Partial"/>, the
/// <c>partial</c> column of <c>history.csv</c>) and checkpointed as usual; a later Fit with a larger budget resumes
/// after it. Before an epoch starts, training stops when the elapsed time plus the mean duration of the run's full
/// epochs would pass the budget. Without a budget nothing of this runs, so deterministic runs stay bit-identical.</para>
/// </remarks>
public sealed class EpochTrainer
{
    /// <summary>The file, under the run folder's <c>checkpoints/</c>, holding the best epoch's model weights.</summary>
    public const string BestWeightsFile = "best.safetensors";

    /// <summary>The per-epoch history file in the run folder.</summary>
    public const string HistoryFile = "history.csv";

    private readonly EpochTrainerOptions _options;

    /// <summary>Creates a trainer; the options are validated here.</summary>
    /// <exception cref="ArgumentException">An option is out of range (named in the message).</exception>
    public EpochTrainer(EpochTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <summary>The loop settings.</summary>
    public EpochTrainerOptions Options => _options;

    /// <summary>Reports (epoch, step within the epoch (1-based), steps per epoch, running mean loss of the epoch) after every step.</summary>
    public event Action<int, int, int, double>? StepCompleted;

    /// <summary>Reports that the run resumed after the given finished epoch (from RUN/checkpoints).</summary>
    public event Action<int>? Resumed;

    /// <summary>Reports each finished epoch (after validation, before its checkpoint is written).</summary>
    public event Action<EpochResult>? EpochCompleted;

    /// <summary>Reports the end of the loop: the best weights are in the model and <c>history.csv</c> is written.</summary>
    public event Action<EpochTrainerResult>? Finished;

    /// <summary>
    /// Trains <paramref name="method"/> into <paramref name="runDirectory"/> (created when absent), resuming from its
    /// checkpoints when it has some. Returns when the epochs are done, the time budget is spent or early stopping
    /// triggers; the model then holds the best epoch's weights.
    /// </summary>
    /// <exception cref="InvalidDataException">The folder's checkpoints were made with another fingerprint (both are named), or
    /// their loop state is unreadable.</exception>
    /// <exception cref="InvalidOperationException">The loss became NaN or infinite (epoch and step named), or the method
    /// broke its contract (a metric missing, no steps).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was signalled.</exception>
    public EpochTrainerResult Fit(TrainingMethod method, string runDirectory, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentException.ThrowIfNullOrEmpty(runDirectory);
        TorchRuntime.EnsureLoaded();
        using var threads = DeterministicThreads.Enter(_options.Deterministic);
        return FitCore(method, runDirectory, cancel);
    }

    private EpochTrainerResult FitCore(TrainingMethod method, string runDir, CancellationToken cancel)
    {
        var o = _options;
        var components = method.Components ?? throw new InvalidOperationException($"{method.GetType().Name}.Components is null");
        var metricNames = method.MetricNames;
        var selection = method.SelectionMetric;
        if (!metricNames.Contains(selection))
            throw new InvalidOperationException($"{method.GetType().Name}: the selection metric '{selection}' is not one of its metrics ({string.Join(", ", metricNames)})");
        var plateauMetric = method.PlateauMetric;
        if (components.PlateauScheduler is not null && (plateauMetric is null || !metricNames.Contains(plateauMetric)))
            throw new InvalidOperationException($"{method.GetType().Name}: it has a plateau scheduler, so PlateauMetric must name one of its metrics ({string.Join(", ", metricNames)}), got '{plateauMetric}'");
        var maximize = method.SelectionGoal == MetricGoal.Maximize;
        var keepLater = method.SelectionTies == SelectionTieRule.Later;
        var fingerprint = method.Fingerprint;

        var model = components.Model;
        var checkpoints = new CheckpointDirectory(Path.Combine(runDir, "checkpoints"), o.KeepCheckpoints);
        var bestPath = Path.Combine(runDir, "checkpoints", BestWeightsFile);
        var history = new List<EpochResult>();
        var bestEpoch = 0;
        var improvedEpoch = 0; // the first epoch that reached the best value: early-stopping patience counts from it
        var bestValue = maximize ? double.NegativeInfinity : double.PositiveInfinity;
        var firstEpoch = 1;
        long steps = 0;
        int? resumedAfter = null;
        var clock = Stopwatch.StartNew();
        var previousSeconds = 0.0;
        RunFiles.DeleteStaleTemporaries(runDir); // a killed run's half-written temp files: never read, removed here
        using (var resume = checkpoints.LoadLatest())
        {
            if (resume != null)
            {
                // A killed run continues from its last finished epoch, with the same weights, optimiser and random state.
                var u = resume.User;
                var stored = u["fingerprint"]?.GetValue<string>();
                if (stored != fingerprint)
                    throw new InvalidDataException($"{checkpoints.Path}: these checkpoints were made with other settings " +
                        $"({stored ?? "unknown"}) than this run ({fingerprint}); train into a new run folder or delete the old one");
                resume.Restore(components);
                firstEpoch = resume.Epoch + 1;
                steps = resume.Step;
                var source = resume.SourceName;
                bestEpoch = (int)(u["best_epoch"]?.GetValue<double>() ?? throw new InvalidDataException($"{source}: user state has no 'best_epoch'"));
                previousSeconds = u["seconds"]?.GetValue<double>() ?? throw new InvalidDataException($"{source}: user state has no 'seconds'");
                if (u["history"] is not JsonArray rows) throw new InvalidDataException($"{source}: user state has no 'history' array");
                history.AddRange(rows.Select(r => EpochResult.FromJson(r, source)));
                if (u["method"] is { } methodState) method.RestoreState(methodState);
                if (bestEpoch > 0)
                {
                    var best = history.FirstOrDefault(h => h.Epoch == bestEpoch)
                        ?? throw new InvalidDataException($"{source}: best epoch {bestEpoch} is not in the stored history");
                    bestValue = best.Metric(selection);
                }
                improvedEpoch = keepLater ? FirstEpochOfBest(history, selection, maximize) : bestEpoch;
                resumedAfter = resume.Epoch;
                Resumed?.Invoke(resume.Epoch);
            }
            else if (File.Exists(bestPath))
            {
                File.Delete(bestPath); // a fresh run must not end on weights a deleted run left behind
            }
        }

        TrainingStopReason? stop = null;
        string? stopDetail = null;
        if (history.Count > 0) (stop, stopDetail) = StopAfter(history, previousSeconds, improvedEpoch);
        for (var epoch = firstEpoch; epoch <= o.Epochs && stop is null; epoch++)
        {
            cancel.ThrowIfCancellationRequested();
            var epochClock = Stopwatch.StartNew();
            model.train();
            var stepsThisEpoch = method.BeginEpoch(epoch);
            if (stepsThisEpoch < 1) throw new InvalidOperationException($"{method.GetType().Name}.BeginEpoch({epoch}) returned {stepsThisEpoch} steps; need at least 1");
            var lr = components.Optimizer is { } opt ? opt.ParamGroups.First().LearningRate : double.NaN;
            double lossSum = 0;
            var done = 0;
            for (var s = 0; s < stepsThisEpoch; s++)
            {
                cancel.ThrowIfCancellationRequested();
                double l;
                using (TorchGc.Quiet())
                using (torch.NewDisposeScope()) l = method.TrainStep(epoch, s);
                if (!double.IsFinite(l)) throw new InvalidOperationException($"loss became {l} at epoch {epoch}, step {s + 1}; lower the learning rate");
                steps++;
                if (method.SchedulerInterval == SchedulerInterval.Step) components.Scheduler?.Step();
                lossSum += l;
                done = s + 1;
                StepCompleted?.Invoke(epoch, done, stepsThisEpoch, lossSum / done);
                if (done < stepsThisEpoch && previousSeconds + clock.Elapsed.TotalSeconds >= o.TimeBudget.TotalSeconds) break;
            }
            var partial = done < stepsThisEpoch;
            IReadOnlyDictionary<string, double> metrics;
            using (TorchGc.Quiet()) metrics = method.Evaluate(epoch);
            foreach (var name in metricNames)
                if (!metrics.ContainsKey(name)) throw new InvalidOperationException($"{method.GetType().Name}.Evaluate({epoch}) did not return the metric '{name}'");
            var ordered = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var name in metricNames) ordered[name] = metrics[name];
            if (components.PlateauScheduler is { } plateau) plateau.Step(ordered[plateauMetric!]);
            if (method.SchedulerInterval == SchedulerInterval.Epoch) components.Scheduler?.Step();
            var rec = new EpochResult(epoch, lossSum / done, ordered, lr, epochClock.Elapsed.TotalSeconds, done, partial);
            history.Add(rec);
            EpochCompleted?.Invoke(rec);
            var value = ordered[selection];
            var better = maximize ? value > bestValue : value < bestValue;
            if (better || (keepLater && bestEpoch > 0 && value == bestValue))
            {
                bestValue = value;
                bestEpoch = epoch;
                if (better) improvedEpoch = epoch;
                RunFiles.Write(bestPath, tmp => SafeTensors.Save(tmp, model.state_dict()));
            }
            var seconds = previousSeconds + clock.Elapsed.TotalSeconds;
            var user = new JsonObject
            {
                ["fingerprint"] = fingerprint, ["selection_metric"] = selection,
                ["selection_ties"] = keepLater ? "later" : "earlier", ["best_epoch"] = bestEpoch, ["seconds"] = seconds,
                ["history"] = new JsonArray(history.Select(h => (JsonNode?)h.ToJson()).ToArray()),
            };
            if (method.CaptureState() is { } state) user["method"] = state;
            using (TorchGc.Quiet())
            using (var ckpt = TrainingCheckpoint.Capture(components, epoch, steps, user)) checkpoints.Save(ckpt);
            RunFiles.WriteText(Path.Combine(runDir, HistoryFile), EpochResult.ToCsv(history, metricNames));
            (stop, stopDetail) = partial
                ? (TrainingStopReason.TimeBudget, FormattableString.Invariant(
                    $"the time budget of {Seconds(o.TimeBudget.TotalSeconds)} ran out in epoch {epoch} after {done} of {stepsThisEpoch} steps; the partial epoch was evaluated and checkpointed and counts as done"))
                : StopAfter(history, seconds, improvedEpoch);
        }
        var trainSeconds = previousSeconds + clock.Elapsed.TotalSeconds;
        if (bestEpoch > 0 && File.Exists(bestPath)) StateDicts.LoadFile(model, bestPath, strict: true);
        RunFiles.WriteText(Path.Combine(runDir, HistoryFile), EpochResult.ToCsv(history, metricNames));
        var result = new EpochTrainerResult(history, bestEpoch, stop ?? TrainingStopReason.Epochs, resumedAfter, trainSeconds, steps) { StopDetail = stopDetail };
        Finished?.Invoke(result);
        return result;
    }

    /// <summary>Whether to stop after the newest row of <paramref name="history"/>, <paramref name="seconds"/> into the
    /// run: budget spent, early stopping (<paramref name="improvedEpoch"/>: the first epoch that reached the best value,
    /// so a tie kept under <see cref="SelectionTieRule.Later"/> does not reset patience), last epoch, or a next epoch that
    /// would end past the budget.</summary>
    private (TrainingStopReason?, string?) StopAfter(IReadOnlyList<EpochResult> history, double seconds, int improvedEpoch)
    {
        var epoch = history[^1].Epoch;
        var budget = _options.TimeBudget.TotalSeconds;
        if (seconds >= budget)
            return (TrainingStopReason.TimeBudget, FormattableString.Invariant($"the time budget of {Seconds(budget)} was spent by the end of epoch {epoch} ({Seconds(seconds)})"));
        if (_options.EarlyStoppingPatience > 0 && epoch - improvedEpoch >= _options.EarlyStoppingPatience) return (TrainingStopReason.EarlyStopping, null);
        if (epoch >= _options.Epochs) return (TrainingStopReason.Epochs, null);
        if (ExpectedEpochSeconds(history) is { } next && seconds + next > budget)
            return (TrainingStopReason.TimeBudget, FormattableString.Invariant(
                $"epoch {epoch + 1} was not started: at the mean duration of the run's full epochs ({Seconds(next)}) it would end at {Seconds(seconds + next)}, past the time budget of {Seconds(budget)}"));
        return (null, null);
    }

    /// <summary>The first epoch of <paramref name="history"/> whose selection metric reached the best value (strict
    /// improvements only), 0 when none did: where patience counts from after a resume.</summary>
    private static int FirstEpochOfBest(IReadOnlyList<EpochResult> history, string selection, bool maximize)
    {
        var epoch = 0;
        var best = maximize ? double.NegativeInfinity : double.PositiveInfinity;
        foreach (var h in history)
        {
            var v = h.Metric(selection);
            if (maximize ? v > best : v < best)
            {
                best = v;
                epoch = h.Epoch;
            }
        }
        return epoch;
    }

    /// <summary>The expected duration of the next epoch: the mean seconds of the run's full (not partial) epochs, resumed
    /// parts included; null when there is none.</summary>
    public static double? ExpectedEpochSeconds(IReadOnlyList<EpochResult> history)
    {
        var full = history.Where(h => !h.Partial).ToList();
        return full.Count == 0 ? null : full.Average(h => h.Seconds);
    }

    private static string Seconds(double s) => s >= 120 ? FormattableString.Invariant($"{s / 60:F1} min") : FormattableString.Invariant($"{s:F1} s");
}
