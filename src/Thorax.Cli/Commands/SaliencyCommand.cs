using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Thorax.Pipelines.Saliency;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax saliency predict</c>: the authors' dual-encoder multi-task model (Qiu et al., CXRGazeLearn
/// <c>MTL_UNet_preset</c>) from their checkpoint: class logits/probabilities and the gaze-saliency map per image.</summary>
internal static class SaliencyCommand
{
    public static Command Create()
    {
        var saliency = new Command("saliency", "Joint diagnosis (normal / heart failure / pneumonia) and gaze saliency (Qiu et al., CXRGazeLearn).");
        saliency.Subcommands.Add(Predict());
        saliency.Subcommands.Add(Train());
        saliency.Subcommands.Add(Evaluate());
        saliency.Subcommands.Add(Compare());
        saliency.Subcommands.Add(Demo());
        return saliency;
    }

    private static Command Demo()
    {
        var d = new SaliencyDemoOptions();
        var minutes = new Option<double>("--minutes") { Description = "Budget of the whole demo (data, both trainings, evaluation).", DefaultValueFactory = _ => d.Minutes };
        var output = new Option<string>("--out") { Description = "Output folder (data/, classifier/, saliency/, mtunet/, dual/, table.md, table.json, report.html); rerun to resume.", DefaultValueFactory = _ => d.OutDirectory };
        var n = new Option<int>("--n") { Description = "Studies to generate.", DefaultValueFactory = _ => d.Studies };
        var stride = new Option<int>("--stride") { Description = "Subsampling stride of the 256 px studies (2: 160x128 input, 4: 96x64).", DefaultValueFactory = _ => d.Stride };
        var background = new Option<string>("--background") { Description = "Real X-rays with lung masks (synth --background); procedural studies when absent.", DefaultValueFactory = _ => d.Background! };
        var json = new Option<bool>("--json") { Description = "Print the figures as JSON (auc_macro, auc_normal, auc_heart_failure, auc_pneumonia, accuracy, kl, cc, sim, baseline_* (MT-UNet), classifier_*, saliency_*, studies, version)." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("demo", "Realistic studies with gaze, then the paper's comparison at reduced width in the budget (saliency compare: single-task classifier, single-task Res_SE-UNet, MT-UNet, the dual encoder), table and HTML report.")
            { minutes, output, n, stride, background, json, deviceOpt };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            DeviceOption.Parse(r, deviceOpt); // exit 2 on a bad --device before any work
            var o = new SaliencyDemoOptions
            {
                Minutes = r.GetValue(minutes), OutDirectory = r.GetValue(output)!, Studies = r.GetValue(n), Stride = r.GetValue(stride), Background = r.GetValue(background),
                Device = r.GetValue(deviceOpt)!,
            };
            if (o.Studies < 30) throw new ArgumentException($"--n must be at least 30 (each split needs every class), got {o.Studies}");
            var res = SaliencyDemo.Run(o, m => Console.Error.WriteLine(m), t => AttachProgress(t));
            if (r.GetValue(json)) CliJson.PrintJson(res.ToJson().ToJsonString());
            else
            {
                Console.WriteLine(File.ReadAllText(Path.Combine(res.OutDirectory, "table.md")).TrimEnd());
                Console.WriteLine($"{res.Seconds / 60:F1} min; report: {Path.Combine(res.OutDirectory, "report.html")}");
            }
            return 0;
        }));
        return cmd;
    }

    private static Command Evaluate()
    {
        var run = new Option<string>("--run") { Description = "Run folder of saliency train.", Required = true };
        var data = new Option<string>("--data") { Description = "The dataset folder (prepared at the run's geometry; its images must have the run's image size).", Required = true };
        var baseline = new Option<string[]>("--baseline") { Description = "Further run folders (MT-UNet, the single-task classifier or saliency runs; repeat the option) evaluated on the same studies in the same table, each paired-t-tested against --run on the tasks both do (KL, CC, SIM; log loss)." };
        var split = new Option<string>("--split") { Description = "train, validation or test (the reference reports on its validation split; MT-UNet on test).", DefaultValueFactory = _ => "test" };
        var splitMode = new Option<string>("--split-mode") { Description = "auto (the master sheet's split column, else reference) or reference (class-stratified counter split).", DefaultValueFactory = _ => "auto" };
        var output = new Option<string?>("--out") { Description = "Folder for table.md, table.json, per_image_*.csv and report.html (default RUN/eval-SPLIT)." };
        var json = new Option<bool>("--json") { Description = "Print table.json." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("evaluate", "Classification AUC per class, macro and micro, accuracy; saliency KL, CC, SIM against the true gaze maps (the reference's semantics); Grad-CAM vs predicted saliency CC; table.md/table.json and an HTML report with overlays.")
            { run, data, baseline, split, splitMode, output, json, deviceOpt };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var dev = DeviceOption.Parse(r, deviceOpt);
            var runDir = r.GetValue(run)!;
            var (geo, size) = SaliencyEvaluator.RunGeometry(runDir);
            var studies = LoadStudies(r.GetValue(data)!, geo, r.GetValue(splitMode)!, geo == SaliencyGeometry.Reference ? null : size);
            var runs = new List<(string, string)> { (Path.GetFileName(Path.GetFullPath(runDir).TrimEnd('/')), runDir) };
            foreach (var b in r.GetValue(baseline) ?? [])
            {
                var name = Path.GetFileName(Path.GetFullPath(b).TrimEnd('/'));
                if (runs.Any(x => x.Item1 == name)) name = Path.GetFullPath(b).TrimEnd('/');
                runs.Add((name, b));
            }
            var s = r.GetValue(split)!;
            var outDir = r.GetValue(output) ?? Path.Combine(runDir, "eval-" + s);
            var res = SaliencyEvaluator.Run(runs, studies, s, outDir, $"{studies.Root}, {s} split; " + SaliencyReport.PaperNote, log: m => Console.Error.WriteLine(m), device: dev);
            return PrintTable(r.GetValue(json), res.OutDirectory);
        }));
        return cmd;
    }

    /// <summary>What evaluate and compare print: table.json with --json, else table.md and where the files are; the
    /// exit code.</summary>
    private static int PrintTable(bool json, string outDirectory)
    {
        if (json) CliJson.PrintJson(File.ReadAllText(Path.Combine(outDirectory, "table.json")));
        else
        {
            Console.WriteLine(File.ReadAllText(Path.Combine(outDirectory, "table.md")).TrimEnd());
            Console.WriteLine($"written: {outDirectory} (table.md, table.json, per_image_*.csv, report.html)");
        }
        return 0;
    }

    private static Command Compare()
    {
        var d = new SaliencyCompareOptions();
        var data = new Option<string>("--data") { Description = "A thorax synth folder or an EGD-CXR folder (as saliency train).", Required = true };
        var output = new Option<string>("--out") { Description = "Folder for the runs (classifier/, saliency/, mtunet/, dual/), table.md, table.json, per_image_*.csv and report.html; rerun to resume.", Required = true };
        var models = new Option<string>("--models") { Description = "Models to train and tabulate, comma-separated: dual, mtunet, classifier, saliency.", DefaultValueFactory = _ => string.Join(",", SaliencyModelSpec.Models) };
        var width = new Option<string>("--width") { Description = "reference or small widths.", DefaultValueFactory = _ => d.Width };
        var minutes = new Option<double?>("--minutes") { Description = "Budget of all trainings in minutes (shares classifier 0.2, saliency 0.15, mtunet 0.2, dual 0.45, in that order; time one leaves unused goes to the later ones)." };
        var epochs = new Option<string>("--epochs") { Description = "Epochs per stage: one value or four.", DefaultValueFactory = _ => "50,10,50,40" };
        var batch = new Option<string>("--batch") { Description = "Batch per stage: one value or four.", DefaultValueFactory = _ => "32,16,16,6" };
        var stride = new Option<int>("--stride") { Description = "Subsampling stride after padding to the 5:4 canvas.", DefaultValueFactory = _ => 1 };
        var geometry = new Option<string>("--geometry") { Description = "auto or reference.", DefaultValueFactory = _ => "auto" };
        var splitMode = new Option<string>("--split-mode") { Description = "auto (the master sheet's split column, else reference) or reference.", DefaultValueFactory = _ => "auto" };
        var split = new Option<string>("--split") { Description = "Split the table is computed on: train, validation or test.", DefaultValueFactory = _ => d.EvaluationSplit };
        var seed = new Option<int>("--seed") { Description = "Seed of every training.", DefaultValueFactory = _ => 0 };
        var limit = new Option<int>("--limit") { Description = "Use only the first N studies (0: all).", DefaultValueFactory = _ => 0 };
        var triplet = new Option<string>("--triplet") { Description = "Stage-1 distance: flattened, reference4d or normalized (as saliency train).", DefaultValueFactory = _ => "flattened" };
        var preciseBnCmp = new Option<bool>("--precise-bn") { Description = "Stage 1: recompute the BatchNorm statistics over the training split before each validation (as saliency train)." };
        var json = new Option<bool>("--json") { Description = "Print table.json (version 1, snake_case)." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("compare", "The paper's comparison in one command: the dual encoder, MT-UNet, the single-task classifier (DenseNet: triplet pre-training + CE) and the single-task saliency network (Res_SE-UNet, KL) trained on the same studies within one budget, one table with paired t-tests against the dual encoder, and an HTML report.")
            { data, output, models, width, minutes, epochs, batch, stride, geometry, splitMode, split, seed, limit, triplet, preciseBnCmp, json, deviceOpt };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            DeviceOption.Parse(r, deviceOpt); // exit 2 on a bad --device before any work
            var modelList = SaliencyCompareOptions.ParseModels(r.GetValue(models)!);
            SaliencyModelSpec.Named("dual", r.GetValue(width)!);
            var tripletMode = ParseTriplet(r.GetValue(triplet)!);
            var epochList = SaliencyTrainingOptions.ParsePerStage(r.GetValue(epochs)!, "--epochs");
            var batchList = SaliencyTrainingOptions.ParsePerStage(r.GetValue(batch)!, "--batch");
            var budget = Minutes(r.GetValue(minutes));
            var studies = LoadStudies(r.GetValue(data)!, r.GetValue(geometry)!, r.GetValue(stride), r.GetValue(splitMode)!, r.GetValue(limit));
            var s = r.GetValue(split)!;
            var o = new SaliencyCompareOptions
            {
                OutDirectory = r.GetValue(output)!, Width = r.GetValue(width)!,
                Models = modelList, TimeBudget = budget, Epochs = epochList, Batch = batchList, Seed = r.GetValue(seed), EvaluationSplit = s,
                Triplet = tripletMode, PreciseBatchNorm = r.GetValue(preciseBnCmp), Device = r.GetValue(deviceOpt)!,
                Note = $"{studies.Root}, {s} split; {r.GetValue(width)} widths; budget {budget.TotalMinutes:G4} min. " + SaliencyReport.PaperNote,
            };
            var res = SaliencyCompare.Run(studies, o, m => Console.Error.WriteLine(m), (m, t) => AttachProgress(t, m + " "));
            return PrintTable(r.GetValue(json), res.OutDirectory);
        }));
        return cmd;
    }

    private static Command Train()
    {
        var d = new SaliencyTrainingOptions();
        var data = new Option<string>("--data") { Description = "A thorax synth folder (egd-cxr/master_sheet.csv, egd-cxr/fixations.csv, images/) or an EGD-CXR folder (master_sheet.csv + eye_gaze.csv or fixations.csv).", Required = true };
        var run = new Option<string>("--run") { Description = "Run folder (one sub-folder per stage; rerun into it to resume).", Required = true };
        var model = new Option<string>("--model") { Description = "dual (the dual-encoder MTL_UNet_preset, four stages), mtunet (the MT-UNet baseline, one joint stage), classifier (the single-task DenseNet: stages 1-2; --stages 2 skips the contrastive pre-training) or saliency (the single-task Res_SE-UNet: stage 3, KL only).", DefaultValueFactory = _ => "dual" };
        var preciseBn = new Option<bool>("--precise-bn") { Description = "Stage 1, not the reference's: before each validation recompute the DenseNet's BatchNorm running statistics over the training split (from random initialisation the running averages lag and shrink the eval-mode embedding, so the reference's selection keeps epoch 1; see README)." };
        var initFrom = new Option<string?>("--init-from") { Description = "A finished classifier run whose DenseNet starts a dual run without earlier stages of its own (e.g. --stages 3,4), as the reference's stage 3 loads its classifier checkpoint." };
        var memoryEfficient = new Option<bool>("--memory-efficient") { Description = "torchvision's memory_efficient DenseNet: the dense layers' bottlenecks are recomputed in the backward pass instead of kept (less training memory, more compute; norm1's running statistics are updated twice per step, as in torchvision)." };
        var width = new Option<string>("--width") { Description = "reference (DenseNet-201, filters 64..1024) or small (DenseNet growth 8 blocks 2/2/2/2, filters 16..256; for CPU demos).", DefaultValueFactory = _ => "reference" };
        var stages = new Option<string?>("--stages") { Description = "Stages to run, in order: 1 contrastive, 2 classifier, 3 saliency, 4 joint (numbers or names, comma-separated; default all for dual, joint for mtunet). Each starts from the newest earlier finished stage of the run." };
        var epochs = new Option<string>("--epochs") { Description = "Epochs per stage: one value or four (the reference's 50,10,50,40).", DefaultValueFactory = _ => "50,10,50,40" };
        var batch = new Option<string>("--batch") { Description = "Batch per stage: one value or four (the reference's 32,16,16,6).", DefaultValueFactory = _ => "32,16,16,6" };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => d.LearningRate };
        var minutes = new Option<double?>("--minutes") { Description = "Time budget of all stages in minutes (shared 15/15/25/45% among stages 1-4)." };
        var stride = new Option<int>("--stride") { Description = "Subsampling stride after padding to the 5:4 canvas (a 256 px image: 1 gives 320x256, 2 gives 160x128).", DefaultValueFactory = _ => 1 };
        var geometry = new Option<string>("--geometry") { Description = "auto (canvas from the images' size, which all must share) or reference (3200x2560 canvas, stride 10: MIMIC-CXR DICOMs).", DefaultValueFactory = _ => "auto" };
        var split = new Option<string>("--split") { Description = "auto (the master sheet's split column, else reference) or reference (the class-stratified 70/10/20 counter split).", DefaultValueFactory = _ => "auto" };
        var triplet = new Option<string>("--triplet") { Description = "Stage-1 distance: flattened (L2 of the flattened embedding), reference4d (the code's pairwise_distance along the last axis of 4-D maps) or normalized (L2 of unit-length flattened embeddings; not the reference's).", DefaultValueFactory = _ => "flattened" };
        var seed = new Option<int>("--seed") { Description = "Seed of initialisation and shuffling.", DefaultValueFactory = _ => 0 };
        var limit = new Option<int>("--limit") { Description = "Use only the first N studies of the master sheet (0: all).", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print the stages' results as JSON." };
        var plateau = new Option<int>("--plateau-patience") { Description = "ReduceLROnPlateau patience on the validation loss (factor 0.1; the best weights are reloaded when the rate drops).", DefaultValueFactory = _ => d.PlateauPatience };
        var patience = new Option<int>("--patience") { Description = "Early stopping: epochs without a better validation loss.", DefaultValueFactory = _ => d.EarlyStopping };
        var deterministic = new Option<bool>("--deterministic") { Description = "One intra-op thread: equal settings give bit-identical weights, and a killed run resumes to exactly the uninterrupted run's weights (slower)." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("train", "Train the joint diagnosis + gaze saliency network through the reference's stages (triplet pre-training, classifier, saliency with a frozen DenseNet, joint uncertainty-weighted), best epoch by validation loss; resumable.")
            { data, run, model, width, stages, epochs, batch, lr, minutes, stride, geometry, split, triplet, seed, limit, plateau, patience, deterministic, initFrom, preciseBn, memoryEfficient, json, deviceOpt };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            DeviceOption.Parse(r, deviceOpt); // exit 2 on a bad --device before any work
            var o = new SaliencyTrainingOptions
            {
                Network = SaliencyModelSpec.Named(r.GetValue(model)!, r.GetValue(width)!),
                Stages = r.GetValue(stages) is { } st ? SaliencyTrainingOptions.ParseStages(st) : null,
                Epochs = SaliencyTrainingOptions.ParsePerStage(r.GetValue(epochs)!, "--epochs"),
                Batch = SaliencyTrainingOptions.ParsePerStage(r.GetValue(batch)!, "--batch"),
                LearningRate = r.GetValue(lr),
                TimeBudget = Minutes(r.GetValue(minutes)),
                Triplet = ParseTriplet(r.GetValue(triplet)!),
                Seed = r.GetValue(seed),
                PlateauPatience = r.GetValue(plateau), EarlyStopping = r.GetValue(patience), Deterministic = r.GetValue(deterministic),
                InitFrom = r.GetValue(initFrom), PreciseBatchNorm = r.GetValue(preciseBn), MemoryEfficient = r.GetValue(memoryEfficient),
                Device = r.GetValue(deviceOpt)!,
            };
            o.Validate();
            var studies = LoadStudies(r.GetValue(data)!, r.GetValue(geometry)!, r.GetValue(stride), r.GetValue(split)!, r.GetValue(limit));
            var trainer = new SaliencyTrainer(o);
            AttachProgress(trainer);
            var results = trainer.Train(studies, r.GetValue(run)!);
            var rows = results.Select(s => new Dictionary<string, object?>
            {
                ["stage"] = s.Stage.ToString().ToLowerInvariant(), ["best_epoch"] = s.BestEpoch, ["seconds"] = Math.Round(s.Seconds, 1),
                ["initialized_from"] = s.InitializedFrom?.ToString().ToLowerInvariant(),
                ["best"] = s.Best.ToDictionary(kv => kv.Key, kv => double.IsFinite(kv.Value) ? (object)Math.Round(kv.Value, 6) : null),
            }).ToList();
            if (r.GetValue(json)) CliJson.Print(new Dictionary<string, object> { ["run"] = Path.GetFullPath(r.GetValue(run)!), ["stages"] = rows });
            else
            {
                foreach (var s in results)
                    Console.WriteLine($"stage {(int)s.Stage} {s.Stage.ToString().ToLowerInvariant()}: best epoch {s.BestEpoch}, " +
                        string.Join(", ", s.Best.Select(kv => $"{kv.Key} {kv.Value.ToString("F4", CultureInfo.InvariantCulture)}")) + $" ({s.Seconds:F0} s)");
                Console.WriteLine($"run folder: {Path.GetFullPath(r.GetValue(run)!)} (config.json, model.safetensors, stage*/)");
            }
            return 0;
        }));
        return cmd;
    }

    private static TripletDistance ParseTriplet(string t) => t switch
    {
        "flattened" => TripletDistance.Flattened,
        "reference4d" => TripletDistance.Reference4D,
        "normalized" => TripletDistance.Normalized,
        _ => throw new ArgumentException($"--triplet must be flattened, reference4d or normalized, got '{t}'"),
    };

    internal static TimeSpan Minutes(double? m) => m is { } v
        ? (v > 0 && double.IsFinite(v) ? TimeSpan.FromMinutes(v) : throw new ArgumentException($"--minutes must be positive, got {v}"))
        : TimeSpan.FromHours(23.5);

    internal static SaliencyStudies LoadStudies(string data, string geometry, int stride, string split, int limit) =>
        LoadStudies(data, geometry switch
        {
            "auto" => null,
            "reference" => SaliencyGeometry.Reference,
            _ => throw new ArgumentException($"--geometry must be auto or reference, got '{geometry}'"),
        }, split, null, stride, limit);

    internal static SaliencyStudies LoadStudies(string data, SaliencyGeometry? g, string split, (int, int)? imageSize, int stride = 1, int limit = 0)
    {
        var mode = split switch
        {
            "auto" => SaliencySplitMode.Auto,
            "reference" => SaliencySplitMode.Reference,
            _ => throw new ArgumentException($"--split must be auto or reference, got '{split}'"),
        };
        if (stride < 1) throw new ArgumentException($"--stride must be at least 1, got {stride}");
        Console.Error.WriteLine($"preparing studies from {data} ...");
        var s = SaliencyStudies.Load(data, g, stride, mode, limit: limit, imageSize: imageSize);
        Console.Error.WriteLine($"{s.Studies.Count} studies ({s.Split("train").Count} train, {s.Split("validation").Count} validation, {s.Split("test").Count} test) at {s.Geometry.OutputHeight}x{s.Geometry.OutputWidth} (canvas {s.Geometry.CanvasHeight}x{s.Geometry.CanvasWidth}, stride {s.Geometry.Stride}); gaze: {s.GazeNote}");
        return s;
    }

    internal static void AttachProgress(SaliencyTrainer trainer, string prefix = "")
    {
        var last = DateTime.UtcNow;
        trainer.StageMessage += (s, m) => Console.Error.WriteLine($"{prefix}stage {(int)s} {s.ToString().ToLowerInvariant()}: {m}");
        trainer.StepCompleted += (s, e, step, steps, loss) =>
        {
            if ((DateTime.UtcNow - last).TotalSeconds < 20 && step != steps) return;
            last = DateTime.UtcNow;
            Console.Error.WriteLine($"{prefix}stage {(int)s} epoch {e} step {step}/{steps} loss {loss.ToString("F4", CultureInfo.InvariantCulture)}");
        };
        trainer.EpochCompleted += (s, e) => Console.Error.WriteLine($"{prefix}stage {(int)s} {s.ToString().ToLowerInvariant()} epoch {e.Epoch}: train loss {e.TrainLoss.ToString("F4", CultureInfo.InvariantCulture)}, " +
            string.Join(", ", e.Metrics.Select(kv => $"{kv.Key} {kv.Value.ToString("F4", CultureInfo.InvariantCulture)}")) + $", lr {e.LearningRate:G3} ({e.Seconds:F0} s)");
    }

    private static Command Predict()
    {
        var weights = new Option<string>("--weights") { Description = "torch.save(net.state_dict()) of CXRGazeLearn's final model (MTL_UNet_preset), or safetensors (a module. prefix is accepted); or a run folder of saliency train (its network, width and geometry).", Required = true };
        var images = new Argument<string[]>("IMAGE") { Description = "DICOM, PNG or JPEG files; padded centrally and subsampled to 320x256 as the reference (an image already 320x256 is used as is), divided by its maximum.", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Print per image file, class_logits, class_probabilities, predicted_class as JSON." };
        var maps = new Option<string?>("--maps") { Description = "Folder for STEM.npy (float32 saliency log-probabilities, H x W) and STEM-overlay.png." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("predict", "Class logits/probabilities and the saliency map (log-softmax over all pixels) of each image.") { weights, images, json, maps, deviceOpt };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var dev = DeviceOption.Parse(r, deviceOpt);
            using var predictor = new SaliencyPredictor(r.GetValue(weights)!, dev);
            var results = new List<Dictionary<string, object>>();
            foreach (var file in r.GetValue(images)!)
            {
                var p = predictor.Predict(file);
                string? npy = null, png = null;
                if (r.GetValue(maps) is { } dir) (npy, png) = SaliencyPredictor.WriteMaps(p, dir);
                var row = new Dictionary<string, object>
                {
                    ["file"] = file,
                    ["class_logits"] = p.ClassLogits,
                    ["class_probabilities"] = p.ClassProbabilities,
                    ["predicted_class"] = p.PredictedClass,
                    ["predicted_label"] = SaliencyPredictor.ClassNames[p.PredictedClass],
                };
                if (npy is not null) { row["map_npy"] = npy; row["overlay_png"] = png!; }
                results.Add(row);
                if (!r.GetValue(json))
                {
                    var probs = string.Join(", ", SaliencyPredictor.ClassNames.Select((n, i) => $"{n} {p.ClassProbabilities[i].ToString("F3", CultureInfo.InvariantCulture)}"));
                    Console.WriteLine($"{file}: {SaliencyPredictor.ClassNames[p.PredictedClass]} ({probs}){(npy is null ? "" : $"; map {npy}, overlay {png}")}");
                }
            }
            if (r.GetValue(json)) CliJson.Print(new { images = results });
            return 0;
        }));
        return cmd;
    }
}
