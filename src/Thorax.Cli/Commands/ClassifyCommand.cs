using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Thorax.Models.Runtime;
using Thorax.Pipelines.Classification;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax classify train|eval</c>: a binary image classifier (ImageNet ResNet-18) on a synthetic dataset
/// folder, with the difficulty audit (AUC overall, by pneumothorax size and location, by shortcut cue).</summary>
internal static class ClassifyCommand
{
    public static Command Create()
    {
        var classify = new Command("classify", "Binary image classifier (ResNet-18, ImageNet weights) on a thorax synth folder: train, and audit AUC overall, by pneumothorax size/location and by shortcut cue.");
        classify.Subcommands.Add(Train());
        classify.Subcommands.Add(Eval());
        return classify;
    }

    private static Command Train()
    {
        var d = new ClassifierOptions();
        var data = new Option<string>("--data") { Description = "Dataset folder written by thorax synth (studies.csv, images/, splits/).", Required = true };
        var run = new Option<string>("--run") { Description = "Run folder to write (rerun into it to resume).", Required = true };
        var label = new Option<string>("--label") { Description = "A 0/1 column of studies.csv (pneumothorax, chest_tube, ...) or class=<name> (one class against the rest).", DefaultValueFactory = _ => d.Label };
        var weights = new Option<string>("--weights") { Description = "Encoder weights: imagenet (ML.NET's ResNet-18 package), none, or a ResNet-18 state-dict file.", DefaultValueFactory = _ => d.Weights };
        var size = new Option<int>("--size") { Description = "Input size in pixels.", DefaultValueFactory = _ => d.Size };
        var epochs = new Option<int>("--epochs") { Description = "Maximum epochs.", DefaultValueFactory = _ => d.Epochs };
        var batch = new Option<int>("--batch") { Description = "Batch size.", DefaultValueFactory = _ => d.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => d.LearningRate };
        var seed = new Option<int>("--seed") { Description = "Seed for the head's weights, shuffling and augmentation.", DefaultValueFactory = _ => d.Seed };
        var patience = new Option<int>("--patience") { Description = "Early stopping: epochs without validation-AUC improvement (0: off).", DefaultValueFactory = _ => d.EarlyStoppingPatience };
        var minutes = new Option<double?>("--minutes") { Description = "Training time budget in minutes (default: none)." };
        var threads = ThreadsOption();
        var deterministic = new Option<bool>("--deterministic") { Description = "One intra-op thread: equal settings give bit-identical weights, and a killed run resumes to exactly the uninterrupted run's weights (slower)." };
        var json = new Option<bool>("--json") { Description = "Print the test metrics as JSON." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("train", "Train (BCE, Adam, light augmentation, best epoch by validation AUC), then evaluate on the test split; writes model.safetensors, config.json, history.csv, metrics.json, predictions.csv. Rerun into the same --run to resume.")
            { data, run, label, weights, size, epochs, batch, lr, seed, patience, minutes, threads, deterministic, json, deviceOpt };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            DeviceOption.Parse(r, deviceOpt); // exit 2 on a bad --device before any work
            var budget = r.GetValue(minutes) is { } m
                ? (m > 0 && double.IsFinite(m) ? TimeSpan.FromMinutes(m) : throw new ArgumentException($"--minutes must be positive, got {m}"))
                : TimeSpan.MaxValue;
            var o = new ClassifierOptions
            {
                Label = r.GetValue(label)!, Weights = r.GetValue(weights)!, Size = r.GetValue(size), Epochs = r.GetValue(epochs), BatchSize = r.GetValue(batch),
                LearningRate = r.GetValue(lr), Seed = r.GetValue(seed), EarlyStoppingPatience = r.GetValue(patience), TimeBudget = budget,
                Deterministic = r.GetValue(deterministic), Device = r.GetValue(deviceOpt)!,
            };
            o.Validate();
            SetThreads(r.GetValue(threads));
            var dataset = ClassificationDataset.Load(r.GetValue(data)!, ClassificationLabel.Parse(o.Label));
            var quiet = r.GetValue(json);
            ClassifierTrainingResult? res = null;
            TrainingProgress.Run(quiet, p =>
            {
                var trainer = new ClassifierTrainer(o);
                p.Attach(trainer, o, $"resnet18 {o.Label}");
                res = trainer.Train(dataset, r.GetValue(run)!);
            });
            var fit = res!.Fit;
            Print(res.Evaluation, quiet, $"{o.Label}: best epoch {fit.BestEpoch} of {fit.History.Count} ({fit.StopReason.ToString().ToLowerInvariant()}), {fit.TrainSeconds:F0} s; test split", Path.Combine(res.RunDirectory, "metrics.json"));
            if (!quiet) AnsiConsole.MarkupLine($"run folder: [blue]{Markup.Escape(res.RunDirectory)}[/] (model.safetensors, config.json, history.csv, metrics.json, predictions.csv)");
            return 0;
        }));
        return cmd;
    }

    private static Command Eval()
    {
        var run = new Option<string>("--run") { Description = "Run folder of classify train.", Required = true };
        var data = new Option<string>("--data") { Description = "Dataset folder written by thorax synth (needs the run's label column).", Required = true };
        var split = new Option<string>("--split") { Description = "train, validation or test.", DefaultValueFactory = _ => "test" };
        var output = new Option<string?>("--out") { Description = "Folder for metrics.json and predictions.csv (default: RUN/eval-SPLIT)." };
        var threads = ThreadsOption();
        var json = new Option<bool>("--json") { Description = "Print the metrics as JSON." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("eval", "AUC (95% bootstrap interval), accuracy, sensitivity, specificity at 0.5, AUC by pneumothorax size and location and by shortcut cue; writes metrics.json and predictions.csv.")
            { run, data, split, output, threads, json, deviceOpt };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var dev = DeviceOption.Parse(r, deviceOpt);
            SetThreads(r.GetValue(threads));
            var s = r.GetValue(split)!;
            if (!ClassificationDataset.SplitNames.Contains(s))
                throw new ArgumentException($"--split must be one of {string.Join(", ", ClassificationDataset.SplitNames)}, got '{s}'");
            using var model = ClassifierModel.Load(r.GetValue(run)!, dev);
            var dataset = ClassificationDataset.Load(r.GetValue(data)!, ClassificationLabel.Parse(model.Label));
            var outDir = r.GetValue(output) ?? Path.Combine(model.RunDirectory, "eval-" + s);
            var (evaluation, _) = model.Evaluate(dataset, s, outDir);
            Print(evaluation, r.GetValue(json), $"{model.Label} on the {s} split of {dataset.Root}", Path.Combine(outDir, "metrics.json"));
            return 0;
        }));
        return cmd;
    }

    private static Option<int?> ThreadsOption() => new("--threads") { Description = "libtorch intra-op threads (default: THORAX_NUM_THREADS or all cores)." };

    private static void SetThreads(int? threads)
    {
        if (threads is not { } n) return;
        if (n < 1) throw new ArgumentException($"--threads must be at least 1, got {n}");
        TorchRuntime.NumThreads = n;
    }

    private static void Print(ClassificationEvaluation e, bool json, string title, string metricsPath)
    {
        if (json)
        {
            CliJson.PrintJson(File.ReadAllText(metricsPath));
            return;
        }
        static string F(double v) => double.IsNaN(v) ? "-" : v.ToString("F3", CultureInfo.InvariantCulture);
        AnsiConsole.MarkupLine(Markup.Escape(title));
        var ci = e.AucInterval is { } c ? $" (95% CI {F(c.Lower)}-{F(c.Upper)})" : "";
        Console.WriteLine($"  {e.Count} studies ({e.Positives} positive): AUC {F(e.Auc)}{ci}, accuracy {F(e.Accuracy)}, sensitivity {F(e.Sensitivity)}, specificity {F(e.Specificity)} at 0.5");
        var table = new Table().AddColumns("subgroup", "positives", "negatives", "AUC");
        foreach (var (kind, groups) in new[] { ("ptx_size", e.BySize), ("ptx_location", e.ByLocation), ("shortcut", e.ByShortcut) })
            foreach (var g in groups)
                table.AddRow(Markup.Escape($"{kind}={g.Name}"), g.Positives.ToString(CultureInfo.InvariantCulture), g.Negatives.ToString(CultureInfo.InvariantCulture), F(g.Auc));
        if (table.Rows.Count > 0) AnsiConsole.Write(table);
    }
}
