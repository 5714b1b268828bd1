using Thorax.Training.Optim;
using System.Globalization;
using System.Text.Json.Nodes;
using Thorax.Data.Augmentation;
using Thorax.Data.Datasets;
using Thorax.Imaging.Ops;
using Thorax.Metrics;
using Thorax.Models.Encoders;
using Thorax.Models.Runtime;
using Thorax.Models.Segmentation;
using Thorax.Models.Weights;
using Thorax.Pipelines.Classification;
using Thorax.Training;
using Thorax.Training.Loop;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Pipelines.Pneumothorax;

/// <summary>One SWA model of a segmenter run: which epochs were averaged and how it scores on validation.</summary>
/// <param name="Name">window or classic.</param>
/// <param name="FirstEpoch">First averaged epoch.</param>
/// <param name="LastEpoch">Last averaged epoch (inclusive).</param>
/// <param name="MeanCurveIou">Mean validation IoU of those epochs on the training curve.</param>
/// <param name="ValIou">Validation IoU of the averaged weights (BatchNorm statistics recomputed).</param>
/// <param name="ValDice">Validation Kaggle mean Dice of the averaged weights, segmenter alone.</param>
public sealed record PtxSwaResult(string Name, int FirstEpoch, int LastEpoch, double MeanCurveIou, double ValIou, double ValDice);

/// <summary>What a segmenter run produced.</summary>
public sealed record PtxSegmenterResult(string RunDirectory, EpochTrainerResult Fit, PtxSwaResult Window, PtxSwaResult Classic, double BestValIou);

/// <summary>
/// Trains the cascade's pneumothorax segmenter (FPN over the ResNet-18 encoder) through the shared
/// <see cref="EpochTrainer"/>: ComboLoss (BCE + Dice + focal), Adam at 1e-3 with the first half of the encoder frozen for
/// two epochs, then 1e-4 cosine-annealed; positive-only or the first place's sliding sample rate (share of positives
/// 0.8 to 0.4, negatives drawn with replacement); the first place's augmentation; validation IoU per epoch (best
/// epoch). Each epoch's weights are kept until the end, when two SWA models are made from them with BatchNorm
/// statistics recomputed on the training images: <b>window</b>, the consecutive epochs with the best mean validation
/// IoU (Țimbuș et al.'s epochs 13-16), and <b>classic</b>, every epoch from <see cref="PtxSegmenterOptions.ClassicSwaStart"/>
/// of the run to the end. Run folder: <c>model.safetensors</c> (best epoch), <c>swa-window.safetensors</c>,
/// <c>swa-classic.safetensors</c>, <c>config.json</c>, <c>metrics.json</c>, <c>history.csv</c>, <c>checkpoints/</c>;
/// a rerun into the same folder resumes.
/// </summary>
public sealed class PtxSegmenterTrainer : LoopTrainer<PtxSegmenterOptions>
{
    /// <summary>Creates the trainer; the options are validated here.</summary>
    public PtxSegmenterTrainer(PtxSegmenterOptions options) : base(options)
    {
    }

    /// <summary>Reports a stage (loading, swa ...).</summary>
    public event Action<string>? Stage;

    /// <summary>Trains on the dataset's train split (validation split for the IoU curve) into <paramref name="runDir"/>.</summary>
    /// <exception cref="ArgumentException">Too few training positives, or an empty validation split.</exception>
    public PtxSegmenterResult Train(ClassificationDataset dataset, string runDir, CancellationToken cancel = default)
    {
        var o = Options;
        var train = dataset.Split("train");
        var val = dataset.Split("validation");
        var positives = train.Where(s => s.Label == 1).ToList();
        var negatives = train.Where(s => s.Label == 0).ToList();
        if (positives.Count < 2) throw new ArgumentException($"{dataset.Root}: the train split has {positives.Count} pneumothorax studies; need at least 2");
        if (!o.PositiveOnly && negatives.Count == 0) throw new ArgumentException($"{dataset.Root}: the train split has no negative studies for the sliding sample rate (use positive-only)");
        if (val.Count(s => s.Label == 1) == 0) throw new ArgumentException($"{dataset.Root}: the validation split has no pneumothorax study (the IoU curve needs some)");
        TorchRuntime.EnsureLoaded();
        using var threads = DeterministicThreads.Enter(o.Deterministic);
        var device = TorchRuntime.ParseDevice(o.Device);
        torch.manual_seed(o.Seed);
        Stage?.Invoke("building the network");
        var decoder = o.DecoderSpec();
        var (encoder, arch) = ClassifierArchitecture.CreateEncoder(o.Encoder, o.Weights, samePadding: true);
        using var network = PtxSegmenterModel.CreateNetwork(arch, decoder, encoder);
        network.MoveTo(device); // built and loaded on the CPU, moved before the optimiser takes its parameters
        ClassifierTrainer.ProbeInputSize(network, arch, o.Size);
        var firstHalf = FirstHalfOfEncoder(network, arch);
        var used = (o.PositiveOnly ? positives : train).Concat(val).ToList();
        Stage?.Invoke($"loading {used.Count} studies at {o.Size} px");
        var images = ClassifierTrainer.LoadImages(dataset, used, o.Size);
        var masks = PtxData.LoadMasks(dataset, used, o.Size);
        using var optimizer = new SafeAdam(network.parameters(), lr: o.LearningRateAt(1));
        var epochsDir = Path.Combine(runDir, "epochs");
        var method = new Method(o, network, arch, firstHalf, optimizer, positives, o.PositiveOnly ? [] : negatives, val, images, masks, epochsDir,
            o.Fingerprint() + string.Create(CultureInfo.InvariantCulture, $";train={train.Count};validation={val.Count}"));
        var loop = CreateLoop(new EpochTrainerOptions { Epochs = o.Epochs, TimeBudget = o.TimeBudget, Deterministic = o.Deterministic });
        var fit = loop.Fit(method, runDir, cancel);

        var meta = new Dictionary<string, string> { ["architecture"] = $"{decoder.Name}-{arch.Encoder}", ["size"] = o.Size.ToString(CultureInfo.InvariantCulture) };
        RunFiles.Write(Path.Combine(runDir, "model.safetensors"), tmp => SafeTensors.Save(tmp, network.state_dict(), meta));
        var bestIou = fit.Best is { } b ? b.Metric("val_iou") : double.NaN;

        // A finished run removes its per-epoch weights by renaming the folder, then deleting it; a kill in between leaves
        // the renamed folder, and every output is written by then. A rerun of a finished run reads its results back.
        var deleting = Path.Combine(runDir, ".epochs.deleting");
        if (Directory.Exists(deleting)) Directory.Delete(deleting, true);
        if (!Directory.Exists(epochsDir) && ReadFinished(runDir, fit, bestIou) is { } done)
        {
            OnFinished();
            return done;
        }

        var curve = fit.History.Select(h => (h.Epoch, Iou: h.Metric("val_iou"))).Where(h => File.Exists(method.EpochFile(h.Epoch))).ToList();
        if (curve.Count == 0) throw new InvalidOperationException($"{epochsDir}: no per-epoch weights to average (was the run finished with --keep-epochs off before?)");
        var (wFirst, wLast) = BestWindow(curve, o.SwaWindow);
        var lastEpoch = curve[^1].Epoch;
        var cFirst = Math.Min(lastEpoch, Math.Max(curve[0].Epoch, (int)Math.Floor(o.ClassicSwaStart * lastEpoch) + 1));
        if (lastEpoch - cFirst + 1 < 2 && curve.Count >= 2) cFirst = Math.Max(curve[0].Epoch, lastEpoch - 1);
        var trainImages = (o.PositiveOnly ? positives : train).Select(s => images[s.Id]).ToList();
        PtxSwaResult Swa(string name, int first, int last, string file)
        {
            Stage?.Invoke($"SWA {name}: averaging epochs {first}-{last}, recomputing BatchNorm statistics");
            var epochs = curve.Where(c => c.Epoch >= first && c.Epoch <= last).ToList();
            var dicts = epochs.Select(c => SafeTensors.Load(method.EpochFile(c.Epoch))).ToList();
            using var avgNet = PtxSegmenterModel.CreateNetwork(arch, decoder);
            try
            {
                var avg = StochasticWeightAveraging.AverageStateDicts(dicts);
                try
                {
                    StateDicts.Load(avgNet, avg, strict: true, source: $"{name} SWA of epochs {first}-{last}");
                }
                finally
                {
                    avg.DisposeAll();
                }
            }
            finally
            {
                foreach (var d in dicts) d.DisposeAll();
            }
            avgNet.MoveTo(device);
            using (torch.no_grad())
                StochasticWeightAveraging.UpdateBatchNorm(avgNet, Batches(trainImages, arch, o.Size, o.BatchSize, device));
            var (iou, dice) = method.Validate(avgNet);
            RunFiles.Write(Path.Combine(runDir, file), tmp => SafeTensors.Save(tmp, avgNet.state_dict(),
                new Dictionary<string, string>(meta) { ["swa"] = name, ["epochs"] = $"{first}-{last}" }));
            return new PtxSwaResult(name, first, last, epochs.Average(c => c.Iou), iou, dice);
        }
        var window = Swa("window", wFirst, wLast, "swa-window.safetensors");
        var classic = Swa("classic", cFirst, lastEpoch, "swa-classic.safetensors");

        var config = arch.ToJson();
        config["method"] = "ptx-segmenter";
        PtxSegmenterModel.DecoderToJson(decoder, config);
        config["size"] = o.Size;
        config["epochs"] = o.Epochs;
        config["batch"] = o.BatchSize;
        config["frozen_lr"] = o.FrozenLearningRate;
        config["freeze_epochs"] = o.FreezeEpochs;
        config["freeze"] = $"first half of the encoder: the stem and stages up to its stride-8 tap ({firstHalf.Count} of {PtxSegmenterModel.EncoderOf(network).parameters().Count()} parameter tensors)";
        config["lr"] = o.LearningRate;
        config["min_lr"] = o.MinLearningRate;
        config["schedule"] = "cosine annealing after the frozen epochs, per epoch";
        config["positive_only"] = o.PositiveOnly;
        config["sample_rate"] = new JsonArray(o.SampleRateStart, o.SampleRateEnd);
        config["loss"] = "combo";
        config["loss_weights"] = new JsonObject { ["bce"] = o.LossWeights.Bce, ["dice"] = o.LossWeights.Dice, ["focal"] = o.LossWeights.Focal };
        config["augment"] = o.Augment;
        config["seed"] = o.Seed;
        config["swa_window"] = new JsonArray(window.FirstEpoch, window.LastEpoch);
        config["swa_classic"] = new JsonArray(classic.FirstEpoch, classic.LastEpoch);
        config["default_weights"] = "window";
        config["data"] = dataset.Root;
        RunConfig.Write(runDir, config);
        static JsonNode? N(double v) => double.IsFinite(v) ? Math.Round(v, 6) : null;
        JsonObject SwaJson(PtxSwaResult r) => new()
        {
            ["first_epoch"] = r.FirstEpoch, ["last_epoch"] = r.LastEpoch, ["mean_curve_iou"] = N(r.MeanCurveIou), ["val_iou"] = N(r.ValIou), ["val_dice"] = N(r.ValDice),
        };
        var metrics = new JsonObject
        {
            ["version"] = 1, ["best_epoch"] = fit.BestEpoch, ["best_val_iou"] = N(bestIou),
            ["best_val_dice"] = fit.Best is { } bb ? N(bb.Metric("val_dice")) : null,
            ["swa_window"] = SwaJson(window), ["swa_classic"] = SwaJson(classic),
            ["epochs_run"] = fit.History.Count, ["stop_reason"] = fit.StopReason.ToString().ToLowerInvariant(), ["stop_detail"] = fit.StopDetail,
            ["train_seconds"] = Math.Round(fit.TrainSeconds, 1), ["train_positives"] = positives.Count,
            ["train_negatives"] = o.PositiveOnly ? 0 : negatives.Count, ["validation_studies"] = val.Count,
            ["parameters"] = network.parameters().Sum(p => p.numel()),
        };
        RunFiles.WriteJson(Path.Combine(runDir, "metrics.json"), metrics);
        if (!o.KeepEpochWeights && Directory.Exists(epochsDir))
        {
            Directory.Move(epochsDir, deleting);
            Directory.Delete(deleting, true);
        }
        OnFinished();
        return new PtxSegmenterResult(Path.GetFullPath(runDir), fit, window, classic, bestIou);
    }

    /// <summary>The results of a finished run read back from its <c>metrics.json</c> (same number of epochs, both SWA
    /// files present), or null when the folder does not hold one.</summary>
    private static PtxSegmenterResult? ReadFinished(string runDir, EpochTrainerResult fit, double bestIou)
    {
        var path = Path.Combine(runDir, "metrics.json");
        if (!File.Exists(path) || !File.Exists(Path.Combine(runDir, "swa-window.safetensors")) || !File.Exists(Path.Combine(runDir, "swa-classic.safetensors")))
            return null;
        var m = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
            ?? throw new InvalidDataException($"{path}: not a JSON object");
        if (m["epochs_run"]?.GetValue<int>() != fit.History.Count) return null;
        static double D(JsonNode? n) => n is null ? double.NaN : n.GetValue<double>();
        PtxSwaResult Swa(string name)
        {
            var j = m["swa_" + name] as JsonObject ?? throw new InvalidDataException($"{path}: 'swa_{name}' is missing");
            var first = j["first_epoch"]?.GetValue<int>() ?? throw new InvalidDataException($"{path}: 'swa_{name}.first_epoch' is missing");
            var last = j["last_epoch"]?.GetValue<int>() ?? throw new InvalidDataException($"{path}: 'swa_{name}.last_epoch' is missing");
            return new PtxSwaResult(name, first, last, D(j["mean_curve_iou"]), D(j["val_iou"]), D(j["val_dice"]));
        }
        return new PtxSegmenterResult(Path.GetFullPath(runDir), fit, Swa("window"), Swa("classic"), bestIou);
    }

    /// <summary>
    /// The first half of <paramref name="network"/>'s encoder (Țimbuș et al. freeze it for the first epochs), the same
    /// way for every zoo encoder: the parameters its stride-8 map depends on, i.e. the stem and the stages up to the second
    /// of its four taps at strides 4, 8, 16, 32 (<see cref="EncoderStages.FirstHalf"/>, found by autograd on a fresh
    /// encoder of <paramref name="arch"/>). For ResNet-18: conv1, bn1, layer1, layer2.
    /// </summary>
    public static IReadOnlyList<TorchSharp.Modules.Parameter> FirstHalfOfEncoder(nn.Module<Tensor, Tensor> network, ClassifierArchitecture arch)
    {
        IReadOnlyList<string> names;
        using (var probe = arch.CreateEmptyEncoder()) names = EncoderStages.FirstHalf(probe);
        var own = PtxSegmenterModel.EncoderOf(network).named_parameters().ToDictionary(np => np.name, np => np.parameter);
        return names.Select(n => own.TryGetValue(n, out var p) ? p
            : throw new InvalidOperationException($"encoder parameter '{n}' of a fresh {arch.Encoder} is not in the segmenter's encoder")).ToArray();
    }

    /// <summary>
    /// The <paramref name="width"/> consecutive epochs of <paramref name="curve"/> with the highest mean IoU (the earliest
    /// on ties; the whole curve when it is shorter). Epochs must be ascending.
    /// </summary>
    public static (int First, int Last) BestWindow(IReadOnlyList<(int Epoch, double Iou)> curve, int width)
    {
        if (curve.Count == 0) throw new ArgumentException("empty IoU curve", nameof(curve));
        var w = Math.Min(width, curve.Count);
        var best = double.NegativeInfinity;
        var at = 0;
        for (var i = 0; i + w <= curve.Count; i++)
        {
            var m = 0.0;
            for (var j = i; j < i + w; j++) m += double.IsFinite(curve[j].Iou) ? curve[j].Iou : 0;
            m /= w;
            if (m > best + 1e-12)
            {
                best = m;
                at = i;
            }
        }
        return (curve[at].Epoch, curve[at + w - 1].Epoch);
    }

    private static IEnumerable<Tensor> Batches(IReadOnlyList<float[]> images, ClassifierArchitecture arch, int size, int batch, Device device)
    {
        for (var i = 0; i < images.Count; i += batch)
        {
            var chunk = images.Skip(i).Take(batch).ToList();
            if (chunk.Count < 2) yield break; // BatchNorm in training mode needs two images
            using var grey = ClassifierTrainer.Stack(chunk, size).MoveTo(device);
            yield return arch.Normalize(grey);
        }
    }

    /// <summary>
    /// The first place's elastic deformation (alpha 120, sigma 6, alpha_affine 3.6 pixels at 1024 px, seed-specs 4.4) for
    /// training at <paramref name="size"/> px: with s = size / 1024 the field's smoothing and the affine jitter scale by s
    /// and alpha by s^2 (the smoothed field's amplitude goes as alpha / sigma), so the warp moves the same fraction of the
    /// image as at 1024.
    /// </summary>
    public static ElasticTransform ElasticAt(int size)
    {
        var s = size / 1024.0;
        return new ElasticTransform { Alpha = 120 * s * s, Sigma = 6 * s, AlphaAffine = 3.6 * s, Border = BorderMode.Reflect101, Probability = 1 };
    }

    private sealed class Method : TrainingMethod
    {
        private readonly PtxSegmenterOptions _o;
        private readonly nn.Module<Tensor, Tensor> _net;
        private readonly ClassifierArchitecture _arch;
        private readonly torch.optim.Optimizer _optimizer;
        private readonly List<ClassificationStudy> _pos, _neg, _val;
        private readonly Dictionary<string, float[]> _images;
        private readonly Dictionary<string, byte[]> _masks;
        private readonly string _epochsDir;
        private readonly SeededRandom _rng;
        private readonly SampleTransform _augment;
        private readonly TorchSharp.Modules.Parameter[] _firstHalf;
        private List<ClassificationStudy> _epoch = [];

        public Method(PtxSegmenterOptions o, nn.Module<Tensor, Tensor> net, ClassifierArchitecture arch, IReadOnlyList<TorchSharp.Modules.Parameter> firstHalf, torch.optim.Optimizer optimizer, List<ClassificationStudy> pos,
            List<ClassificationStudy> neg, IReadOnlyList<ClassificationStudy> val, Dictionary<string, float[]> images, Dictionary<string, byte[]> masks,
            string epochsDir, string fingerprint)
        {
            _o = o;
            _net = net;
            _arch = arch;
            _optimizer = optimizer;
            _pos = pos;
            _neg = neg;
            _val = val.ToList();
            _images = images;
            _masks = masks;
            _epochsDir = epochsDir;
            _rng = new SeededRandom(o.Seed + 1);
            var a = o.Augment;
            // The first place's train transforms (seed-specs 4.4), probabilities scaled by --augment.
            _augment = new Compose(
                new HorizontalFlip { Probability = 0.5 * a },
                new OneOf(new RandomBrightnessContrast { BrightnessLimit = 0.2, ContrastLimit = 0.2, Probability = 1 }, new RandomGamma { Probability = 1 }) { Probability = 0.3 * a },
                new OneOf(ElasticAt(o.Size), new GridDistortion { Probability = 1 }, new OpticalDistortion { DistortLimit = 2, ShiftLimit = 0.5, Probability = 1 }) { Probability = 0.3 * a },
                new ShiftScaleRotate { ShiftLimit = 0.0625, ScaleLimit = 0.1, RotateLimit = 45, Border = BorderMode.Reflect101, Probability = 0.5 * a });
            _firstHalf = firstHalf.ToArray();
            Fingerprint = fingerprint;
            Components = new TrainingComponents { Model = net, Optimizer = optimizer, Randoms = new Dictionary<string, SeededRandom> { ["train"] = _rng } };
        }

        public override TrainingComponents Components { get; }
        public override string Fingerprint { get; }
        public override IReadOnlyList<string> MetricNames { get; } = ["val_iou", "val_dice", "positives_share"];
        public override string SelectionMetric => "val_iou";

        private double _share;

        public string EpochFile(int epoch) => Path.Combine(_epochsDir, string.Create(CultureInfo.InvariantCulture, $"epoch-{epoch:D4}.safetensors"));

        public override int BeginEpoch(int epoch)
        {
            var frozen = epoch <= _o.FreezeEpochs;
            foreach (var p in _firstHalf) p.requires_grad = !frozen;
            foreach (var g in _optimizer.ParamGroups) g.LearningRate = _o.LearningRateAt(epoch);
            // Sliding sample rate: every positive plus int(n_pos (1 - p) / p) negatives drawn with replacement, shuffled.
            var p0 = _o.SampleRate(epoch, _o.Epochs);
            var list = new List<ClassificationStudy>(_pos);
            if (_neg.Count > 0)
            {
                var nNeg = (int)(_pos.Count * (1 - p0) / p0);
                for (var i = 0; i < nNeg; i++) list.Add(_neg[_rng.Next(_neg.Count)]);
            }
            var perm = _rng.Permutation(list.Count);
            _epoch = perm.Select(i => list[i]).ToList();
            _share = _pos.Count / (double)list.Count;
            var steps = _epoch.Count / _o.BatchSize + (_epoch.Count % _o.BatchSize >= 2 ? 1 : 0);
            return Math.Max(1, steps);
        }

        public override Tensor ComputeLoss(int epoch, int step)
        {
            var batch = _epoch.Skip(step * _o.BatchSize).Take(_o.BatchSize).ToList();
            var size = _o.Size;
            var plane = size * size;
            var x = new float[batch.Count * plane];
            var y = new float[batch.Count * plane];
            for (var b = 0; b < batch.Count; b++)
            {
                var s = batch[b];
                var random = new Random(unchecked((int)_rng.NextUInt64()));
                var sample = new Sample { Id = s.Id, Image = _images[s.Id], Channels = 1, Height = size, Width = size, Masks = [_masks[s.Id]] };
                var aug = _augment.Apply(sample, random);
                aug.Image.CopyTo(x, b * plane);
                var m = aug.Masks[0];
                for (var i = 0; i < plane; i++) y[b * plane + i] = m[i] != 0 ? 1f : 0f;
            }
            var device = Devices.DeviceOf(_net);
            var input = _arch.Normalize(torch.tensor(x, new long[] { batch.Count, 1, size, size }).MoveTo(device));
            var target = torch.tensor(y, new long[] { batch.Count, 1, size, size }).MoveTo(device);
            var w = _o.LossWeights;
            return SegmentationLoss.Combo(_net.call(input), target, w.Bce, w.Dice, w.Focal);
        }

        public override IReadOnlyDictionary<string, double> Evaluate(int epoch)
        {
            var (iou, dice) = Validate(_net);
            Directory.CreateDirectory(_epochsDir);
            RunFiles.Write(EpochFile(epoch), tmp => SafeTensors.Save(tmp, _net.state_dict()));
            _net.train();
            return new Dictionary<string, double> { ["val_iou"] = iou, ["val_dice"] = dice, ["positives_share"] = _share };
        }

        /// <summary>Validation of a network at probability 0.5 without TTA: mean per-image IoU over the pneumothorax
        /// studies, and the Kaggle mean Dice over every study (segmenter alone).</summary>
        public (double Iou, double Dice) Validate(nn.Module<Tensor, Tensor> net)
        {
            var probs = PtxSegmenterModel.Predict(net, _arch, _val.Select(s => _images[s.Id]).ToList(), _o.Size, flipTta: false);
            double iou = 0, dice = 0;
            var nPos = 0;
            for (var i = 0; i < _val.Count; i++)
            {
                var pred = new byte[probs[i].Length];
                for (var k = 0; k < pred.Length; k++) pred[k] = probs[i][k] > 0.5f ? (byte)1 : (byte)0;
                var truth = _masks[_val[i].Id];
                dice += SegmentationMetrics.Dice(pred, truth);
                if (_val[i].Label == 1)
                {
                    iou += SegmentationMetrics.IoU(pred, truth);
                    nPos++;
                }
            }
            return (nPos > 0 ? iou / nPos : double.NaN, dice / _val.Count);
        }
    }
}
