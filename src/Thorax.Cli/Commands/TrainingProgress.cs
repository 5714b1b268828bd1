using Spectre.Console;
using Thorax.Pipelines.Classification;
using Thorax.Pipelines.GdVig;
using Thorax.Pipelines.Lungs;
using Thorax.Training.Loop;

namespace Thorax.Cli.Commands;

/// <summary>
/// Live progress for training commands: Spectre.Console bars (loading, then one per trained model with epoch, step and
/// running loss) on a terminal, one plain line per epoch on standard error when the output is redirected or JSON is asked for.
/// </summary>
internal sealed class TrainingProgress
{
    private readonly ProgressContext? _ctx;

    private TrainingProgress(ProgressContext? ctx) => _ctx = ctx;

    /// <summary>Runs <paramref name="body"/> with a progress display (none when <paramref name="quiet"/> or redirected).</summary>
    public static void Run(bool quiet, Action<TrainingProgress> body)
    {
        if (quiet || Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            body(new TrainingProgress(null));
            return;
        }
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx => body(new TrainingProgress(ctx)));
    }

    /// <summary>True when bars are shown (an interactive terminal, no JSON asked for).</summary>
    public bool Live => _ctx is not null;

    /// <summary>A bar of <paramref name="trainer"/>'s steps over its <paramref name="epochs"/> epochs under
    /// <paramref name="label"/>, and one of its image loading when it reports it; nothing when no bars are shown (the
    /// caller prints its own epoch lines either way).</summary>
    public void Steps<TOptions, TEpoch>(LoopTrainer<TOptions, TEpoch> trainer, int epochs, string label)
        where TOptions : ITrainerOptions
    {
        if (_ctx is null) return;
        if (trainer is ClassifierTrainer ct)
        {
            var load = _ctx.AddTask($"{label}: load + resize");
            ct.Loading += (n, total) =>
            {
                load.MaxValue = Math.Max(1, total);
                load.Value = n;
                load.Description = $"{label}: load + resize ({n}/{total})";
            };
        }
        var task = _ctx.AddTask(label, maxValue: epochs);
        trainer.StepCompleted += (epoch, step, steps, loss) =>
        {
            task.MaxValue = (double)epochs * steps;
            task.Value = (epoch - 1) * (double)steps + step;
            task.Description = $"{label} epoch {epoch} step {step}/{steps} loss {loss:F3}";
        };
        trainer.Finished += () => task.Value = task.MaxValue;
    }

    /// <summary>Loads the pairs, showing how many are done.</summary>
    public IReadOnlyList<LungSample> Load(Func<IProgress<int>, IReadOnlyList<LungSample>> load)
    {
        if (_ctx is null)
        {
            Console.Error.WriteLine("loading pairs (CLAHE + resize) ...");
            var s = load(new Progress<int>(_ => { }));
            Console.Error.WriteLine($"loaded {s.Count} pairs");
            return s;
        }
        var task = _ctx.AddTask("load + CLAHE + resize").IsIndeterminate();
        var samples = load(new Progress<int>(n => task.Description = $"load + CLAHE + resize ({n})"));
        task.IsIndeterminate(false);
        task.MaxValue = Math.Max(1, samples.Count);
        task.Value = task.MaxValue;
        task.Description = $"loaded {samples.Count} pairs";
        return samples;
    }

    /// <summary>Shows <paramref name="trainer"/>'s steps and epochs under <paramref name="label"/>.</summary>
    public void Attach(LungTrainer trainer, LungTrainingOptions options, string label)
    {
        void Line(string text)
        {
            if (_ctx is null) Console.Error.WriteLine(text);
            else AnsiConsole.MarkupLine(Markup.Escape(text));
        }
        trainer.Resumed += e => Line($"{label}: resuming after epoch {e} from its checkpoints");
        trainer.EpochCompleted += e =>
            Line($"{label} epoch {e.Epoch}: train loss {e.TrainLoss:F4}, val loss {e.ValLoss:F4}, val Dice {e.ValDice:F4}, lr {e.LearningRate:G3} ({e.Seconds:F0} s)");
        if (_ctx is null) return;
        var task = _ctx.AddTask($"{label}", maxValue: options.Epochs);
        trainer.StepCompleted += (epoch, step, steps, loss) =>
        {
            task.MaxValue = (double)options.Epochs * steps;
            task.Value = (epoch - 1) * (double)steps + step;
            task.Description = $"{label} epoch {epoch} step {step}/{steps} loss {loss:F3}";
        };
        trainer.Finished += () => task.Value = task.MaxValue;
    }

    /// <summary>Shows <paramref name="trainer"/>'s image loading, steps and epochs under <paramref name="label"/>.</summary>
    public void Attach(ClassifierTrainer trainer, ClassifierOptions options, string label)
    {
        void Line(string text)
        {
            if (_ctx is null) Console.Error.WriteLine(text);
            else AnsiConsole.MarkupLine(Markup.Escape(text));
        }
        trainer.Resumed += e => Line($"{label}: resuming after epoch {e} from its checkpoints");
        trainer.EpochCompleted += e =>
            Line($"{label} epoch {e.Epoch}: train loss {e.TrainLoss:F4}, val loss {e.Metric("val_loss"):F4}, val AUC {e.Metric("val_auc"):F4}, lr {e.LearningRate:G3} ({e.Seconds:F0} s)");
        if (_ctx is null) return;
        var load = _ctx.AddTask("load + resize");
        trainer.Loading += (n, total) =>
        {
            load.MaxValue = total;
            load.Value = n;
            load.Description = $"load + resize ({n}/{total})";
        };
        var task = _ctx.AddTask(label, maxValue: options.Epochs);
        trainer.StepCompleted += (epoch, step, steps, loss) =>
        {
            task.MaxValue = (double)options.Epochs * steps;
            task.Value = (epoch - 1) * (double)steps + step;
            task.Description = $"{label} epoch {epoch} step {step}/{steps} loss {loss:F3}";
        };
    }

    /// <summary>Shows a GD-ViG trainer's loading, steps and epochs under <paramref name="label"/>.</summary>
    public void Attach(GdVigTrainer trainer, GdVigTrainingOptions options, string label)
    {
        void Line(string text)
        {
            if (_ctx is null) Console.Error.WriteLine(text);
            else AnsiConsole.MarkupLine(Markup.Escape(text));
        }
        trainer.Resumed += e => Line($"{label}: resuming after epoch {e} from its checkpoints");
        trainer.EpochCompleted += e =>
            Line($"{label} epoch {e.Epoch}: train loss {e.TrainLoss:F4}, val CE {e.Metric("val_loss"):F4}, val acc {e.Metric("val_accuracy"):F3}, val AUC {e.Metric("val_auc"):F4}" +
                 (e.Metrics.TryGetValue("val_gaze_cc", out var cc) ? $", val gaze CC {cc:F3}" : "") + $", lr {e.LearningRate:G3} ({e.Seconds:F0} s)");
        if (_ctx is null) return;
        var load = _ctx.AddTask($"{label}: load");
        trainer.Loading += (n, total) =>
        {
            load.MaxValue = total;
            load.Value = n;
            load.Description = $"{label}: load ({n}/{total})";
        };
        var task = _ctx.AddTask(label, maxValue: options.Epochs);
        trainer.StepCompleted += (epoch, step, steps, loss) =>
        {
            task.MaxValue = (double)options.Epochs * steps;
            task.Value = (epoch - 1) * (double)steps + step;
            task.Description = $"{label} epoch {epoch} step {step}/{steps} loss {loss:F3}";
        };
    }
}
