using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Thorax.Pipelines.Saliency;

/// <summary>Settings of <see cref="SaliencyCompare"/>.</summary>
public sealed record SaliencyCompareOptions
{
    /// <summary>Output folder: one run folder per model (<c>classifier/</c>, <c>saliency/</c>, <c>mtunet/</c>,
    /// <c>dual/</c>) and the table and report; rerun to resume (finished stages are skipped).</summary>
    public string OutDirectory { get; init; } = "saliency-compare";

    /// <summary>Which models to train and tabulate (any of <see cref="SaliencyModelSpec.Models"/>).</summary>
    public IReadOnlyList<string> Models { get; init; } = SaliencyModelSpec.Models;

    /// <summary><c>small</c> or <c>reference</c> widths.</summary>
    public string Width { get; init; } = "small";

    /// <summary>Wall-clock budget of all trainings (split by <see cref="Share"/> with <see cref="SaliencyBudget"/>'s rule).</summary>
    public TimeSpan TimeBudget { get; init; } = TimeSpan.FromHours(23.5);

    /// <summary>Epochs per stage (1..4), as <see cref="SaliencyTrainingOptions.Epochs"/>.</summary>
    public int[] Epochs { get; init; } = [50, 10, 50, 40];

    /// <summary>Batch per stage (1..4).</summary>
    public int[] Batch { get; init; } = [32, 16, 16, 6];

    /// <summary>Stage-1 distance.</summary>
    public TripletDistance Triplet { get; init; } = TripletDistance.Flattened;

    /// <summary>Stage 1 with precise BatchNorm statistics (<see cref="SaliencyTrainingOptions.PreciseBatchNorm"/>).</summary>
    public bool PreciseBatchNorm { get; init; }

    /// <summary>Where the networks train and run: <c>cpu</c> (default), <c>cuda</c> or <c>cuda:N</c> (needs a CUDA
    /// TorchSharp package; see <see cref="Thorax.Models.Runtime.TorchRuntime.ParseDevice"/>).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Seed of every training.</summary>
    public int Seed { get; init; }

    /// <summary>The split the table is computed on.</summary>
    public string EvaluationSplit { get; init; } = "test";

    /// <summary>A note for the table and report (data, budget).</summary>
    public string Note { get; init; } = "";

    /// <summary>
    /// The budget shares and training order: classifier 0.2 (stages 1-2, the paper's DNet201-CL), saliency 0.15
    /// (Res_SE-UNet, KL only), mtunet 0.2, dual 0.45 (stages 3-4 when the classifier is trained too, started from its
    /// DenseNet as the reference's stage 3 does; all four stages otherwise). The dual encoder goes last so that what
    /// the others leave unused is given to it.
    /// </summary>
    public static double Share(string model) => model switch
    {
        "classifier" => 0.2,
        "saliency" => 0.15,
        "mtunet" => 0.2,
        _ => 0.45,
    };

    /// <summary>The order trainings run in (models that usually end early first, the dual encoder last).</summary>
    public static IReadOnlyList<string> TrainingOrder { get; } = ["classifier", "saliency", "mtunet", "dual"];

    /// <summary>Parses <c>--models</c> (comma-separated names of <see cref="SaliencyModelSpec.Models"/>, each once).</summary>
    public static IReadOnlyList<string> ParseModels(string text)
    {
        var list = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        if (list.Count == 0) throw new ArgumentException("--models: no model given");
        foreach (var m in list)
            if (!SaliencyModelSpec.Models.Contains(m)) throw new ArgumentException($"--models: '{m}' is not one of {string.Join(", ", SaliencyModelSpec.Models)}");
        if (list.Distinct().Count() != list.Count) throw new ArgumentException("--models: a model is given twice");
        return list;
    }

    /// <summary>The table's row names.</summary>
    public static string RowName(string model) => model switch
    {
        "dual" => "dual encoder",
        "mtunet" => "MT-UNet",
        "classifier" => "classifier (DenseNet, CL + CE)",
        _ => "saliency (Res_SE-UNet, KL)",
    };
}

/// <summary>
/// The paper's comparison as one command (<c>thorax saliency compare</c>; the demo runs it): the dual-encoder multi-task
/// network, MT-UNet, the single-task classifier (the DenseNet alone: triplet pre-training then cross-entropy, the
/// paper's DNet201-CL) and the single-task saliency network (Res_SE-UNet, KL only), each trained on the shared
/// <see cref="SaliencyTrainer"/> into its own run folder, then evaluated on one split in one table with paired t-tests
/// of every other row against the dual encoder. As in the reference, the dual encoder's stage 3 starts from the
/// classifier's checkpoint, so the dual run trains stages 3-4 when the classifier is part of the comparison.
/// </summary>
public static class SaliencyCompare
{
    /// <summary>Trains the models in <see cref="SaliencyCompareOptions.TrainingOrder"/> within the budget and writes the table.</summary>
    public static SaliencyComparison Run(SaliencyStudies studies, SaliencyCompareOptions o, Action<string> log,
        Action<string, SaliencyTrainer>? attach = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(studies);
        ArgumentNullException.ThrowIfNull(o);
        SaliencyCompareOptions.ParseModels(string.Join(",", o.Models));
        var outDir = Path.GetFullPath(o.OutDirectory);
        Directory.CreateDirectory(outDir);
        var order = SaliencyCompareOptions.TrainingOrder.Where(o.Models.Contains).ToList();
        var clock = Stopwatch.StartNew();
        var budgets = new SaliencyBudget(o.TimeBudget, order.Select(SaliencyCompareOptions.Share).ToList(), () => clock.Elapsed, TimeSpan.FromSeconds(20));
        var trained = new Dictionary<string, string>();
        var seconds = new JsonObject();
        foreach (var model in order)
        {
            cancel.ThrowIfCancellationRequested();
            var dir = Path.Combine(outDir, model);
            var budget = budgets.Next();
            var fromClassifier = model == "dual" && trained.ContainsKey("classifier");
            var trainer = new SaliencyTrainer(new SaliencyTrainingOptions
            {
                Network = SaliencyModelSpec.Named(model, o.Width), Epochs = o.Epochs, Batch = o.Batch, TimeBudget = budget, Seed = o.Seed, Triplet = o.Triplet,
                PreciseBatchNorm = o.PreciseBatchNorm, Device = o.Device,
                Stages = fromClassifier ? [SaliencyStage.Saliency, SaliencyStage.Joint] : null,
                InitFrom = fromClassifier ? trained["classifier"] : null,
            });
            log($"training {SaliencyCompareOptions.RowName(model)} ({o.Width} width) for up to {budget.TotalMinutes:F1} min" +
                (fromClassifier ? " (stages 3-4, from the classifier's DenseNet)" : "") + " ...");
            attach?.Invoke(model, trainer);
            var start = clock.Elapsed;
            var results = trainer.Train(studies, dir, cancel);
            seconds[model] = Math.Round((clock.Elapsed - start).TotalSeconds, 1);
            log($"{model}: " + string.Join("; ", results.Select(r => $"stage {(int)r.Stage} best epoch {r.BestEpoch}" +
                (r.Fit is { } f ? $" of {f.History.Count} ({f.StopReason.ToString().ToLowerInvariant()})" : " (finished before)"))));
            trained[model] = dir;
        }
        var rows = SaliencyModelSpec.Models.Where(trained.ContainsKey).Select(m => (SaliencyCompareOptions.RowName(m), trained[m])).ToList();
        var extra = new JsonObject
        {
            ["training_order"] = new JsonArray(order.Select(m => (JsonNode)m).ToArray()),
            ["training_seconds"] = seconds,
            ["budget_minutes"] = Math.Round(o.TimeBudget.TotalMinutes, 2),
            ["width"] = o.Width,
        };
        return SaliencyEvaluator.Run(rows, studies, o.EvaluationSplit, outDir, o.Note, extra: extra, log: log,
            device: Thorax.Models.Runtime.TorchRuntime.ParseDevice(o.Device));
    }
}
