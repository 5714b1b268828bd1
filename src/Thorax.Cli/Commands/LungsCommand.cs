using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Thorax.Pipelines.Lungs;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax lungs train|eval|predict</c>: the CXLSeg lung-segmentation method.</summary>
internal static class LungsCommand
{
    public static Command Create()
    {
        var lungs = new Command("lungs", "Lung segmentation (CXLSeg): train, evaluate and run U-Net, U-Net++, Attention U-Net and SA-UNet.");
        lungs.Subcommands.Add(Train());
        lungs.Subcommands.Add(Compare());
        lungs.Subcommands.Add(Eval());
        lungs.Subcommands.Add(Predict());
        lungs.Subcommands.Add(LungsBuildDatasetCommand.Create());
        lungs.Subcommands.Add(LungsRealismCommand.Create());
        return lungs;
    }

    private static Command Train()
    {
        var d = new LungTrainingOptions();
        var data = new Option<string>("--data") { Description = "Folder with pairs.csv (+ images/, masks/), or with images/ and masks/ holding same-name files.", Required = true };
        var model = new Option<string>("--model") { Description = "unet, unetpp, attention-unet or sa-unet.", DefaultValueFactory = _ => d.Model };
        var output = new Option<string>("--out") { Description = "Run folder to write.", Required = true };
        var size = new Option<int>("--size") { Description = "Input size (multiple of 16).", DefaultValueFactory = _ => d.Size };
        var epochs = new Option<int>("--epochs") { Description = "Maximum epochs.", DefaultValueFactory = _ => d.Epochs };
        var batch = new Option<int>("--batch") { Description = "Batch size.", DefaultValueFactory = _ => d.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => d.LearningRate };
        var width = new Option<int>("--base-channels") { Description = "Channels of the first level.", DefaultValueFactory = _ => d.BaseChannels };
        var minutes = new Option<double>("--minutes") { Description = "Training time budget in minutes.", DefaultValueFactory = _ => 30 };
        var seed = new Option<int>("--seed") { Description = "Seed for split, weights, shuffling, augmentation.", DefaultValueFactory = _ => d.Seed };
        var plateau = new Option<int>("--plateau-patience") { Description = "Epochs without validation-loss improvement before the learning rate is divided by 10 (0: constant rate).", DefaultValueFactory = _ => d.PlateauPatience };
        var patience = new Option<int>("--patience") { Description = "Early stopping: epochs without validation-Dice improvement.", DefaultValueFactory = _ => d.EarlyStoppingPatience };
        var bn = new Option<double>("--bn-momentum") { Description = "BatchNorm momentum (PyTorch convention) for every model; SA-UNet's Keras reference uses 0.01, which suits only long schedules.", DefaultValueFactory = _ => d.BatchNormMomentum ?? 0.1 };
        var json = new Option<bool>("--json") { Description = "Print the final metrics as JSON." };
        var trainDevice = DeviceOption.Create();
        var deterministic = new Option<bool>("--deterministic") { Description = "One intra-op thread: equal settings give bit-identical weights, and a killed run resumes to exactly the uninterrupted run's weights (slower)." };
        var cmd = new Command("train", "Train on image/mask pairs: CLAHE, augmentation, BCE+Dice, Adam, best-epoch selection, early stopping; writes model.safetensors, config.json, metrics.json, history.csv, curves.svg. Rerun into the same --out to resume.")
            { data, model, output, size, epochs, batch, lr, width, minutes, seed, plateau, patience, bn, json, trainDevice, deterministic };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            DeviceOption.Parse(r, trainDevice);
            var o = new LungTrainingOptions
            {
                Model = r.GetValue(model)!, Size = r.GetValue(size), Epochs = r.GetValue(epochs), BatchSize = r.GetValue(batch), LearningRate = r.GetValue(lr),
                BaseChannels = r.GetValue(width), TimeBudget = TimeSpan.FromMinutes(CheckMinutes(r.GetValue(minutes))), Seed = r.GetValue(seed),
                PlateauPatience = r.GetValue(plateau), EarlyStoppingPatience = r.GetValue(patience), BatchNormMomentum = r.GetValue(bn),
                Device = r.GetValue(trainDevice)!, Deterministic = r.GetValue(deterministic),
            };
            o.Validate();
            var dir = r.GetValue(data)!;
            var quiet = r.GetValue(json);
            LungTrainingResult? res = null;
            TrainingProgress.Run(quiet, p =>
            {
                var samples = p.Load(n => Load(dir, o.Size, n));
                var trainer = new LungTrainer(o);
                p.Attach(trainer, o, o.Model);
                var (result, net, _) = trainer.Train(samples, r.GetValue(output)!);
                net.Dispose();
                res = result;
            });
            PrintScores(res!.Validation, quiet, $"{o.Model}: best epoch {res.BestEpoch} of {res.History.Count}, {res.TrainSeconds:F0} s");
            if (!quiet) AnsiConsole.MarkupLine($"run folder: [blue]{Markup.Escape(Path.GetFullPath(r.GetValue(output)!))}[/] (model.safetensors, config.json, metrics.json, history.csv, curves.svg)");
            return 0;
        }));
        return cmd;
    }

    private static Command Eval()
    {
        var model = new Option<string>("--model") { Description = "Run folder (config.json + model.safetensors).", Required = true };
        var images = new Option<string>("--images") { Description = "Folder of images (with --masks)." };
        var masks = new Option<string>("--masks") { Description = "Folder of masks with the images' file names." };
        var data = new Option<string>("--data") { Description = "Instead of --images/--masks: a training data folder (pairs.csv, or images/ and masks/), as lungs train reads it." };
        var split = new Option<string>("--split") { Description = "With --data: all, or validation (the run's own validation split, from its config.json seed and fraction).", DefaultValueFactory = _ => "all" };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var (device, precision) = EngineOptions();
        var cmd = new Command("eval", "Dice (DC), IoU, recall and precision per image and their means (the paper's Table IV).") { model, images, masks, data, split, json, device, precision };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            using var m = LoadModel(r, model, device, precision);
            var samples = EvalSamples(r.GetValue(model)!, r.GetValue(images), r.GetValue(masks), r.GetValue(data), r.GetValue(split)!, m.Size);
            var (_, scores) = LungTrainer.Evaluate(m.Network, samples, m.Device, m.Precision);
            PrintScores(scores, r.GetValue(json), $"{m.Architecture} on {samples.Count} images at {m.Size} px, {PrecisionName(m.Precision)} on {m.Device}");
            return 0;
        }));
        return cmd;
    }

    private static Command Predict()
    {
        var model = new Option<string>("--model") { Description = "Run folder (config.json + model.safetensors).", Required = true };
        var inputs = new Argument<string[]>("inputs") { Description = "DICOM, PNG or JPEG files.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Output folder.", Required = true };
        var (device, precision) = EngineOptions();
        var cmd = new Command("predict", "Lung mask, lung-masked image and overlay PNGs for each input (morphological clean-up as CXLSeg).") { model, inputs, output, device, precision };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            using var m = LoadModel(r, model, device, precision);
            var failed = 0;
            var files = r.GetValue(inputs)!;
            foreach (var input in files)
            {
                // An unreadable input is reported and skipped; the others are still segmented (each output is written atomically).
                try
                {
                    var lung = m.PredictFile(input, r.GetValue(output)!);
                    Console.WriteLine($"{input}: {lung} lung pixels -> {Path.Combine(r.GetValue(output)!, Path.GetFileNameWithoutExtension(input))}-{{mask,masked,overlay}}.png");
                }
                catch (Exception e) when (CliErrors.IsInputError(e))
                {
                    failed++;
                    Console.Error.WriteLine($"error: {input}: {e.Message}");
                }
            }
            if (failed > 0) Console.Error.WriteLine($"{failed} of {files.Length} inputs failed");
            return failed > 0 ? 2 : 0;
        }));
        return cmd;
    }

    /// <summary>The images <c>lungs eval</c> scores: --images/--masks folders, or a training data folder (optionally only
    /// the run's validation split).</summary>
    private static IReadOnlyList<LungSample> EvalSamples(string runDir, string? images, string? masks, string? data, string split, int size)
    {
        if (data is null)
        {
            if (images is null || masks is null) throw new ArgumentException("give --images and --masks, or --data");
            if (split != "all") throw new ArgumentException("--split needs --data (the folder the run was trained on)");
            return LungDataset.LoadFolders(images, masks, size, "eval");
        }
        if (images is not null || masks is not null) throw new ArgumentException("give either --data or --images/--masks, not both");
        var samples = Load(data, size);
        if (split == "all") return samples;
        if (split != "validation") throw new ArgumentException($"--split: expected all or validation, got '{split}'");
        var config = Path.Combine(runDir, "config.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(config));
        int seed;
        double fraction;
        try
        {
            seed = doc.RootElement.GetProperty("seed").GetInt32();
            fraction = doc.RootElement.GetProperty("validation_fraction").GetDouble();
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{config}: --split validation needs the fields seed and validation_fraction ({e.Message})", e);
        }
        return LungTrainer.Split(samples, seed, fraction).Validation;
    }

    /// <summary>The <c>--device</c> and <c>--precision</c> options of the commands that run a trained model.</summary>
    private static (Option<string> Device, Option<string> Precision) EngineOptions() => (
        DeviceOption.Create(),
        new Option<string>("--precision") { Description = "fp32, or bf16 (bfloat16 inference: about 2x faster on CPUs with AVX-512 BF16; Dice within 0.002 of fp32 on the lung validation split).", DefaultValueFactory = _ => "fp32" });

    private static LungModel LoadModel(ParseResult r, Option<string> model, Option<string> device, Option<string> precision)
    {
        var dev = DeviceOption.Parse(r, device);
        var p = r.GetValue(precision) switch
        {
            "fp32" => TorchSharp.torch.ScalarType.Float32,
            "bf16" => TorchSharp.torch.ScalarType.BFloat16,
            var other => throw new ArgumentException($"--precision: expected fp32 or bf16, got '{other}'"),
        };
        return LungModel.Load(r.GetValue(model)!, dev, p);
    }

    private static string PrecisionName(TorchSharp.torch.ScalarType t) => t == TorchSharp.torch.ScalarType.BFloat16 ? "bf16" : "fp32";

    private static Command Compare()
    {
        var d = new LungTrainingOptions();
        var data = new Option<string>("--data") { Description = "Folder with pairs.csv (+ images/, masks/), or with images/ and masks/ holding same-name files.", Required = true };
        var models = new Option<string>("--models") { Description = "Comma-separated architectures, in table order.", DefaultValueFactory = _ => string.Join(",", LungComparison.PaperModels) };
        var output = new Option<string>("--out") { Description = "Folder for one run folder per model plus table.md and table.json.", Required = true };
        var size = new Option<int>("--size") { Description = "Input size (multiple of 16).", DefaultValueFactory = _ => 256 };
        var epochs = new Option<int>("--epochs") { Description = "Maximum epochs per model.", DefaultValueFactory = _ => 12 };
        var minutes = new Option<double>("--minutes") { Description = "Training time budget per model in minutes (the epoch that crosses it is the last).", DefaultValueFactory = _ => 30 };
        var batch = new Option<int>("--batch") { Description = "Batch size.", DefaultValueFactory = _ => d.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => d.LearningRate };
        var width = new Option<int>("--base-channels") { Description = "Channels of the first level, for every model.", DefaultValueFactory = _ => d.BaseChannels };
        var seed = new Option<int>("--seed") { Description = "Seed for split, weights, shuffling, augmentation (the same for every model).", DefaultValueFactory = _ => d.Seed };
        var bn = new Option<double>("--bn-momentum") { Description = "BatchNorm momentum (PyTorch convention) for every model; SA-UNet's Keras reference uses 0.01, which suits only long schedules.", DefaultValueFactory = _ => d.BatchNormMomentum ?? 0.1 };
        var compareDevice = DeviceOption.Create();
        var cmd = new Command("compare", "Train several architectures on the same pairs, split and settings and print the CXLSeg paper's Table IV (Loss, DC, IoU, Recall, Precision); writes OUT/<model>/ run folders, OUT/table.md and OUT/table.json. Rerun to resume.")
            { data, models, output, size, epochs, minutes, batch, lr, width, seed, bn, compareDevice };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            DeviceOption.Parse(r, compareDevice);
            var names = r.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var o = d with
            {
                Size = r.GetValue(size), Epochs = r.GetValue(epochs), TimeBudget = TimeSpan.FromMinutes(CheckMinutes(r.GetValue(minutes))), BatchSize = r.GetValue(batch),
                LearningRate = r.GetValue(lr), BaseChannels = r.GetValue(width), Seed = r.GetValue(seed), BatchNormMomentum = r.GetValue(bn),
                Device = r.GetValue(compareDevice)!,
            };
            foreach (var n in names) (o with { Model = n }).Validate();
            var dir = r.GetValue(data)!;
            var outDir = r.GetValue(output)!;
            IReadOnlyList<LungComparisonRow> rows = Array.Empty<LungComparisonRow>();
            TrainingProgress.Run(false, p =>
            {
                var samples = p.Load(n => Load(dir, o.Size, n));
                var note = $"{Path.GetFileName(Path.GetFullPath(dir))}: {samples.Count} pairs, {string.Join(", ", samples.GroupBy(s => s.Source).Select(g => $"{g.Count()} {g.Key}"))}";
                rows = LungComparison.Run(samples, names, o, outDir, note, (m, trainer) => p.Attach(trainer, o with { Model = m }, m));
            });
            var t = new Table().Title("Lung segmentation, validation split (CXLSeg Table IV)").AddColumns("Model", "Params", "Epochs (best)", "Train min", "Loss(%)", "DC(%)", "IoU(%)", "Recall(%)", "Precision(%)");
            foreach (var x in rows)
                t.AddRow(LungComparison.DisplayName(x.Model), x.Parameters.ToString("N0"), $"{x.EpochsRun} ({x.BestEpoch})", $"{x.TrainSeconds / 60:F1}", $"{100 * x.ValLoss:F2}",
                    $"{100 * x.Dice:F2}", $"{100 * x.IoU:F2}", $"{100 * x.Recall:F2}", $"{100 * x.Precision:F2}");
            AnsiConsole.Write(t);
            AnsiConsole.MarkupLine($"table: [blue]{Markup.Escape(Path.GetFullPath(Path.Combine(outDir, "table.md")))}[/] (and table.json; run folders beside it)");
            return 0;
        }));
        return cmd;
    }

    private static double CheckMinutes(double minutes) =>
        minutes is > 0 and <= 10_000 ? minutes : throw new ArgumentException($"--minutes must be in (0, 10000], got {minutes}");

    private static IReadOnlyList<LungSample> Load(string dir, int size, IProgress<int>? progress = null) =>
        File.Exists(Path.Combine(dir, "pairs.csv"))
            ? LungDataset.LoadPairs(dir, size, progress)
            : LungDataset.LoadFolders(Path.Combine(dir, "images"), Directory.Exists(Path.Combine(dir, "masks", "lungs")) ? Path.Combine(dir, "masks", "lungs") : Path.Combine(dir, "masks"), size,
                Path.GetFileName(Path.GetFullPath(dir)), progress);

    private static void PrintScores(IReadOnlyList<LungImageScore> s, bool json, string title)
    {
        var mean = new { dice = s.Average(v => v.Dice), iou = s.Average(v => v.IoU), recall = s.Average(v => v.Recall), precision = s.Average(v => v.Precision) };
        if (json)
        {
            CliJson.Print(new { images = s.Count, mean, per_image = s });
            return;
        }
        var t = new Table().Title(Markup.Escape(title)).AddColumns("images", "Dice (DC)", "IoU", "Recall", "Precision");
        t.AddRow(s.Count.ToString(), $"{mean.dice:F4}", $"{mean.iou:F4}", $"{mean.recall:F4}", $"{mean.precision:F4}");
        AnsiConsole.Write(t);
    }
}
