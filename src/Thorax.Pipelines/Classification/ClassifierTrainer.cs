using Thorax.Training.Optim;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Thorax.Data.Augmentation;
using Thorax.Data.Datasets;
using Thorax.Imaging.Ops;
using Thorax.Metrics;
using Thorax.Models.Runtime;
using Thorax.Models.Weights;
using Thorax.Training;
using Thorax.Training.Loop;
using Thorax.Training.Schedulers;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Pipelines.Classification;

/// <summary>What a classifier training run produced.</summary>
/// <param name="RunDirectory">The run folder.</param>
/// <param name="Fit">The loop's result: history, best epoch, stop reason, seconds.</param>
/// <param name="Evaluation">The audit on the test split of the best epoch's weights.</param>
/// <param name="Predictions">The test split's predictions.</param>
public sealed record ClassifierTrainingResult(string RunDirectory, EpochTrainerResult Fit, ClassificationEvaluation Evaluation,
    IReadOnlyList<ClassificationPrediction> Predictions);

/// <summary>
/// Trains a binary image classifier (ResNet-18 encoder, global average pooling, linear head) on a synthetic dataset
/// folder through the shared <see cref="EpochTrainer"/>: BCE with logits, Adam, light augmentation (shift-scale-rotate
/// up to 5% shift, 10% scale and 10°, brightness/contrast ±10%), validation loss and ROC AUC per epoch, best epoch by
/// validation AUC. Then evaluates the best weights on the test split and writes the run folder (atomically):
/// <c>model.safetensors</c>, <c>config.json</c>, <c>history.csv</c>, <c>metrics.json</c> (the
/// <see cref="ClassificationEvaluation"/> plus training figures), <c>predictions.csv</c> and <c>checkpoints/</c>;
/// a rerun into the same folder resumes.
/// </summary>
public sealed class ClassifierTrainer : LoopTrainer<ClassifierOptions>
{
    /// <summary>Images per forward pass during validation and prediction.</summary>
    public const int InferenceBatch = 32;

    /// <summary>Creates the trainer; the options are validated here.</summary>
    /// <exception cref="ArgumentException">An option is out of range (named).</exception>
    public ClassifierTrainer(ClassifierOptions options) : base(options)
    {
    }

    /// <summary>Reports (studies loaded, studies to load) while images are read and resized.</summary>
    public event Action<int, int>? Loading;

    /// <summary>Trains on <paramref name="dataset"/>'s train split (validation split for model selection), evaluates on
    /// its test split and writes <paramref name="runDir"/>.</summary>
    /// <exception cref="ArgumentException">The train split has fewer than two studies, or the validation or test split is empty.</exception>
    public ClassifierTrainingResult Train(ClassificationDataset dataset, string runDir, CancellationToken cancel = default)
    {
        var o = Options;
        IReadOnlyList<ClassificationStudy> train = dataset.Split("train");
        IReadOnlyList<ClassificationStudy> val = dataset.Split("validation");
        if (o.StratifiedValidation is { } share) (train, val) = StratifiedSplit(train.Concat(val).ToList(), share, o.Seed);
        var test = dataset.Split("test");
        if (train.Count < 2) throw new ArgumentException($"{dataset.Root}: the train split has {train.Count} studies; need at least 2");
        if (val.Count == 0) throw new ArgumentException($"{dataset.Root}: the validation split is empty");
        if (test.Count == 0) throw new ArgumentException($"{dataset.Root}: the test split is empty");
        TorchRuntime.EnsureLoaded();
        using var threads = DeterministicThreads.Enter(o.Deterministic);
        var device = TorchRuntime.ParseDevice(o.Device);
        torch.manual_seed(o.Seed);
        var (network, arch) = ClassifierArchitecture.Create(o.Encoder, o.Weights);
        using (network)
        {
            network.MoveTo(device); // weights are built and loaded on the CPU, then moved (before the optimiser takes them)
            ProbeInputSize(network, arch, o.Size);
            var all = train.Concat(val).ToList();
            var images = LoadImages(dataset, all, o.Size, (n, total) => Loading?.Invoke(n, total));
            using var optimizer = new SafeAdam(network.parameters(), lr: o.FreezeEpochs > 0 ? o.FrozenLearningRate : o.LearningRate);
            var plateau = o.PlateauFactor > 0 ? new ReduceLROnPlateau(optimizer, PlateauMode.Max, o.PlateauFactor, o.PlateauPatience) : null;
            var method = new Method(o, network, arch, optimizer, plateau, train, val, images,
                o.Fingerprint() + FormattableString.Invariant($";train={train.Count};validation={val.Count}"));
            var loop = CreateLoop(new EpochTrainerOptions
            {
                Epochs = o.Epochs, TimeBudget = o.TimeBudget, EarlyStoppingPatience = o.EarlyStoppingPatience, Deterministic = o.Deterministic,
            });
            var fit = loop.Fit(method, runDir, cancel);

            RunFiles.Write(Path.Combine(runDir, "model.safetensors"), tmp => SafeTensors.Save(tmp, network.state_dict(),
                new Dictionary<string, string> { ["architecture"] = arch.Encoder + "-classifier", ["label"] = o.Label, ["size"] = o.Size.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
            var config = arch.ToJson();
            config["method"] = "image-classifier";
            config["label"] = o.Label;
            config["size"] = o.Size;
            config["epochs"] = o.Epochs;
            config["batch"] = o.BatchSize;
            config["lr"] = o.LearningRate;
            config["seed"] = o.Seed;
            config["augment_probability"] = o.AugmentProbability;
            config["augmentation"] = o.Preset switch
            {
                "augment" => "clahe, optical-distortion, zoom-in 5-10%, zoom-out 5-10% (each with augment_probability)",
                "enrich" => "none (minority class oversampled to balance; copies made by clahe, optical-distortion, zoom-in, zoom-out in turn)",
                _ => "shift-scale-rotate(shift 0.05, scale 0.1, rotate 10, reflect101), brightness-contrast(0.1, 0.1)",
            };
            config["preset"] = o.Preset;
            config["freeze_epochs"] = o.FreezeEpochs;
            config["frozen_lr"] = o.FrozenLearningRate;
            config["plateau_factor"] = o.PlateauFactor;
            config["plateau_patience"] = o.PlateauPatience;
            config["stratified_validation"] = o.StratifiedValidation;
            config["loss"] = "bce-with-logits";
            config["optimizer"] = "adam";
            config["selection"] = $"val_{o.Selection} (max)";
            config["data"] = dataset.Root;
            RunConfig.Write(runDir, config);

            var testImages = LoadImages(dataset, test, o.Size, (n, total) => Loading?.Invoke(n, total));
            var probabilities = ClassifierModel.Predict(network, arch, test.Select(s => testImages[s.Id]).ToList(), o.Size);
            var predictions = test.Select((s, i) => new ClassificationPrediction(s, probabilities[i])).ToList();
            var evaluation = ClassificationEvaluation.Compute("test", o.Label, predictions, o.Seed);
            var metrics = evaluation.ToJson();
            metrics["best_epoch"] = fit.BestEpoch;
            metrics["epochs_run"] = fit.History.Count;
            metrics["stop_reason"] = fit.StopReason.ToString().ToLowerInvariant();
            metrics["stop_detail"] = fit.StopDetail;
            metrics["val_auc"] = fit.Best is { } b && double.IsFinite(b.Metric("val_auc")) ? Math.Round(b.Metric("val_auc"), 6) : null;
            if (o.Selection == "mcc") metrics["val_mcc"] = fit.Best is { } bm && double.IsFinite(bm.Metric("val_mcc")) ? Math.Round(bm.Metric("val_mcc"), 6) : null;
            metrics["train_seconds"] = Math.Round(fit.TrainSeconds, 1);
            metrics["train_studies"] = train.Count;
            metrics["validation_studies"] = val.Count;
            metrics["parameters"] = network.parameters().Sum(p => p.numel());
            ClassificationEvaluation.WriteFiles(runDir, metrics, predictions);
            OnFinished();
            return new ClassifierTrainingResult(Path.GetFullPath(runDir), fit, evaluation, predictions);
        }
    }

    /// <summary>
    /// One forward pass of a blank [1, 1, size, size] image in eval mode, so that an input too small for the encoder (e.g.
    /// Inception-ResNet-v2 without stride-exact padding below 75 px) is a clear error before any image is loaded.
    /// </summary>
    /// <exception cref="ArgumentException">The encoder cannot take that size (names encoder and size).</exception>
    public static void ProbeInputSize(torch.nn.Module<Tensor, Tensor> network, ClassifierArchitecture arch, int size)
    {
        var training = network.training;
        network.eval();
        try
        {
            using var scope = torch.NewDisposeScope();
            using var inference = torch.inference_mode();
            network.call(arch.Normalize(torch.zeros(1, 1, size, size).MoveTo(Devices.DeviceOf(network))));
        }
        catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException)
        {
            throw new ArgumentException($"encoder {arch.Encoder} cannot take {size} px input ({e.Message.Split('\n')[0]}); use a larger --size", e);
        }
        finally
        {
            network.train(training);
        }
    }

    /// <summary>
    /// A stratified split of <paramref name="pool"/>: per label (in pool order, shuffled with <paramref name="seed"/>),
    /// round(share x count) studies go to validation (at least one when the class has two or more), the rest to train;
    /// both lists keep pool order.
    /// </summary>
    public static (List<ClassificationStudy> Train, List<ClassificationStudy> Validation) StratifiedSplit(IReadOnlyList<ClassificationStudy> pool, double share, int seed)
    {
        var rng = new SeededRandom(seed);
        var toVal = new HashSet<int>();
        foreach (var label in pool.Select(s => s.Label).Distinct().Order())
        {
            var idx = Enumerable.Range(0, pool.Count).Where(i => pool[i].Label == label).ToArray();
            var perm = rng.Permutation(idx.Length);
            var n = (int)Math.Round(share * idx.Length, MidpointRounding.AwayFromZero);
            if (n == 0 && idx.Length >= 2) n = 1;
            if (n == idx.Length && n > 0) n--;
            for (var k = 0; k < n; k++) toVal.Add(idx[perm[k]]);
        }
        var train = new List<ClassificationStudy>();
        var val = new List<ClassificationStudy>();
        for (var i = 0; i < pool.Count; i++) (toVal.Contains(i) ? val : train).Add(pool[i] with { Split = toVal.Contains(i) ? "validation" : "train" });
        return (train, val);
    }

    /// <summary>Țimbuș et al.'s four image operations for augmentation and enrichment: CLAHE, optical distortion,
    /// zoom-in 5-10%, zoom-out 5-10%.</summary>
    public static SampleTransform[] PaperOperations(double probability) =>
    [
        new Clahe { Probability = probability },
        new OpticalDistortion { Probability = probability },
        new Zoom { MinScale = 1.05, MaxScale = 1.10, Probability = probability },
        new Zoom { MinScale = 0.90, MaxScale = 0.95, Probability = probability },
    ];

    /// <summary>
    /// Enrichment: the minority class of <paramref name="train"/> oversampled until both classes have equal support.
    /// The difference is split evenly over the four <see cref="PaperOperations"/>; copy j takes the next minority study
    /// of a seeded shuffle and operation j mod 4, applied once now. Returns the added studies (ids <c>{id}#enrich{j}</c>)
    /// and puts their images into <paramref name="images"/>.
    /// </summary>
    public static List<ClassificationStudy> Enrich(IReadOnlyList<ClassificationStudy> train, Dictionary<string, float[]> images, int size, int seed)
    {
        var pos = train.Where(s => s.Label == 1).ToList();
        var neg = train.Where(s => s.Label == 0).ToList();
        var minority = pos.Count <= neg.Count ? pos : neg;
        var diff = Math.Abs(pos.Count - neg.Count);
        var added = new List<ClassificationStudy>();
        if (diff == 0 || minority.Count == 0) return added;
        var ops = PaperOperations(1.0);
        var perm = new SeededRandom(seed + 7).Permutation(minority.Count);
        for (var j = 0; j < diff; j++)
        {
            var s = minority[perm[j % minority.Count]];
            var key = s.Id + "#enrich" + j.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var sample = new Sample { Id = key, Image = images[s.Id], Channels = 1, Height = size, Width = size };
            images[key] = ops[j % ops.Length].ApplyForced(sample, new Random(unchecked(seed * 7919 + j))).Image;
            added.Add(s with { Id = key });
        }
        return added;
    }

    /// <summary>Reads and resizes the images of <paramref name="studies"/> (in parallel), keyed by study id.</summary>
    public static Dictionary<string, float[]> LoadImages(ClassificationDataset dataset, IReadOnlyList<ClassificationStudy> studies, int size,
        Action<int, int>? progress = null)
    {
        var arrays = new float[studies.Count][];
        var done = 0;
        Parallel.For(0, studies.Count, i =>
        {
            arrays[i] = dataset.LoadImage(studies[i].Id, size);
            var n = Interlocked.Increment(ref done);
            if (progress is not null && (n % 32 == 0 || n == studies.Count)) progress(n, studies.Count);
        });
        var map = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (var i = 0; i < studies.Count; i++) map[studies[i].Id] = arrays[i];
        return map;
    }

    /// <summary>Stacks grey [S*S] planes into a [N, 1, S, S] float32 tensor.</summary>
    public static Tensor Stack(IReadOnlyList<float[]> planes, int size)
    {
        var plane = size * size;
        var x = new float[planes.Count * plane];
        for (var b = 0; b < planes.Count; b++) planes[b].CopyTo(x, b * plane);
        return torch.tensor(x, new long[] { planes.Count, 1, size, size });
    }

    /// <summary>The classifier as a <see cref="TrainingMethod"/>.</summary>
    private sealed class Method : TrainingMethod
    {
        private readonly ClassifierOptions _o;
        private readonly ImageClassifier _network;
        private readonly ClassifierArchitecture _arch;
        private readonly List<ClassificationStudy> _train;
        private readonly List<ClassificationStudy> _val;
        private readonly Dictionary<string, float[]> _images;
        private readonly SeededRandom _rng;
        private readonly SampleTransform _augment;
        private readonly int _steps;
        private int[] _perm = [];

        private readonly torch.optim.Optimizer _optimizer;
        private readonly Device _device;

        public Method(ClassifierOptions o, ImageClassifier network, ClassifierArchitecture arch, torch.optim.Optimizer optimizer, ReduceLROnPlateau? plateau,
            IReadOnlyList<ClassificationStudy> train, IReadOnlyList<ClassificationStudy> val, Dictionary<string, float[]> images, string fingerprint)
        {
            _o = o;
            _network = network;
            _arch = arch;
            _optimizer = optimizer;
            _device = Devices.DeviceOf(network);
            _train = train.ToList();
            _val = val.ToList();
            _images = images;
            _rng = new SeededRandom(o.Seed + 1);
            if (o.Preset == "enrich") _train.AddRange(Enrich(_train, images, o.Size, o.Seed));
            _augment = o.Preset switch
            {
                "augment" => new Compose(PaperOperations(o.AugmentProbability)),
                "enrich" => new Compose(),
                _ => new Compose(
                    new ShiftScaleRotate { ShiftLimit = 0.05, ScaleLimit = 0.1, RotateLimit = 10, Border = BorderMode.Reflect101, Probability = o.AugmentProbability },
                    new RandomBrightnessContrast { BrightnessLimit = 0.1, ContrastLimit = 0.1, Probability = o.AugmentProbability }),
            };
            MetricNames = o.Selection == "mcc" ? ["val_loss", "val_auc", "val_mcc", "val_precision", "val_recall"] : ["val_loss", "val_auc"];
            // A last batch of one image is skipped (BatchNorm cannot train on one value per channel at small sizes).
            _steps = (_train.Count + o.BatchSize - 1) / o.BatchSize;
            if (_train.Count % o.BatchSize == 1) _steps--;
            Fingerprint = fingerprint;
            Components = new TrainingComponents
            {
                Model = network, Optimizer = optimizer, PlateauScheduler = plateau, Randoms = new Dictionary<string, SeededRandom> { ["train"] = _rng },
            };
        }

        public override TrainingComponents Components { get; }
        public override string Fingerprint { get; }
        public override IReadOnlyList<string> MetricNames { get; }
        public override string SelectionMetric => "val_" + _o.Selection;
        public override string? PlateauMetric => Components.PlateauScheduler is null ? null : SelectionMetric;

        public override int BeginEpoch(int epoch)
        {
            if (_o.FreezeEpochs > 0)
            {
                var frozen = epoch <= _o.FreezeEpochs;
                foreach (var p in _network.Encoder.parameters()) p.requires_grad = !frozen;
                if (frozen) _network.Encoder.eval(); // Keras-style freezing: BatchNorm statistics fixed too
                // The switch to the fine-tuning rate happens once, at the first unfrozen epoch (a resumed run keeps the
                // optimiser's stored rate, which a plateau scheduler may have lowered since).
                if (epoch == _o.FreezeEpochs + 1)
                    foreach (var g in _optimizer.ParamGroups) g.LearningRate = _o.LearningRate;
            }
            _perm = _rng.Permutation(_train.Count);
            return _steps;
        }

        public override Tensor ComputeLoss(int epoch, int step)
        {
            var idx = _perm.Skip(step * _o.BatchSize).Take(_o.BatchSize).ToArray();
            var planes = new List<float[]>(idx.Length);
            foreach (var i in idx)
            {
                // One System.Random per image, seeded from the checkpointed generator: a resumed run draws the same augmentations.
                var random = new Random(unchecked((int)_rng.NextUInt64()));
                var s = _train[i];
                var sample = new Sample { Id = s.Id, Image = _images[s.Id], Channels = 1, Height = _o.Size, Width = _o.Size };
                planes.Add(_augment.Apply(sample, random).Image);
            }
            var x = _arch.Normalize(Stack(planes, _o.Size).MoveTo(_device));
            var y = torch.tensor(idx.Select(i => (float)_train[i].Label).ToArray()).MoveTo(_device);
            return nn.functional.binary_cross_entropy_with_logits(_network.call(x), y);
        }

        public override IReadOnlyDictionary<string, double> Evaluate(int epoch)
        {
            var logits = ClassifierModel.Logits(_network, _arch, _val.Select(s => _images[s.Id]).ToList(), _o.Size);
            var labels = _val.Select(s => s.Label).ToArray();
            double loss = 0;
            for (var i = 0; i < logits.Length; i++)
            {
                // BCE with logits, stable form: max(z, 0) - z*y + log(1 + exp(-|z|)).
                var z = logits[i];
                loss += Math.Max(z, 0) - z * labels[i] + Math.Log(1 + Math.Exp(-Math.Abs(z)));
            }
            var positives = labels.Sum();
            var auc = positives > 0 && positives < labels.Length ? RankingMetrics.RocAuc(logits, labels) : double.NaN;
            _network.train();
            var metrics = new Dictionary<string, double> { ["val_loss"] = loss / logits.Length, ["val_auc"] = auc };
            if (_o.Selection == "mcc")
            {
                // Decision at probability 0.5, i.e. logit 0.
                var predicted = logits.Select(z => z >= 0 ? 1 : 0).ToArray();
                var cm = ConfusionMatrix.Compute(labels, predicted, 2);
                var mcc = ClassificationMetrics.Mcc(cm);
                metrics["val_mcc"] = double.IsFinite(mcc) ? mcc : 0;
                metrics["val_precision"] = ClassificationMetrics.Precision(cm);
                metrics["val_recall"] = ClassificationMetrics.Recall(cm);
            }
            return metrics;
        }
    }
}
