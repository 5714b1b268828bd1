using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using Thorax.Pipelines.Lungs;
using Thorax.Models.Runtime;
using Thorax.Training;
using TorchSharp;

namespace Thorax.Cli.Commands;

/// <summary>
/// <c>thorax demo</c>: trains a small lung segmenter for a few minutes on the real lung pairs beside the repository
/// (../shared/data/lungs) or, when they are absent, on built-in synthetic studies; evaluates it and writes
/// demo-out/report.html.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Folder with pairs.csv, images/ and masks/ (default: ../shared/data/lungs when present)." };
        var output = new Option<string>("--out") { Description = "Output folder.", DefaultValueFactory = _ => "demo-out" };
        var minutes = new Option<double>("--minutes") { Description = "Training time budget in minutes.", DefaultValueFactory = _ => 4.0 };
        var size = new Option<int>("--size") { Description = "Model input size (multiple of 16).", DefaultValueFactory = _ => 128 };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("demo", "Train and evaluate a small lung segmenter; writes an HTML report.") { data, output, minutes, size, deviceOpt };
        cmd.SetAction(r => CliErrors.Run(() => Run(r.GetValue(data), r.GetValue(output)!, r.GetValue(minutes), r.GetValue(size), r.GetValue(deviceOpt)!)));
        return cmd;
    }

    private static int Run(string? dataDir, string outDir, double minutes, int size, string deviceName)
    {
        var device = DeviceOption.Parse(deviceName);
        if (minutes is <= 0 or > 600) throw new ArgumentException($"--minutes must be in (0, 600], got {minutes}");
        var options = new LungTrainingOptions { Size = size, TimeBudget = TimeSpan.FromMinutes(minutes), Device = deviceName };
        options.Validate();
        dataDir ??= DefaultLungData();
        string? synthDir = null;
        if (dataDir is null)
        {
            // No real data beside the repository: make a small synthetic dataset (lungs with pixel truth) and train on it.
            synthDir = Path.Combine(outDir, "synthetic");
            var synth = Thorax.Synthetic.SynthOptions.Default with
            {
                OutputDirectory = synthDir, Count = 240, Seed = 7, ImageSize = 256, WriteGaze = false, WriteReports = false, Force = true,
            };
            AnsiConsole.MarkupLine($"[yellow]../shared/data/lungs is absent: generating {synth.Count} synthetic studies in {Markup.Escape(synthDir)}[/]");
            Thorax.Synthetic.SyntheticDatasetWriter.Write(synth);
        }
        var total = Stopwatch.StartNew();
        // The demo always trains afresh (lungs train resumes from RUN/checkpoints instead).
        var stale = Path.Combine(outDir, "checkpoints");
        if (Directory.Exists(stale)) Directory.Delete(stale, recursive: true);
        TorchRuntime.EnsureLoaded();
        var shownData = Path.GetFullPath(dataDir ?? synthDir!);
        AnsiConsole.MarkupLine($"[bold]Thorax demo[/]: lung segmentation ({options.Model}, base {options.BaseChannels} channels, {size} px) on [blue]{Markup.Escape(shownData)}[/]");
        AnsiConsole.MarkupLine($"[grey]libtorch {torch.__version__} (TorchSharp), {torch.get_num_threads()} threads, {device}; training budget {minutes:0.#} min[/]");
        IReadOnlyList<LungSample> samples = Array.Empty<LungSample>();
        LungTrainingResult? result = null;
        IReadOnlyList<LungSample> validation = Array.Empty<LungSample>();
        List<byte[]> predictions = new();
        var interactive = !Console.IsOutputRedirected;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var load = ctx.AddTask("load + CLAHE + resize");
                samples = dataDir is not null
                    ? LungDataset.LoadPairs(dataDir, size, new Progress<int>(n => load.Value = n))
                    : LungDataset.LoadFolders(Path.Combine(synthDir!, "images"), Path.Combine(synthDir!, "masks", "lungs"), size, "synthetic",
                        new Progress<int>(n => load.Value = n));
                load.MaxValue = samples.Count;
                load.Value = samples.Count;
                var trainTask = ctx.AddTask("train", maxValue: options.TimeBudget.TotalSeconds);
                var trainer = new LungTrainer(options);
                var clock = Stopwatch.StartNew();
                trainer.StepCompleted += (epoch, step, steps, loss) =>
                {
                    trainTask.Description = $"train epoch {epoch} step {step}/{steps} loss {loss:F3}";
                    trainTask.Value = Math.Min(clock.Elapsed.TotalSeconds, trainTask.MaxValue);
                };
                trainer.EpochCompleted += e =>
                {
                    if (!interactive) Console.WriteLine($"epoch {e.Epoch}: train loss {e.TrainLoss:F4}, val loss {e.ValLoss:F4}, val Dice {e.ValDice:F4} ({e.Seconds:F0} s)");
                    else AnsiConsole.MarkupLine($"epoch {e.Epoch}: train loss {e.TrainLoss:F4}, val loss {e.ValLoss:F4}, [green]val Dice {e.ValDice:F4}[/] ({e.Seconds:F0} s)");
                };
                var (res, model, val) = trainer.Train(samples, outDir);
                trainTask.Value = trainTask.MaxValue;
                var eval = ctx.AddTask("evaluate + report", maxValue: 1);
                predictions = LungTrainer.Predict(model, val, device: device);
                model.Dispose();
                result = res;
                validation = val;
                eval.Value = 1;
            });
        var note = $"Data: {shownData} ({samples.Count} pairs; {string.Join(", ", samples.GroupBy(s => s.Source).Select(g => $"{g.Count()} {g.Key}"))}). " +
                   "Preprocessing: CLAHE clip 2.0 on 8x8 tiles, bilinear resize; loss BCE + Dice; Adam.";
        var reportPath = Path.Combine(outDir, "report.html");
        RunFiles.WriteText(reportPath, LungReport.Html(result!, validation, predictions, "Thorax demo: lung segmentation", note));
        var table = new Table().AddColumns("images", "Dice (DC)", "IoU", "Recall", "Precision");
        table.AddRow(result!.Validation.Count.ToString(), $"{result.MeanDice:F4}", $"{result.MeanIoU:F4}", $"{result.MeanRecall:F4}", $"{result.MeanPrecision:F4}");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"best epoch {result.BestEpoch} of {result.History.Count}; total {total.Elapsed.TotalMinutes:F1} min");
        AnsiConsole.MarkupLine($"model, config, metrics and history: [blue]{Markup.Escape(Path.GetFullPath(outDir))}[/]");
        AnsiConsole.MarkupLine($"report: [bold blue]{Markup.Escape(Path.GetFullPath(reportPath))}[/]");
        return 0;
    }

    internal static string? DefaultLungData()
    {
        foreach (var baseDir in new[] { Bench.RepoPaths.Root, Directory.GetCurrentDirectory() })
        {
            var p = Path.GetFullPath(Path.Combine(baseDir, "..", "shared", "data", "lungs"));
            if (File.Exists(Path.Combine(p, "pairs.csv"))) return p;
        }
        return null;
    }
}
