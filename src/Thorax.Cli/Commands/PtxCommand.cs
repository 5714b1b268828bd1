using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Thorax.Data.Siim;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Imaging.Ops;
using Thorax.Models.Runtime;
using Thorax.Pipelines;
using Thorax.Pipelines.Classification;
using Thorax.Pipelines.Pneumothorax;
using Thorax.Synthetic;
using Thorax.Training;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax ptx ...</c>: Țimbuș et al.'s pneumothorax cascade (classifier, FPN segmenter, small-region
/// eliminator), SIIM-ACR submissions, the paper's tables and a demo.</summary>
internal static class PtxCommand
{
    public static Command Create()
    {
        var ptx = new Command("ptx", "Pneumothorax cascade (Țimbuș et al.): classifier -> FPN segmenter -> small-region eliminator; SIIM-ACR submission; the paper's tables.");
        ptx.Subcommands.Add(TrainClassifier());
        ptx.Subcommands.Add(TrainSegmenter());
        ptx.Subcommands.Add(Predict());
        ptx.Subcommands.Add(Submit());
        ptx.Subcommands.Add(Evaluate());
        ptx.Subcommands.Add(Real());
        ptx.Subcommands.Add(Demo());
        return ptx;
    }

    private static Option<int?> Threads() => new("--threads") { Description = "libtorch intra-op threads (default: THORAX_NUM_THREADS or all cores)." };

    private static void SetThreads(int? n)
    {
        if (n is not { } t) return;
        if (t < 1) throw new ArgumentException($"--threads must be at least 1, got {t}");
        TorchRuntime.NumThreads = t;
    }

    private static TimeSpan Budget(double? minutes) => minutes is { } m
        ? (m > 0 && double.IsFinite(m) ? TimeSpan.FromMinutes(m) : throw new ArgumentException($"--minutes must be positive, got {m}"))
        : TimeSpan.MaxValue;

    /// <summary>
    /// The options train-classifier and train-segmenter end with (--seed, --minutes, --threads, --deterministic,
    /// --json, --device, in that order) and the first and last steps their actions share.
    /// </summary>
    private sealed class TrainingOptions(int seed)
    {
        public Option<int> Seed { get; } = new("--seed") { DefaultValueFactory = _ => seed };
        public Option<double?> Minutes { get; } = new("--minutes") { Description = "Training time budget in minutes." };
        public Option<int?> Threads { get; } = PtxCommand.Threads();
        public Option<bool> Deterministic { get; } = new("--deterministic") { Description = "One intra-op thread: equal settings give bit-identical weights, and a killed run resumes to exactly the uninterrupted run's weights (slower)." };
        public Option<bool> Json { get; } = new("--json") { Description = "Print metrics.json." };
        public Option<string> Device { get; } = DeviceOption.Create();

        /// <summary>Appends the options to <paramref name="cmd"/> after its own.</summary>
        public void AddTo(Command cmd)
        {
            foreach (var option in new Option[] { Seed, Minutes, Threads, Deterministic, Json, Device }) cmd.Options.Add(option);
        }

        /// <summary>Exits 2 on a bad --device before any work, applies --threads; returns --json (quiet: lines to stderr).</summary>
        public bool Begin(ParseResult r)
        {
            DeviceOption.Parse(r, Device);
            SetThreads(r.GetValue(Threads));
            return r.GetValue(Json);
        }

        /// <summary>Runs <paramref name="train"/> (it returns the run folder) under the progress display, then prints
        /// the run's metrics.json when <paramref name="quiet"/>; the exit code.</summary>
        public static int Finish(bool quiet, Func<TrainingProgress, string> train)
        {
            string runDirectory = null!;
            TrainingProgress.Run(quiet, p => runDirectory = train(p));
            if (quiet) CliJson.PrintJson(File.ReadAllText(Path.Combine(runDirectory, "metrics.json")));
            return 0;
        }
    }

    private static void Line(bool quiet, string text)
    {
        if (quiet) Console.Error.WriteLine(text);
        else AnsiConsole.MarkupLine(Markup.Escape(text));
    }

    /// <summary>The paper's classifier settings on <see cref="ClassifierOptions"/>.</summary>
    internal static ClassifierOptions PaperClassifier => new()
    {
        Label = "pneumothorax", Size = 256, Epochs = 25, BatchSize = 4, LearningRate = 2e-4, FreezeEpochs = 2, FrozenLearningRate = 2e-2,
        Selection = "mcc", PlateauFactor = 0.2, PlateauPatience = 3, Preset = "augment", StratifiedValidation = 0.2,
    };

    private static Command TrainClassifier()
    {
        var d = PaperClassifier;
        var data = new Option<string>("--data") { Description = "Study folder written by thorax synth.", Required = true };
        var run = new Option<string>("--run") { Description = "Run folder (rerun to resume).", Required = true };
        var encoder = EncoderOption("xception");
        var weights = WeightsOption();
        var size = new Option<int>("--size") { Description = "Input size (the segmenter must use the same).", DefaultValueFactory = _ => d.Size };
        var epochs = new Option<int>("--epochs") { Description = "Epochs (paper 25).", DefaultValueFactory = _ => d.Epochs };
        var batch = new Option<int>("--batch") { Description = "Batch size (paper 4).", DefaultValueFactory = _ => d.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Adam lr after the frozen epochs (paper 2e-4).", DefaultValueFactory = _ => d.LearningRate };
        var frozenLr = new Option<double>("--frozen-lr") { Description = "Adam lr while the encoder is frozen (paper 2e-2).", DefaultValueFactory = _ => d.FrozenLearningRate };
        var freeze = new Option<int>("--freeze-epochs") { Description = "Epochs with the encoder frozen (paper 2).", DefaultValueFactory = _ => d.FreezeEpochs };
        var preset = new Option<string>("--preset") { Description = "augment (CLAHE, optical distortion, zoom in/out, each p 0.5), enrich (class-balanced oversampling by those operations, no augmentation) or light.", DefaultValueFactory = _ => d.Preset };
        var factor = new Option<double>("--plateau-factor") { Description = "ReduceLROnPlateau factor on validation MCC (paper 0.2; 0 = off).", DefaultValueFactory = _ => d.PlateauFactor };
        var patience = new Option<int>("--plateau-patience") { Description = "ReduceLROnPlateau patience (paper 3).", DefaultValueFactory = _ => d.PlateauPatience };
        var share = new Option<double>("--validation-share") { Description = "Stratified validation share of train+validation (paper 0.2).", DefaultValueFactory = _ => 0.2 };
        var t = new TrainingOptions(d.Seed);
        var cmd = new Command("train-classifier", "The cascade's classifier (default ResNet-18 with ImageNet weights; --encoder paper = Xception as the paper; any zoo encoder): BCE, Adam, encoder frozen 2 epochs at 2e-2 then 2e-4, ReduceLROnPlateau on validation MCC, best epoch by MCC, stratified 80/20.")
            { data, run, encoder, weights, size, epochs, batch, lr, frozenLr, freeze, preset, factor, patience, share };
        t.AddTo(cmd);
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var quiet = t.Begin(r);
            var enc = ResolveEncoder(r.GetValue(encoder)!, "xception");
            var o = d with
            {
                Encoder = enc, Weights = ResolveWeights(r.GetValue(weights), enc, quiet), Size = r.GetValue(size), Epochs = r.GetValue(epochs), BatchSize = r.GetValue(batch), LearningRate = r.GetValue(lr),
                FrozenLearningRate = r.GetValue(frozenLr), FreezeEpochs = r.GetValue(freeze), Preset = r.GetValue(preset)!, PlateauFactor = r.GetValue(factor),
                PlateauPatience = r.GetValue(patience), StratifiedValidation = r.GetValue(share), Seed = r.GetValue(t.Seed), TimeBudget = Budget(r.GetValue(t.Minutes)),
                Deterministic = r.GetValue(t.Deterministic), Device = r.GetValue(t.Device)!,
            };
            return TrainingOptions.Finish(quiet, p => TrainClassifierCore(PtxData.Load(r.GetValue(data)!), r.GetValue(run)!, o, quiet, p).RunDirectory);
        }));
        return cmd;
    }

    internal static ClassifierTrainingResult TrainClassifierCore(ClassificationDataset dataset, string run, ClassifierOptions o, bool quiet,
        TrainingProgress? progress = null)
    {
        o.Validate();
        var trainer = new ClassifierTrainer(o);
        progress?.Steps(trainer, o.Epochs, "classifier");
        trainer.Resumed += e => Line(quiet, $"classifier: resuming after epoch {e}");
        trainer.EpochCompleted += e => Line(quiet, string.Create(CultureInfo.InvariantCulture,
            $"classifier epoch {e.Epoch}: loss {e.TrainLoss:F4}, val AUC {e.Metric("val_auc"):F4}, val MCC {(e.Metrics.TryGetValue("val_mcc", out var m) ? m : double.NaN):F4}, lr {e.LearningRate:G3} ({e.Seconds:F0} s)"));
        var res = trainer.Train(dataset, run);
        Line(quiet, string.Create(CultureInfo.InvariantCulture,
            $"classifier: best epoch {res.Fit.BestEpoch} of {res.Fit.History.Count}; test AUC {res.Evaluation.Auc:F4}; run {res.RunDirectory}"));
        return res;
    }

    private static Command TrainSegmenter()
    {
        var d = new PtxSegmenterOptions();
        var data = new Option<string>("--data") { Description = "Study folder written by thorax synth (masks/pneumothorax/).", Required = true };
        var run = new Option<string>("--run") { Description = "Run folder (rerun to resume).", Required = true };
        var encoder = EncoderOption("inception_resnet_v2 (with --decoder fpn)");
        var decoder = new Option<string?>("--decoder") { Description = "fpn (the paper; default), unet, scse (U-Net with SCSE attention) or albunet (resnet34 only)." };
        var decoderChannels = new Option<string?>("--decoder-channels") { Description = "Widths of the unet/scse decoder blocks (five, default 256,128,64,32,16) or albunet's num_filters (default 32); fpn uses --pyramid/--seg-channels." };
        var weights = WeightsOption();
        var size = new Option<int>("--size") { Description = "Input size, a multiple of 32 (64 for albunet; the classifier must use the same).", DefaultValueFactory = _ => d.Size };
        var epochs = new Option<int>("--epochs") { Description = "Epochs (paper 37; its SWA window was epochs 13-16).", DefaultValueFactory = _ => d.Epochs };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => d.BatchSize };
        var lr = new Option<double>("--lr") { Description = "lr from the first unfrozen epoch, cosine-annealed (paper 1e-4).", DefaultValueFactory = _ => d.LearningRate };
        var frozenLr = new Option<double>("--frozen-lr") { Description = "lr while the first half of the encoder is frozen (paper 1e-3).", DefaultValueFactory = _ => d.FrozenLearningRate };
        var freeze = new Option<int>("--freeze-epochs") { Description = "Epochs with the first half of the encoder frozen (paper 2).", DefaultValueFactory = _ => d.FreezeEpochs };
        var negatives = new Option<bool>("--with-negatives") { Description = "Train on negatives too, with the first place's sliding sample rate (default: positives only, as the cascade needs)." };
        var rate = new Option<string>("--sample-rate") { Description = "Share of positives first,last epoch with --with-negatives.", DefaultValueFactory = _ => "0.8,0.4" };
        var loss = new Option<string>("--loss-weights") { Description = "ComboLoss weights bce,dice,focal.", DefaultValueFactory = _ => "3,1,4" };
        var pyramid = new Option<int>("--pyramid") { Description = "FPN pyramid channels.", DefaultValueFactory = _ => d.PyramidChannels };
        var segCh = new Option<int>("--seg-channels") { Description = "FPN segmentation channels (multiple of 32).", DefaultValueFactory = _ => d.SegmentationChannels };
        var window = new Option<int>("--swa-window") { Description = "Consecutive epochs of the windowed SWA.", DefaultValueFactory = _ => d.SwaWindow };
        var classic = new Option<double>("--classic-start") { Description = "Share of the run after which classic SWA averages every epoch.", DefaultValueFactory = _ => d.ClassicSwaStart };
        var augment = new Option<double>("--augment") { Description = "Scale of the augmentation probabilities (0 = off).", DefaultValueFactory = _ => d.Augment };
        var keep = new Option<bool>("--keep-epochs") { Description = "Keep the per-epoch weights (epochs/) after SWA." };
        var t = new TrainingOptions(d.Seed);
        var cmd = new Command("train-segmenter", "The cascade's segmenter (default FPN over ResNet-18 with ImageNet weights; --encoder paper = FPN over Inception-ResNet-v2 as the paper; any zoo encoder, decoders fpn/unet/scse/albunet): ComboLoss, Adam 1e-3 with the first half of the encoder frozen 2 epochs, then 1e-4 cosine; windowed and classic SWA with BatchNorm recomputed.")
            { data, run, encoder, decoder, decoderChannels, weights, size, epochs, batch, lr, frozenLr, freeze, negatives, rate, loss, pyramid, segCh, window, classic, augment, keep };
        t.AddTo(cmd);
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var quiet = t.Begin(r);
            var rates = Numbers(r.GetValue(rate)!, 2, "--sample-rate");
            var lw = Numbers(r.GetValue(loss)!, 3, "--loss-weights");
            var enc = ResolveEncoder(r.GetValue(encoder)!, "inception_resnet_v2");
            var dec = r.GetValue(decoder) ?? "fpn";
            var decCh = r.GetValue(decoderChannels) is { } dc ? Numbers(dc, dc.Split(',').Length, "--decoder-channels").Select(v => (int)v).ToArray() : null;
            var o = new PtxSegmenterOptions
            {
                Encoder = enc, Decoder = dec, DecoderChannels = decCh, Weights = ResolveWeights(r.GetValue(weights), enc, quiet), Size = r.GetValue(size), Epochs = r.GetValue(epochs), BatchSize = r.GetValue(batch), LearningRate = r.GetValue(lr),
                FrozenLearningRate = r.GetValue(frozenLr), FreezeEpochs = r.GetValue(freeze), PositiveOnly = !r.GetValue(negatives),
                SampleRateStart = rates[0], SampleRateEnd = rates[1], LossWeights = (lw[0], lw[1], lw[2]), PyramidChannels = r.GetValue(pyramid),
                SegmentationChannels = r.GetValue(segCh), SwaWindow = r.GetValue(window), ClassicSwaStart = r.GetValue(classic), Augment = r.GetValue(augment),
                KeepEpochWeights = r.GetValue(keep), Seed = r.GetValue(t.Seed), TimeBudget = Budget(r.GetValue(t.Minutes)),
                Deterministic = r.GetValue(t.Deterministic), Device = r.GetValue(t.Device)!,
            };
            return TrainingOptions.Finish(quiet, p => TrainSegmenterCore(PtxData.Load(r.GetValue(data)!), r.GetValue(run)!, o, quiet, p).RunDirectory);
        }));
        return cmd;
    }

    internal static PtxSegmenterResult TrainSegmenterCore(ClassificationDataset dataset, string run, PtxSegmenterOptions o, bool quiet,
        TrainingProgress? progress = null)
    {
        var trainer = new PtxSegmenterTrainer(o);
        progress?.Steps(trainer, o.Epochs, "segmenter");
        trainer.Stage += s => Line(quiet, "segmenter: " + s);
        trainer.Resumed += e => Line(quiet, $"segmenter: resuming after epoch {e}");
        var last = Stopwatch.StartNew();
        trainer.StepCompleted += (e, s, n, l) =>
        {
            // With bars shown the bar is the step progress; otherwise a line every 20 s.
            if (progress is { Live: true } || (last.Elapsed.TotalSeconds < 20 && s != n)) return;
            last.Restart();
            Line(quiet, string.Create(CultureInfo.InvariantCulture, $"segmenter epoch {e} step {s}/{n} loss {l:F4}"));
        };
        trainer.EpochCompleted += e => Line(quiet, string.Create(CultureInfo.InvariantCulture,
            $"segmenter epoch {e.Epoch}: loss {e.TrainLoss:F4}, val IoU {e.Metric("val_iou"):F4}, val Dice {e.Metric("val_dice"):F4}, positives {e.Metric("positives_share"):F2}, lr {e.LearningRate:G3} ({e.Seconds:F0} s)"));
        var res = trainer.Train(dataset, run);
        Line(quiet, string.Create(CultureInfo.InvariantCulture,
            $"segmenter: best epoch {res.Fit.BestEpoch} (val IoU {res.BestValIou:F4}); window SWA epochs {res.Window.FirstEpoch}-{res.Window.LastEpoch} val IoU {res.Window.ValIou:F4}; classic SWA {res.Classic.FirstEpoch}-{res.Classic.LastEpoch} val IoU {res.Classic.ValIou:F4}; run {res.RunDirectory}"));
        return res;
    }

    private static Option<string> EncoderOption(string paper) => new("--encoder")
    {
        Description = $"Encoder of the zoo ({string.Join(", ", Thorax.Models.Encoders.EncoderZoo.Names)}; `thorax zoo list`), or paper = {paper}.",
        DefaultValueFactory = _ => ClassifierArchitecture.DefaultEncoder,
    };

    private static Option<string?> WeightsOption() => new("--weights")
    {
        Description = "Encoder weights: imagenet (ML.NET's ResNet-18; the default for resnet18), none (the default for other encoders) or a file " +
                      "(torch.save / safetensors with timm/torchvision keys; ONNX: a ResNet graph, or any encoder exported from PyTorch with its parameter names) loaded by key name, strictly.",
    };

    /// <summary>The canonical zoo name; <c>paper</c> stands for the paper's choice.</summary>
    internal static string ResolveEncoder(string encoder, string paper) =>
        string.Equals(encoder.Trim(), "paper", StringComparison.OrdinalIgnoreCase) ? paper : ClassifierArchitecture.Canonical(encoder);

    /// <summary>The weights to start from: as given, else imagenet for resnet18 and none (announced) for other encoders.</summary>
    internal static string ResolveWeights(string? weights, string encoder, bool quiet)
    {
        if (weights is not null) return weights;
        if (encoder == ClassifierArchitecture.DefaultEncoder) return "imagenet";
        Console.Error.WriteLine($"note: {encoder} starts from random weights (no pretrained {encoder} ships here; give --weights FILE to start from one)");
        return "none";
    }

    private static double[] Numbers(string text, int n, string option)
    {
        var parts = text.Split(',');
        var v = new double[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]))
                throw new ArgumentException($"{option}: '{parts[i]}' is not a number");
        if (v.Length != n) throw new ArgumentException($"{option} needs {n} comma-separated numbers, got '{text}'");
        return v;
    }

    // ---- inference ----

    private sealed record Post(Option<string?> Classifier, Option<string> Segmenter, Option<string> Weights, Option<double> ClsThreshold,
        Option<double> PixelThreshold, Option<int> MinArea, Option<string?> Triplet, Option<bool> NoTta)
    {
        public static Post Create(bool classifierRequired) => new(
            new Option<string?>("--classifier") { Description = "Classifier run folder (ptx train-classifier)." + (classifierRequired ? "" : " Omit for the segmenter alone."), Required = classifierRequired },
            new Option<string>("--segmenter") { Description = "Segmenter run folder (ptx train-segmenter).", Required = true },
            new Option<string>("--weights") { Description = "Segmenter weights: window (SWA over the chosen epochs), classic (SWA) or best (single epoch).", DefaultValueFactory = _ => "window" },
            new Option<double>("--classifier-threshold") { Description = "Classifier probability at which an image is segmented.", DefaultValueFactory = _ => 0.5 },
            new Option<double>("--pixel-threshold") { Description = "Pixel probability threshold.", DefaultValueFactory = _ => 0.5 },
            new Option<int>("--min-area") { Description = "Small-region eliminator: smallest kept component in pixels at 1024x1024 (scaled by area at other sizes; 0 = off).", DefaultValueFactory = _ => 3500 },
            new Option<string?>("--triplet") { Description = "First-place triplet scheme top,area,bottom (e.g. 0.75,2000,0.3) instead of the pixel threshold and the eliminator." },
            new Option<bool>("--no-tta") { Description = "No horizontal-flip test-time augmentation." });

        public void AddTo(Command c)
        {
            c.Options.Add(Classifier);
            c.Options.Add(Segmenter);
            c.Options.Add(Weights);
            c.Options.Add(ClsThreshold);
            c.Options.Add(PixelThreshold);
            c.Options.Add(MinArea);
            c.Options.Add(Triplet);
            c.Options.Add(NoTta);
        }

        public PtxPostprocessOptions Options(ParseResult r)
        {
            var o = new PtxPostprocessOptions
            {
                ClassifierThreshold = r.GetValue(ClsThreshold), PixelThreshold = r.GetValue(PixelThreshold), MinAreaAt1024 = r.GetValue(MinArea),
                Triplet = r.GetValue(Triplet) is { } t ? TripletThresholds.Parse(t) : null,
            };
            o.Validate();
            return o;
        }
    }

    private static readonly string[] InputExtensions = [".dcm", ".dicom", ".png", ".jpg", ".jpeg"];

    /// <summary>Files named on the command line, folders searched recursively; ids are file stems, which must be unique.</summary>
    private static List<(string Id, string Path)> ExpandInputs(IEnumerable<string> inputs)
    {
        var files = new List<(string, string)>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            IEnumerable<string> found = Directory.Exists(input)
                ? Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories).Where(f => InputExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal)
                : File.Exists(input) ? [input] : throw new FileNotFoundException($"input not found: {input}", input);
            foreach (var f in found)
            {
                var id = Path.GetFileNameWithoutExtension(f);
                if (!seen.TryAdd(id, f)) throw new ArgumentException($"duplicate image id '{id}': {seen[id]} and {f} (ids are file stems and must be unique)");
                files.Add((id, f));
            }
        }
        if (files.Count == 0) throw new ArgumentException("no input images (DICOM, PNG or JPEG files or folders of them)");
        return files;
    }

    /// <summary>Reads an input in [0, 1] (DICOM through its presentation pipeline: MONOCHROME1 inverted, VOI window or
    /// full range for 16-bit); warns when a DICOM is not SIIM's 1024 x 1024.</summary>
    private static Image<float> ReadInput(string path, bool quiet)
    {
        var img = XrayImage.ReadUnit(path);
        if (XrayImage.IsDicom(path) && (img.Width != 1024 || img.Height != 1024))
            Console.Error.WriteLine($"warning: {path}: {img.Width}x{img.Height}, not SIIM's 1024x1024; the mask is made at {img.Width}x{img.Height} (the small-region threshold scaled by area) and resampled to 1024x1024 for a submission");
        return img;
    }

    private static IReadOnlyList<PtxPrediction> RunCascade(ParseResult r, Post post, IReadOnlyList<(string Id, string Path)> files, bool quiet, TorchSharp.torch.Device device,
        Action<(string Id, string Path), Image<float>, PtxPrediction>? each = null)
    {
        using var cascade = PtxCascade.Open(r.GetValue(post.Classifier), r.GetValue(post.Segmenter)!, r.GetValue(post.Weights)!, device);
        var options = post.Options(r);
        var all = new List<PtxPrediction>();
        const int chunk = 16;
        for (var i = 0; i < files.Count; i += chunk)
        {
            var part = files.Skip(i).Take(chunk).ToList();
            var images = part.Select(f => (f.Id, ReadInput(f.Path, quiet))).ToList();
            var preds = cascade.Predict(images, options, !r.GetValue(post.NoTta));
            for (var k = 0; k < part.Count; k++) each?.Invoke(part[k], images[k].Item2, preds[k]);
            all.AddRange(preds);
            if (!quiet) Console.Error.WriteLine($"{Math.Min(i + chunk, files.Count)}/{files.Count} images");
        }
        return all;
    }

    private static Command Predict()
    {
        var post = Post.Create(classifierRequired: false);
        var inputs = new Argument<string[]>("inputs") { Description = "DICOM, PNG or JPEG files, or folders of them.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Output folder: ID.mask.png, ID.overlay.png, predictions.csv, predictions.json.", Required = true };
        var truth = new Option<string?>("--truth") { Description = "SIIM RLE CSV (train-rle.csv, .gz accepted): Dice of each image whose id it lists (Kaggle rule: empty/empty = 1)." };
        var threads = Threads();
        var json = new Option<bool>("--json") { Description = "Print predictions.json." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("predict", "Run the cascade on images: probability, decision, mask PNG (full resolution), overlay, small-region eliminator or triplet scheme.") { inputs, output, truth, threads, json, deviceOpt };
        post.AddTo(cmd);
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var dev = DeviceOption.Parse(r, deviceOpt);
            SetThreads(r.GetValue(threads));
            var quiet = r.GetValue(json);
            var outDir = r.GetValue(output)!;
            Directory.CreateDirectory(outDir);
            var files = ExpandInputs(r.GetValue(inputs)!);
            var table = r.GetValue(truth) is { } tp ? SiimRleTable.Read(tp) : null;
            var dice = new Dictionary<string, double>(StringComparer.Ordinal);
            var preds = RunCascade(r, post, files, quiet, dev, (f, img, p) =>
            {
                if (table is not null && table.ImageIds.Contains(f.Id))
                {
                    // DecodeUnion throws naming the image when a run goes past the image.
                    var gt = table.DecodeUnion(f.Id, p.Width, p.Height);
                    dice[f.Id] = Thorax.Metrics.SegmentationMetrics.Dice(p.Mask, gt.Data);
                }
                var m = new Image<byte>(p.Width, p.Height, 1, p.Mask.Select(v => (byte)(v != 0 ? 255 : 0)).ToArray());
                RunFiles.WriteBytes(Path.Combine(outDir, f.Id + ".mask.png"), Png.Encode(m));
                var ov = PtxCascade.Overlay(img, p.Mask);
                RunFiles.WriteBytes(Path.Combine(outDir, f.Id + ".overlay.png"), Png.Encode(ov));
            });
            var csv = new StringBuilder("id,path,width,height,probability,decision,mask_pixels,removed_components,dice\n");
            var arr = new JsonArray();
            for (var i = 0; i < preds.Count; i++)
            {
                var p = preds[i];
                csv.Append(CultureInfo.InvariantCulture, $"{p.Id},{files[i].Path},{p.Width},{p.Height},{p.Probability?.ToString("F6", CultureInfo.InvariantCulture) ?? ""},{(p.Positive ? 1 : 0)},{p.MaskPixels},{p.RemovedComponents},{(dice.TryGetValue(p.Id, out var dv) ? dv.ToString("F6", CultureInfo.InvariantCulture) : "")}\n");
                arr.Add(new JsonObject
                {
                    ["id"] = p.Id, ["path"] = files[i].Path, ["width"] = p.Width, ["height"] = p.Height,
                    ["probability"] = p.Probability is { } v ? Math.Round(v, 6) : null, ["decision"] = p.Positive, ["mask_pixels"] = p.MaskPixels,
                    ["removed_components"] = p.RemovedComponents, ["dice"] = dice.TryGetValue(p.Id, out var dj) ? Math.Round(dj, 6) : null,
                });
            }
            RunFiles.WriteText(Path.Combine(outDir, "predictions.csv"), csv.ToString());
            var doc = new JsonObject { ["version"] = 1, ["predictions"] = arr, ["mean_dice"] = dice.Count > 0 ? Math.Round(dice.Values.Average(), 6) : null, ["scored"] = dice.Count };
            RunFiles.WriteText(Path.Combine(outDir, "predictions.json"), doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            if (quiet) CliJson.PrintJson(doc.ToJsonString());
            else
                foreach (var p in preds)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{p.Id}: {(p.Probability is { } pr ? $"p {pr:F3}, " : "")}{(p.Positive ? $"pneumothorax, {p.MaskPixels} px" : "no pneumothorax")}{(p.RemovedComponents > 0 ? $" ({p.RemovedComponents} small regions removed)" : "")}{(dice.TryGetValue(p.Id, out var dd) ? $"; Dice {dd:F4}" : "")}"));
            if (!quiet && dice.Count > 0) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mean Dice over {dice.Count} images with truth: {dice.Values.Average():F4}"));
            return 0;
        }));
        return cmd;
    }

    private static Command Submit()
    {
        var post = Post.Create(classifierRequired: false);
        var inputs = new Argument<string[]>("inputs") { Description = "Test images (SIIM DICOMs named ImageId.dcm, or PNG/JPEG), or folders of them.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Submission CSV to write.", Required = true };
        var ids = new Option<string?>("--ids") { Description = "Sample submission or id list CSV (ImageId column): every id must be predicted exactly once." };
        var threads = Threads();
        var json = new Option<bool>("--json") { Description = "Print a JSON summary." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("submit", "SIIM-ACR submission from the cascade: every test id once, -1 for empty, relative column-major RLE at 1024x1024, checked with Thorax's submission validator.")
            { inputs, output, ids, threads, json, deviceOpt };
        post.AddTo(cmd);
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var dev = DeviceOption.Parse(r, deviceOpt);
            SetThreads(r.GetValue(threads));
            var quiet = r.GetValue(json);
            var files = ExpandInputs(r.GetValue(inputs)!);
            List<string> expected;
            if (r.GetValue(ids) is { } idFile)
            {
                var table = Thorax.Data.IO.CsvTable.Read(idFile);
                var col = table.IndexOf([.. SiimRleTable.IdColumnNames]);
                if (col < 0) throw new Thorax.Data.DataFormatException("no ImageId column", idFile);
                expected = table.Records.Select(rec => Thorax.Data.IO.CsvTable.Field(rec, col).Trim()).Distinct(StringComparer.Ordinal).ToList();
                var have = files.Select(f => f.Id).ToHashSet(StringComparer.Ordinal);
                var missing = expected.Where(e => !have.Contains(e)).ToList();
                if (missing.Count > 0)
                    throw new ArgumentException($"{missing.Count} ids of {idFile} have no input image (first: {string.Join(", ", missing.Take(5))}); refusing to write an incomplete submission");
                var extra = files.Where(f => !expected.Contains(f.Id)).Select(f => f.Id).ToList();
                if (extra.Count > 0) throw new ArgumentException($"{extra.Count} inputs are not ids of {idFile} (first: {string.Join(", ", extra.Take(5))})");
            }
            else expected = files.Select(f => f.Id).ToList();
            var entries = new List<(string, string)>();
            var resampled = 0;
            RunCascade(r, post, files, quiet, dev, (f, _, p) =>
            {
                var mask = p.Mask;
                if (p.Width != 1024 || p.Height != 1024)
                {
                    resampled++;
                    mask = Resampling.Resize(new Image<byte>(p.Width, p.Height, 1, mask), 1024, 1024, Interpolation.Nearest).Data;
                }
                entries.Add((p.Id, SiimRle.Encode(mask, 1024, 1024)));
            });
            var outPath = r.GetValue(output)!;
            SiimSubmission.Write(outPath, entries);
            var check = SiimSubmission.Validate(outPath, expected);
            if (!check.IsValid) throw new InvalidOperationException($"{outPath} failed validation:\n{check.ToText()}");
            var positives = entries.Count(e => e.Item2 != SiimRle.EmptyMarker);
            var summary = new JsonObject { ["version"] = 1, ["submission"] = Path.GetFullPath(outPath), ["images"] = entries.Count, ["positive"] = positives, ["resampled_to_1024"] = resampled, ["valid"] = true };
            if (quiet) CliJson.PrintJson(summary.ToJsonString());
            else Console.WriteLine($"wrote {outPath}: {entries.Count} images, {positives} with pneumothorax, {entries.Count - positives} -1; validated ({resampled} resampled to 1024x1024)");
            return 0;
        }));
        return cmd;
    }

    private static Command Evaluate()
    {
        var data = new Option<string>("--data") { Description = "Study folder written by thorax synth.", Required = true };
        var classifier = new Option<string?>("--classifier") { Description = "Classifier run (omit: segmenter-only rows)." };
        var segmenter = new Option<string>("--segmenter") { Description = "Segmenter run.", Required = true };
        var split = new Option<string>("--split") { DefaultValueFactory = _ => "test" };
        var output = new Option<string?>("--out") { Description = "Output folder (default SEGMENTER/eval-SPLIT)." };
        var minArea = new Option<int>("--min-area") { Description = "Headline small-region threshold at 1024.", DefaultValueFactory = _ => 3500 };
        var clsThr = new Option<double>("--classifier-threshold") { DefaultValueFactory = _ => 0.5 };
        var pixThr = new Option<double>("--pixel-threshold") { DefaultValueFactory = _ => 0.5 };
        var sweep = new Option<string>("--sweep") { Description = "Component thresholds at 1024 for Table 2.", DefaultValueFactory = _ => "0,1000,1750,3000,3500,4500" };
        var triplet = new Option<string>("--triplet") { Description = "Triplet compared with the classifier.", DefaultValueFactory = _ => "0.75,2000,0.3" };
        var noTta = new Option<bool>("--no-tta");
        var threads = Threads();
        var json = new Option<bool>("--json") { Description = "Print table.json." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("evaluate", "Kaggle mean Dice of the cascade vs the segmenter alone, windowed vs classic SWA, a component-threshold sweep, the triplet scheme; classifier AUC/MCC/precision/recall; table.md, table.json, report.html.")
            { data, classifier, segmenter, split, output, minArea, clsThr, pixThr, sweep, triplet, noTta, threads, json, deviceOpt };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            DeviceOption.Parse(r, deviceOpt); // exit 2 on a bad --device before any work
            SetThreads(r.GetValue(threads));
            var quiet = r.GetValue(json);
            var seg = r.GetValue(segmenter)!;
            var o = new PtxEvaluationOptions
            {
                Split = r.GetValue(split)!,
                Postprocess = new PtxPostprocessOptions { MinAreaAt1024 = r.GetValue(minArea), ClassifierThreshold = r.GetValue(clsThr), PixelThreshold = r.GetValue(pixThr) },
                Sweep = Numbers(r.GetValue(sweep)!, r.GetValue(sweep)!.Split(',').Length, "--sweep").Select(v => (int)v).ToArray(),
                Triplet = TripletThresholds.Parse(r.GetValue(triplet)!), FlipTta = !r.GetValue(noTta), Device = r.GetValue(deviceOpt)!,
            };
            var outDir = r.GetValue(output) ?? Path.Combine(seg, "eval-" + o.Split);
            var res = PtxEvaluation.Run(PtxData.Load(r.GetValue(data)!), r.GetValue(classifier), seg, outDir, o, s => Line(quiet, "evaluate: " + s));
            if (quiet) CliJson.PrintJson(res.Json.ToJsonString());
            else
            {
                Console.WriteLine(File.ReadAllText(Path.Combine(outDir, "table.md")));
                Console.WriteLine($"report: {Path.Combine(res.OutputDirectory, "report.html")}");
            }
            return 0;
        }));
        return cmd;
    }

    private static Command Real()
    {
        var post = Post.Create(classifierRequired: false);
        var data = new Option<string>("--data") { Description = "Shared data folder holding siim/ and nih/.", DefaultValueFactory = _ => Path.Combine("..", "shared", "data") };
        var output = new Option<string?>("--out") { Description = "Also write ID.mask.png, ID.overlay.png and real.json here." };
        var threads = Threads();
        var json = new Option<bool>("--json") { Description = "Print the results as JSON." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("real", "The cascade on the real images of ../shared/data (evalset real-ptx): the 3 SIIM-ACR DICOMs with Dice against their RLE union masks, and the NIH image labelled Pneumothorax (label only: no box for it in BBox_List_2017).")
            { data, output, threads, json, deviceOpt };
        post.AddTo(cmd);
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var dev = DeviceOption.Parse(r, deviceOpt);
            SetThreads(r.GetValue(threads));
            var quiet = r.GetValue(json);
            var set = Thorax.Data.Datasets.RealPneumothoraxSet.Load(r.GetValue(data)!);
            using var cascade = PtxCascade.Open(r.GetValue(post.Classifier), r.GetValue(post.Segmenter)!, r.GetValue(post.Weights)!, dev);
            var results = PtxRealImages.Run(cascade, set, post.Options(r), !r.GetValue(post.NoTta));
            var arr = new JsonArray();
            foreach (var x in results)
                arr.Add(new JsonObject
                {
                    ["id"] = x.Id, ["source"] = x.Source, ["label"] = x.Label,
                    ["probability"] = x.Prediction.Probability is { } v ? Math.Round(v, 6) : null, ["decision"] = x.Prediction.Positive,
                    ["mask_pixels"] = x.Prediction.MaskPixels, ["removed_components"] = x.Prediction.RemovedComponents,
                    ["truth_pixels"] = x.TruthPixels, ["dice"] = x.Dice is { } d ? Math.Round(d, 6) : null, ["reference"] = x.Reference,
                });
            var scored = results.Where(x => x.Dice is not null).ToList();
            var doc = new JsonObject
            {
                ["version"] = 1, ["data"] = set.Root, ["classifier"] = cascade.Classifier?.RunDirectory, ["segmenter"] = cascade.Segmenter.RunDirectory,
                ["weights"] = cascade.Segmenter.Variant, ["images"] = arr,
                ["mean_dice"] = scored.Count > 0 ? Math.Round(scored.Average(x => x.Dice!.Value), 6) : null, ["scored"] = scored.Count,
                ["positives_found"] = results.Count(x => x.Label == 1 && x.Prediction.Positive), ["positives"] = results.Count(x => x.Label == 1),
            };
            if (r.GetValue(output) is { } outDir)
            {
                Directory.CreateDirectory(outDir);
                foreach (var (x, item) in results.Zip(set.Items))
                {
                    var p = x.Prediction;
                    RunFiles.WriteBytes(Path.Combine(outDir, x.Id + ".mask.png"), Png.Encode(new Image<byte>(p.Width, p.Height, 1, p.Mask.Select(v => (byte)(v != 0 ? 255 : 0)).ToArray())));
                    var unit = new Image<float>(item.Image.Width, item.Image.Height, 1, item.Image.Data.Select(v => v / 255f).ToArray());
                    RunFiles.WriteBytes(Path.Combine(outDir, x.Id + ".overlay.png"), Png.Encode(PtxCascade.Overlay(unit, p.Mask)));
                }
                RunFiles.WriteText(Path.Combine(outDir, "real.json"), doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            }
            if (quiet) CliJson.PrintJson(doc.ToJsonString());
            else
            {
                foreach (var x in results)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{x.Source} {x.Id} (label {x.Label}): {(x.Prediction.Probability is { } pr ? $"p {pr:F3}, " : "")}{(x.Prediction.Positive ? $"pneumothorax, {x.Prediction.MaskPixels} px" : "no pneumothorax")}; {(x.Dice is { } dd ? $"Dice {dd:F4} against {x.TruthPixels} px" : "no mask: " + x.Reference)}"));
                if (scored.Count > 0) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mean Dice over the {scored.Count} images with a mask: {scored.Average(x => x.Dice!.Value):F4}"));
            }
            return 0;
        }));
        return cmd;
    }

    private static Command Demo()
    {
        var minutes = new Option<double>("--minutes") { Description = "Total budget (training of both networks gets most of it).", DefaultValueFactory = _ => 15 };
        var output = new Option<string?>("--out") { Description = "Output folder (default runs/ptx-demo)." };
        var n = new Option<int>("--n") { Description = "Studies to generate.", DefaultValueFactory = _ => 400 };
        var size = new Option<int>("--size") { Description = "Network input size (studies are made at 256 px).", DefaultValueFactory = _ => 128 };
        var data = new Option<string?>("--data") { Description = "Use this existing study folder (thorax synth) instead of generating one." };
        var threads = Threads();
        var json = new Option<bool>("--json") { Description = "Print the headline figures as JSON." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("demo", "Realistic studies (../shared/data/lungs backgrounds when present, procedural otherwise), a small classifier and segmenter trained within the budget, the paper's tables and an HTML report.")
            { minutes, output, n, size, data, threads, json, deviceOpt };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            DeviceOption.Parse(r, deviceOpt); // exit 2 on a bad --device before any work
            SetThreads(r.GetValue(threads));
            var quiet = r.GetValue(json);
            var total = r.GetValue(minutes);
            if (!(total > 0)) throw new ArgumentException($"--minutes must be positive, got {total}");
            var outDir = Path.GetFullPath(r.GetValue(output) ?? Path.Combine("runs", "ptx-demo"));
            var s = r.GetValue(size);
            var clock = Stopwatch.StartNew();
            var dataDir = r.GetValue(data) ?? Path.Combine(outDir, "studies");
            var lungs = DemoCommand.DefaultLungData();
            if (r.GetValue(data) is not null) lungs = File.Exists(Path.Combine(dataDir, "manifest.json")) && File.ReadAllText(Path.Combine(dataDir, "manifest.json")).Contains("background", StringComparison.Ordinal) ? lungs : null;
            else if (!File.Exists(Path.Combine(dataDir, "studies.csv")))
            {
                Line(quiet, lungs is null
                    ? $"../shared/data/lungs is absent: generating {r.GetValue(n)} procedural studies"
                    : $"generating {r.GetValue(n)} realistic studies on real X-rays from {lungs}");
                SyntheticDatasetWriter.Write(new SynthOptions
                {
                    OutputDirectory = dataDir, Count = r.GetValue(n), ImageSize = 256, Seed = 7, PneumothoraxRate = 0.4, Dicom = DicomOutput.None,
                    BackgroundDirectory = lungs, WriteGaze = false, Force = true,
                });
            }
            var dataset = PtxData.Load(dataDir);
            var left = TimeSpan.FromMinutes(total) - clock.Elapsed;
            // Each network gets at least one epoch, however little of the budget is left.
            static TimeSpan Share(TimeSpan left, double f) => TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, (long)(left.Ticks * f)));
            var clsBudget = Share(left, 0.35);
            ClassifierTrainingResult cls = null!;
            PtxSegmenterResult seg = null!;
            TrainingProgress.Run(quiet, p =>
            {
                cls = TrainClassifierCore(dataset, Path.Combine(outDir, "classifier"), PaperClassifier with
                {
                    Size = s, Epochs = 12, BatchSize = 16, FreezeEpochs = 1, TimeBudget = clsBudget, Device = r.GetValue(deviceOpt)!,
                }, quiet, p);
                left = TimeSpan.FromMinutes(total) - clock.Elapsed;
                var segBudget = Share(left, 0.8);
                seg = TrainSegmenterCore(dataset, Path.Combine(outDir, "segmenter"), new PtxSegmenterOptions
                {
                    Size = s, Epochs = 12, BatchSize = 8, FreezeEpochs = 1, PyramidChannels = 64, SegmentationChannels = 32, SwaWindow = 2, TimeBudget = segBudget,
                    Device = r.GetValue(deviceOpt)!,
                }, quiet, p);
            });
            var eval = PtxEvaluation.Run(dataset, cls.RunDirectory, seg.RunDirectory, Path.Combine(outDir, "evaluation"), new PtxEvaluationOptions { Device = r.GetValue(deviceOpt)! }, st => Line(quiet, "evaluate: " + st));
            var j = new JsonObject
            {
                ["version"] = 1, ["cascade_mean_dice"] = Math.Round(eval.CascadeMeanDice, 6), ["segmenter_only_mean_dice"] = Math.Round(eval.SegmenterOnlyMeanDice, 6),
                ["classifier_auc"] = double.IsFinite(eval.ClassifierAuc) ? Math.Round(eval.ClassifierAuc, 6) : null,
                ["classifier_mcc"] = double.IsFinite(eval.ClassifierMcc) ? Math.Round(eval.ClassifierMcc, 6) : null,
                ["component_threshold"] = eval.ComponentThreshold, ["studies"] = eval.Studies,
                ["swa_window_mean_dice"] = Row(eval, "swa", "window"), ["swa_classic_mean_dice"] = Row(eval, "swa", "classic"),
                ["realistic"] = lungs is not null, ["data"] = Path.GetFullPath(dataDir), ["size"] = s, ["minutes"] = Math.Round(clock.Elapsed.TotalMinutes, 2),
                ["report"] = Path.Combine(eval.OutputDirectory, "report.html"),
            };
            if (quiet) CliJson.PrintJson(j.ToJsonString());
            else
            {
                Console.WriteLine(File.ReadAllText(Path.Combine(eval.OutputDirectory, "table.md")));
                Console.WriteLine($"total {clock.Elapsed.TotalMinutes:F1} min; report: {j["report"]}");
            }
            return 0;
        }));
        return cmd;
    }

    private static double? Row(PtxEvaluationResult e, string table, string prefix) =>
        e.Rows.FirstOrDefault(r => r.Table == table && r.Configuration.StartsWith(prefix, StringComparison.Ordinal)) is { } row && double.IsFinite(row.MeanDice)
            ? Math.Round(row.MeanDice, 6) : null;
}
