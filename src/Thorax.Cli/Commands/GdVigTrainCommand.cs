using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Thorax.Models.GdVig;
using Thorax.Models.Runtime;
using Thorax.Pipelines.GdVig;
using Thorax.Training;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax gdvig train|evaluate|demo</c>: GD-ViG trained end to end as the authors' code, evaluated as their
/// inference script (plus gaze-map quality and the shortcut audit), and the shortcut demo.</summary>
internal static class GdVigTrainCommand
{
    public static void AddTo(Command gdvig)
    {
        gdvig.Subcommands.Add(Train());
        gdvig.Subcommands.Add(Evaluate());
        gdvig.Subcommands.Add(Demo());
    }

    private static Command Train()
    {
        var d = new GdVigTrainingOptions();
        var data = new Option<string>("--data") { Description = "A thorax synth folder (studies.csv, images/, splits/, egd-cxr/fixations.csv) or the authors' layout (train|test/img|gaze/*.png + siim_pneumothorax.csv or mimic_part.csv).", Required = true };
        var run = new Option<string>("--run") { Description = "Run folder (rerun into it to resume).", Required = true };
        var variant = new Option<string>("--variant") { Description = "siim (pneumothorax, 2 classes, ViG-S widths, stacked head) or egdcxr (Normal/CHF/pneumonia, 3 classes, ViG-Ti widths).", DefaultValueFactory = _ => "siim" };
        var model = new Option<string>("--model") { Description = "gdvig (generator + gaze-directed classifier), vig (the same classifier without gaze: the baseline) or gdvig-gt (classifier directed by the true gaze: the upper bound).", DefaultValueFactory = _ => "gdvig" };
        var lambda = new Option<double>("--lambda") { Description = "Weight of the gaze distance in the KNN (the authors' code: 1; their paper: 3).", DefaultValueFactory = _ => d.GazeLambda };
        var gazeWeight = new Option<double>("--gaze-weight") { Description = "Weight of the gaze-map MSE in the loss (the code's 1).", DefaultValueFactory = _ => d.GazeLossWeight };
        var channels = new Option<string?>("--channels") { Description = "Stage widths, e.g. 16,32,64,128 (default: the variant's published widths)." };
        var blocks = new Option<string?>("--blocks") { Description = "Blocks per stage, e.g. 1,1,2,1 (default 2,2,6,2)." };
        var size = new Option<int>("--size") { Description = "Input size (224 published; smaller sizes need fewer blocks, e.g. 160 with 1,1,2,1).", DefaultValueFactory = _ => d.Size };
        var batch = new Option<int>("--batch") { Description = "Batch size.", DefaultValueFactory = _ => d.BatchSize };
        var epochs = new Option<int>("--epochs") { Description = "Last epoch.", DefaultValueFactory = _ => d.Epochs };
        var lr = new Option<double>("--lr") { Description = "AdamW learning rate.", DefaultValueFactory = _ => d.LearningRate };
        var wd = new Option<double>("--weight-decay") { Description = "AdamW weight decay (0.01: what the code really uses; 1e-4: the value it parses but never passes).", DefaultValueFactory = _ => d.WeightDecay };
        var step = new Option<int>("--step-size") { Description = "StepLR step in epochs (gamma 0.1).", DefaultValueFactory = _ => d.StepSize };
        var seed = new Option<int>("--seed") { Description = "Seed of weights, shuffling and augmentation.", DefaultValueFactory = _ => d.Seed };
        var noAugment = new Option<bool>("--no-augment") { Description = "Train on the test transform only." };
        var selectLast = new Option<bool>("--select-last") { Description = "Keep the last epoch as the reference does (default: best validation AUC when there is a validation split)." };
        var missing = new Option<string>("--missing-gaze") { Description = "A training study without gaze: error (default) or skip.", DefaultValueFactory = _ => "error" };
        var labels = new Option<string?>("--labels") { Description = "Labels table for the authors' layout (default: siim_pneumothorax.csv / mimic_part.csv in --data or its parent)." };
        var sigma = new Option<double>("--gaze-sigma") { Description = "Gaze Gaussian sigma as a fraction of the image height for maps built from fixations (EGD-CXR's 150 px over 3056 rows).", DefaultValueFactory = _ => GdVigDataset.DefaultGazeSigmaFraction };
        var minutes = new Option<double?>("--minutes") { Description = "Training time budget in minutes." };
        var threads = new Option<int?>("--threads") { Description = "libtorch intra-op threads." };
        var deterministic = new Option<bool>("--deterministic") { Description = "One intra-op thread: bit-identical weights for equal settings." };
        var json = new Option<bool>("--json") { Description = "Print the test metrics as JSON." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("train", "Train GD-ViG end to end (CE + MSE(gaze), AdamW, StepLR(50), the reference augmentations), then evaluate the test split; writes model.safetensors, config.json, history.csv, curves.svg, eval-test/. Rerun into the same --run to resume.")
            { data, run, variant, model, lambda, gazeWeight, channels, blocks, size, batch, epochs, lr, wd, step, seed, noAugment, selectLast, missing, labels, sigma, minutes, threads, deterministic, json, deviceOpt };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            DeviceOption.Parse(r, deviceOpt); // exit 2 on a bad --device before any work
            var budget = r.GetValue(minutes) is { } m
                ? (m > 0 && double.IsFinite(m) ? TimeSpan.FromMinutes(m) : throw new ArgumentException($"--minutes must be positive, got {m}"))
                : TimeSpan.MaxValue;
            var o = new GdVigTrainingOptions
            {
                Variant = GdVigPredictor.ParseVariant(r.GetValue(variant)!), Model = GdVigTrainingOptions.ParseKind(r.GetValue(model)!),
                GazeLambda = r.GetValue(lambda), GazeLossWeight = r.GetValue(gazeWeight),
                Channels = r.GetValue(channels) is { } c ? GdVigTrainingOptions.ParseFour(c, "--channels") : null,
                Blocks = r.GetValue(blocks) is { } b ? GdVigTrainingOptions.ParseFour(b, "--blocks") : null,
                Size = r.GetValue(size), BatchSize = r.GetValue(batch), Epochs = r.GetValue(epochs), LearningRate = r.GetValue(lr), WeightDecay = r.GetValue(wd),
                StepSize = r.GetValue(step), Seed = r.GetValue(seed), Augment = !r.GetValue(noAugment), SelectByValidation = !r.GetValue(selectLast),
                MissingGaze = r.GetValue(missing) switch
                {
                    "error" => MissingGazePolicy.Error,
                    "skip" => MissingGazePolicy.Skip,
                    var other => throw new ArgumentException($"--missing-gaze: expected error or skip, got '{other}'"),
                },
                TimeBudget = budget, Deterministic = r.GetValue(deterministic), Device = r.GetValue(deviceOpt)!,
            };
            o.Validate();
            SetThreads(r.GetValue(threads));
            var dataset = GdVigDataset.Load(r.GetValue(data)!, o.Variant, new GdVigDataOptions { LabelsCsv = r.GetValue(labels), GazeSigmaFraction = r.GetValue(sigma) });
            var quiet = r.GetValue(json);
            GdVigTrainingResult? res = null;
            TrainingProgress.Run(quiet, p =>
            {
                var trainer = new GdVigTrainer(o);
                p.Attach(trainer, o, $"{GdVigTrainingOptions.KindName(o.Model)} {GdVigPredictor.Name(o.Variant)}");
                res = trainer.Train(dataset, r.GetValue(run)!);
            });
            var fit = res!.Fit;
            if (res.SkippedForGaze > 0) Console.Error.WriteLine($"left out {res.SkippedForGaze} training studies without gaze (--missing-gaze skip)");
            var title = $"best epoch {fit.BestEpoch} of {fit.History.Count} ({fit.StopReason.ToString().ToLowerInvariant()}), {fit.TrainSeconds:F0} s";
            if (res.Test is null)
            {
                if (quiet) CliJson.PrintJson(new JsonObject { ["run"] = res.RunDirectory, ["best_epoch"] = fit.BestEpoch, ["test"] = null }.ToJsonString());
                else Console.WriteLine($"{title}; no test split to evaluate");
            }
            else Print(res.Test, quiet, title + "; test split", Path.Combine(res.RunDirectory, "eval-test", "metrics.json"));
            if (!quiet) AnsiConsole.MarkupLine($"run folder: [blue]{Markup.Escape(res.RunDirectory)}[/] (model.safetensors, config.json, history.csv, curves.svg, eval-test/)");
            return 0;
        }));
        return cmd;
    }

    private static Command Evaluate()
    {
        var run = new Option<string?>("--run") { Description = "Run folder of gdvig train." };
        var weights = new Option<string?>("--weights") { Description = "Or: an authors' checkpoint (torch.save({\"model\": ...})), with --variant; published widths, 224 px." };
        var variant = new Option<string?>("--variant") { Description = "egdcxr or siim (with --weights)." };
        var data = new Option<string>("--data") { Description = "Dataset folder (synth or the authors' layout).", Required = true };
        var split = new Option<string>("--split") { Description = "train, validation or test.", DefaultValueFactory = _ => "test" };
        var output = new Option<string?>("--out") { Description = "Folder for metrics.json, predictions.csv, table.md, table.json, report.html (default RUN/eval-SPLIT)." };
        var labels = new Option<string?>("--labels") { Description = "Labels table for the authors' layout." };
        var sigma = new Option<double>("--gaze-sigma") { Description = "Gaze sigma as a fraction of the image height (maps from fixations).", DefaultValueFactory = _ => GdVigDataset.DefaultGazeSigmaFraction };
        var threads = new Option<int?>("--threads") { Description = "libtorch intra-op threads." };
        var json = new Option<bool>("--json") { Description = "Print the metrics as JSON." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("evaluate", "The authors' inference metrics (SIIM: accuracy, weighted P/R/F1, AUC of softmax; EGD-CXR: accuracy, macro P/R/F1, one-vs-rest AUC on logits), gaze CC/KL/SIM vs the true map, and AUC where the shortcut cue agrees/disagrees; writes metrics.json, predictions.csv, table.md, table.json, report.html.")
            { run, weights, variant, data, split, output, labels, sigma, threads, json, deviceOpt };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var dev = DeviceOption.Parse(r, deviceOpt);
            SetThreads(r.GetValue(threads));
            var s = r.GetValue(split)!;
            if (s is not ("train" or "validation" or "test")) throw new ArgumentException($"--split must be train, validation or test, got '{s}'");
            TorchRuntime.EnsureLoaded();
            GdVigNetwork net;
            string outDir;
            if (r.GetValue(run) is { } runDir)
            {
                if (r.GetValue(weights) is not null) throw new ArgumentException("give --run or --weights, not both");
                net = GdVigNetwork.LoadRun(runDir, dev);
                outDir = r.GetValue(output) ?? Path.Combine(runDir, "eval-" + s);
            }
            else if (r.GetValue(weights) is { } w)
            {
                var v = r.GetValue(variant) ?? throw new ArgumentException("--weights needs --variant (egdcxr or siim)");
                net = GdVigNetwork.LoadPublished(w, GdVigPredictor.ParseVariant(v), dev);
                outDir = r.GetValue(output) ?? throw new ArgumentException("--weights needs --out");
            }
            else throw new ArgumentException("give --run RUN (a gdvig train folder) or --weights FILE --variant V");
            using (net)
            {
                var dataset = GdVigDataset.Load(r.GetValue(data)!, net.Variant, new GdVigDataOptions { LabelsCsv = r.GetValue(labels), GazeSigmaFraction = r.GetValue(sigma) });
                var quiet = r.GetValue(json);
                var (evaluation, _, examples) = GdVigEvaluator.Evaluate(net, dataset, s, outDir, 8,
                    progress: quiet ? null : (n, t) => Console.Error.Write($"\rpredicting {n}/{t}"));
                if (!quiet) Console.Error.WriteLine();
                var name = GdVigTrainingOptions.KindName(net.Kind);
                var rows = new[] { new GdVigRow(name, evaluation, 0, 0, [], examples) };
                var note = $"{name} ({GdVigPredictor.Name(net.Variant)}, widths [{string.Join(", ", net.Options.Channels)}], {net.Size} px) on the {s} split of {dataset.Root}.";
                RunFiles.WriteText(Path.Combine(outDir, "table.md"), GdVigReport.Markdown(rows, note));
                RunFiles.WriteText(Path.Combine(outDir, "table.json"), GdVigReport.Json(rows, new JsonObject { ["note"] = note }).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
                RunFiles.WriteText(Path.Combine(outDir, "report.html"), GdVigReport.Html($"GD-ViG evaluation: {name}", note, rows));
                Print(evaluation, quiet, note, Path.Combine(outDir, "metrics.json"));
                if (!quiet) AnsiConsole.MarkupLine($"written to [blue]{Markup.Escape(Path.GetFullPath(outDir))}[/] (metrics.json, predictions.csv, table.md, table.json, report.html)");
            }
            return 0;
        }));
        return cmd;
    }

    private static Command Demo()
    {
        var d = new GdVigDemoOptions();
        var minutes = new Option<double>("--minutes") { Description = "Budget of the whole demo in minutes.", DefaultValueFactory = _ => d.Minutes };
        var output = new Option<string>("--out") { Description = "Output folder.", DefaultValueFactory = _ => d.OutputDirectory };
        var background = new Option<string?>("--background") { Description = "Real X-rays with lung masks for the studies (default ../shared/data/lungs; procedural studies when absent)." };
        var studies = new Option<int>("--studies") { Description = "Studies to generate.", DefaultValueFactory = _ => d.Studies };
        var size = new Option<int>("--size") { Description = "Network input size.", DefaultValueFactory = _ => d.Size };
        var channels = new Option<string?>("--channels") { Description = $"Stage widths (default {string.Join(",", d.Channels)})." };
        var blocks = new Option<string?>("--blocks") { Description = $"Blocks per stage (default {string.Join(",", d.Blocks)})." };
        var lambda = new Option<double>("--lambda") { Description = "Gaze lambda.", DefaultValueFactory = _ => d.GazeLambda };
        var seed = new Option<int>("--seed") { Description = "Seed of data and training.", DefaultValueFactory = _ => d.Seed };
        var threads = new Option<int?>("--threads") { Description = "libtorch intra-op threads." };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs for both models (each still stops at its share of --minutes; default: as many as GD-ViG's share allows, the ViG as many as GD-ViG managed)." };
        var json = new Option<bool>("--json") { Description = "Print gdvig_auc, vig_auc, gdvig_auc_cue_disagrees, vig_auc_cue_disagrees, gaze_cc, the attention shares (gdvig_cam_tube_share, ...), studies, ... as JSON." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("demo", "Realistic studies with gaze and a chest-tube shortcut; a small GD-ViG and a plain ViG trained within the budget; AUC overall and where the tube lies, Grad-CAM and graph-neighbour shares on the tube vs the pneumothorax; table.md, table.json, report.html.")
            { minutes, output, background, studies, size, channels, blocks, lambda, seed, epochs, threads, json, deviceOpt };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            DeviceOption.Parse(r, deviceOpt); // exit 2 on a bad --device before any work
            SetThreads(r.GetValue(threads));
            var o = d with
            {
                Minutes = r.GetValue(minutes), OutputDirectory = r.GetValue(output)!, Background = r.GetValue(background) ?? d.Background,
                Studies = r.GetValue(studies), Size = r.GetValue(size), GazeLambda = r.GetValue(lambda), Seed = r.GetValue(seed),
                Channels = r.GetValue(channels) is { } c ? GdVigTrainingOptions.ParseFour(c, "--channels") : d.Channels,
                Blocks = r.GetValue(blocks) is { } b ? GdVigTrainingOptions.ParseFour(b, "--blocks") : d.Blocks,
                Epochs = r.GetValue(epochs), Device = r.GetValue(deviceOpt)!,
            };
            if (o.Epochs is < 1) throw new ArgumentException($"--epochs must be at least 1, got {o.Epochs}");
            if (o.Studies is < 20 or > 100000) throw new ArgumentException($"--studies must be in [20, 100000], got {o.Studies}");
            if (r.GetValue(background) is { } bg && !Directory.Exists(bg)) throw new DirectoryNotFoundException($"--background folder not found: {bg}");
            var quiet = r.GetValue(json);
            GdVigDemoResult? res = null;
            TrainingProgress.Run(quiet, p =>
            {
                res = GdVigDemo.Run(o, (name, trainer, opts) => p.Attach(trainer, opts, name), line => Console.Error.WriteLine(line));
            });
            if (quiet)
            {
                CliJson.PrintJson(res!.ToJson().ToJsonString());
                return 0;
            }
            Console.WriteLine(File.ReadAllText(Path.Combine(res!.OutputDirectory, "table.md")));
            AnsiConsole.MarkupLine($"report: [blue]{Markup.Escape(Path.Combine(res.OutputDirectory, "report.html"))}[/] ({res.Seconds / 60:F1} min)");
            return 0;
        }));
        return cmd;
    }

    private static void SetThreads(int? threads)
    {
        if (threads is not { } n) return;
        if (n < 1) throw new ArgumentException($"--threads must be at least 1, got {n}");
        TorchRuntime.NumThreads = n;
    }

    private static void Print(GdVigEvaluation e, bool json, string title, string metricsPath)
    {
        if (json)
        {
            CliJson.PrintJson(File.ReadAllText(metricsPath));
            return;
        }
        static string F(double v) => double.IsNaN(v) ? "-" : v.ToString("F3", CultureInfo.InvariantCulture);
        AnsiConsole.MarkupLine(Markup.Escape(title));
        Console.WriteLine($"  {e.Count} studies: accuracy {F(e.Accuracy)}, precision {F(e.Precision)}, recall {F(e.Recall)}, F1 {F(e.F1)} ({e.Average}), AUC {F(e.Auc)}");
        if (e.AucPerClass.Count > 0) Console.WriteLine($"  AUC per class: {string.Join(", ", e.AucPerClass.Select((a, i) => $"{GdVigDataset.ClassNames(e.Variant)[i]} {F(a)}"))}");
        if (e.GazeStudies > 0) Console.WriteLine($"  gaze map vs truth ({e.GazeStudies} studies): CC {F(e.GazeCc)}, KL {F(e.GazeKl)}, SIM {F(e.GazeSim)}");
        if (e.Shortcut is not null) Console.WriteLine($"  AUC where the shortcut cue agrees {F(e.AucCueAgrees)}, disagrees {F(e.AucCueDisagrees)}");
        if (e.Attention is { } a)
        {
            Console.WriteLine($"  Grad-CAM mass on the chest tube {F(a.CamTubeShare)} (its area {F(a.TubeArea)}, {a.TubeStudies} studies), on the pneumothorax {F(a.CamFindingShare)} (area {F(a.FindingArea)}, {a.FindingStudies} studies)");
            Console.WriteLine($"  pneumothorax nodes' graph neighbours on the tube {F(a.GraphTubeShare)} (chance {F(a.GraphTubeChance)}, {a.BothStudies} studies), on the pneumothorax {F(a.GraphFindingShare)} (chance {F(a.GraphFindingChance)})");
        }
    }
}
