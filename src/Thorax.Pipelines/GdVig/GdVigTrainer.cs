using Thorax.Training.Optim;
using System.Text.Json.Nodes;
using Thorax.Data.Augmentation;
using Thorax.Metrics;
using Thorax.Models.GdVig;
using Thorax.Models.Runtime;
using Thorax.Models.Weights;
using Thorax.Training;
using Thorax.Training.Loop;
using Thorax.Training.Schedulers;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Pipelines.GdVig;

/// <summary>What a GD-ViG training run produced.</summary>
/// <param name="RunDirectory">The run folder.</param>
/// <param name="Fit">History, best epoch, stop reason, seconds.</param>
/// <param name="Test">Evaluation of the kept weights on the test split (null when the dataset has none).</param>
/// <param name="Examples">A few test studies' maps, for figures.</param>
/// <param name="TrainStudies">Training studies used.</param>
/// <param name="SkippedForGaze">Training studies left out for lack of gaze (<see cref="MissingGazePolicy.Skip"/>).</param>
public sealed record GdVigTrainingResult(string RunDirectory, EpochTrainerResult Fit, GdVigEvaluation? Test, IReadOnlyList<GdVigExample> Examples,
    int TrainStudies, int SkippedForGaze);

/// <summary>
/// Trains GD-ViG end to end as the authors' <c>engines_e2e.py</c> (seed-specs 1.8) on the shared
/// <see cref="EpochTrainer"/>: per batch, the generator predicts the gaze map, the classifier classifies the image with
/// the graph directed by that map (no gradient through the map), and the loss is
/// <c>CE(logits, y) + w · MSE(gaze_pred, gaze_true)</c> (w = 1); AdamW (lr 1e-4, weight decay 0.01), StepLR(50, 0.1)
/// per epoch; the reference's augmentations move image and gaze together. The plain ViG baseline trains the same
/// classifier without generator or gaze (CE only). After the loop the kept weights (best validation AUC, or the last
/// epoch as the reference) are written to <c>model.safetensors</c> with <c>config.json</c>, and the test split is
/// evaluated into <c>RUN/eval-test/</c>. Rerunning into the same folder resumes.
/// </summary>
public sealed class GdVigTrainer : LoopTrainer<GdVigTrainingOptions>
{
    /// <summary>Creates the trainer; the options are validated here.</summary>
    public GdVigTrainer(GdVigTrainingOptions options) : base(options)
    {
    }

    /// <summary>Reports (studies loaded, to load).</summary>
    public event Action<int, int>? Loading;

    /// <summary>Trains on the train split and writes <paramref name="runDir"/>.</summary>
    /// <exception cref="ArgumentException">Fewer than two training studies, a class missing from training, or a training
    /// study without gaze under <see cref="MissingGazePolicy.Error"/> (the study and its gaze source named).</exception>
    public GdVigTrainingResult Train(GdVigDataset dataset, string runDir, CancellationToken cancel = default)
    {
        var o = Options;
        if (dataset.Variant != o.Variant)
            throw new ArgumentException($"{dataset.Root} was read for the {GdVigPredictor.Name(dataset.Variant)} variant, the run is {GdVigPredictor.Name(o.Variant)}");
        var train = dataset.Split("train").ToList();
        var val = dataset.Split("validation").ToList();
        TorchRuntime.EnsureLoaded();
        var pixels = Load(dataset, train.Concat(val).ToList(), (n, t) => Loading?.Invoke(n, t));
        var skipped = 0;
        if (o.UsesGaze)
        {
            var missing = train.Where(s => pixels[s.Id].Gaze is null).ToList();
            if (missing.Count > 0 && o.MissingGaze == MissingGazePolicy.Error)
                throw new ArgumentException($"training study '{missing[0].Id}' has no gaze ({dataset.GazeSource(missing[0])}: no fixation on the image, no gaze file, or an all-zero map)" +
                    (missing.Count > 1 ? $" and {missing.Count - 1} more" : "") + "; GD-ViG's gaze loss needs a map for every training study (--missing-gaze skip leaves them out)");
            skipped = missing.Count;
            train = train.Where(s => pixels[s.Id].Gaze is not null).ToList();
        }
        if (train.Count < 2) throw new ArgumentException($"{dataset.Root}: {train.Count} usable training studies; need at least 2");
        var classes = o.ModelOptions().NumClasses;
        var absent = Enumerable.Range(0, classes).Where(c => train.All(s => s.Label != c)).ToList();
        if (absent.Count > 0)
            throw new ArgumentException($"{dataset.Root}: no training study of class {string.Join(", ", absent.Select(c => GdVigDataset.ClassNames(o.Variant)[c]))}");

        var device = TorchRuntime.ParseDevice(o.Device);
        using var threads = DeterministicThreads.Enter(o.Deterministic);
        manual_seed(o.Seed);
        using var net = GdVigNetwork.Create(o.Model, o.Variant, o.ModelOptions());
        net.MoveTo(device); // initialised on the CPU (the seeded init), moved before the optimiser takes its parameters
        using var optimizer = new SafeAdamW(net.Module.parameters(), lr: o.LearningRate, weight_decay: o.WeightDecay);
        var scheduler = new StepLR(optimizer, o.StepSize, o.StepGamma);
        var select = o.SelectByValidation && val.Count > 0;
        var method = new Method(o, net, optimizer, scheduler, train, val, pixels, select,
            o.Fingerprint() + FormattableString.Invariant($";train={train.Count};validation={val.Count}"));
        var loop = CreateLoop(new EpochTrainerOptions { Epochs = o.Epochs, TimeBudget = o.TimeBudget, Deterministic = o.Deterministic });
        var fit = loop.Fit(method, runDir, cancel);
        RunFiles.WriteText(Path.Combine(runDir, "curves.svg"), GdVigReport.CurvesSvg(fit.History));

        RunFiles.Write(Path.Combine(runDir, "model.safetensors"), tmp => SafeTensors.Save(tmp, net.Module.state_dict(),
            new Dictionary<string, string> { ["architecture"] = "gdvig-" + GdVigTrainingOptions.KindName(o.Model), ["variant"] = GdVigPredictor.Name(o.Variant) }));
        var config = net.ConfigJson();
        config["gaze_loss_weight"] = o.GazeLossWeight;
        config["loss"] = o.UsesGaze ? FormattableString.Invariant($"cross_entropy + {o.GazeLossWeight:R} * mse(gaze)") : "cross_entropy";
        config["optimizer"] = FormattableString.Invariant($"adamw(lr {o.LearningRate:R}, weight_decay {o.WeightDecay:R})");
        config["scheduler"] = FormattableString.Invariant($"steplr(step {o.StepSize}, gamma {o.StepGamma:R}) per epoch");
        config["batch"] = o.BatchSize;
        config["epochs"] = o.Epochs;
        config["seed"] = o.Seed;
        config["augmentation"] = o.Augment ? (o.Variant == GdVigVariant.SiimAcr ? "reference siim train" : "reference egdcxr train") : "none (test transform)";
        config["selection"] = select ? "val_auc (max)" : o.SelectByValidation ? "last epoch (no validation split)" : "last epoch (as the reference)";
        config["missing_gaze"] = o.MissingGaze.ToString().ToLowerInvariant();
        config["data"] = dataset.Root;
        config["layout"] = dataset.Layout;
        config["train_studies"] = train.Count;
        config["skipped_for_gaze"] = skipped;
        RunConfig.Write(runDir, config);

        GdVigEvaluation? test = null;
        List<GdVigExample> examples = [];
        if (dataset.Split("test").Count > 0)
        {
            var extra = new JsonObject
            {
                ["best_epoch"] = fit.BestEpoch, ["epochs_run"] = fit.History.Count, ["stop_reason"] = fit.StopReason.ToString().ToLowerInvariant(),
                ["stop_detail"] = fit.StopDetail,
                ["train_seconds"] = Math.Round(fit.TrainSeconds, 1), ["train_studies"] = train.Count, ["validation_studies"] = val.Count,
                ["parameters"] = net.Module.parameters().Sum(p => p.numel()),
            };
            (test, _, examples) = GdVigEvaluator.Evaluate(net, dataset, "test", Path.Combine(runDir, "eval-test"), 8, extra, seed: o.Seed);
        }
        OnFinished();
        return new GdVigTrainingResult(Path.GetFullPath(runDir), fit, test, examples, train.Count, skipped);
    }

    /// <summary>Reads the studies' pixels in parallel, keyed by id.</summary>
    public static Dictionary<string, GdVigPixels> Load(GdVigDataset dataset, IReadOnlyList<GdVigStudy> studies, Action<int, int>? progress = null)
    {
        var arr = new GdVigPixels[studies.Count];
        var done = 0;
        Parallel.For(0, studies.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) }, i =>
        {
            arr[i] = dataset.Read(studies[i]);
            var n = Interlocked.Increment(ref done);
            if (progress is not null && (n % 32 == 0 || n == studies.Count)) progress(n, studies.Count);
        });
        var map = new Dictionary<string, GdVigPixels>(StringComparer.Ordinal);
        for (var i = 0; i < studies.Count; i++) map[studies[i].Id] = arr[i];
        return map;
    }

    private sealed class Method : TrainingMethod
    {
        private readonly GdVigTrainingOptions _o;
        private readonly GdVigNetwork _net;
        private readonly List<GdVigStudy> _train;
        private readonly List<GdVigStudy> _val;
        private readonly Dictionary<string, GdVigPixels> _pixels;
        private readonly SeededRandom _rng;
        private readonly SampleTransform _augment;
        private readonly bool _select;
        private readonly int _steps;
        private int[] _perm = [];

        public Method(GdVigTrainingOptions o, GdVigNetwork net, optim.Optimizer optimizer, StepLR scheduler, List<GdVigStudy> train, List<GdVigStudy> val,
            Dictionary<string, GdVigPixels> pixels, bool select, string fingerprint)
        {
            _o = o;
            _net = net;
            _train = train;
            _val = val;
            _pixels = pixels;
            _select = select;
            _rng = new SeededRandom(o.Seed + 1);
            _augment = o.Augment ? GdVigInputs.TrainTransform(o.Variant, o.Size) : new Compose();
            // The reference's DataLoader keeps the last partial batch; a batch of one cannot train BatchNorm, so it is dropped.
            _steps = (_train.Count + o.BatchSize - 1) / o.BatchSize;
            if (_train.Count % o.BatchSize == 1) _steps--;
            Fingerprint = fingerprint;
            var names = new List<string> { "val_loss", "val_accuracy", "val_auc" };
            if (net.PredictsGaze) names.Add("val_gaze_cc");
            if (!select) names.Add("epoch");
            MetricNames = names;
            Components = new TrainingComponents
            {
                Model = net.Module, Optimizer = optimizer, Scheduler = scheduler, Randoms = new Dictionary<string, SeededRandom> { ["train"] = _rng },
            };
        }

        public override TrainingComponents Components { get; }
        public override string Fingerprint { get; }
        public override IReadOnlyList<string> MetricNames { get; }
        public override string SelectionMetric => _select ? "val_auc" : "epoch";

        public override int BeginEpoch(int epoch)
        {
            _perm = _rng.Permutation(_train.Count);
            return _steps;
        }

        public override Tensor ComputeLoss(int epoch, int step)
        {
            var idx = _perm.Skip(step * _o.BatchSize).Take(_o.BatchSize).ToArray();
            var images = new List<float[]>(idx.Length);
            var gazes = new List<float[]>(idx.Length);
            foreach (var i in idx)
            {
                // One System.Random per image, seeded from the checkpointed generator: a resumed run draws the same augmentations.
                var random = new Random(unchecked((int)_rng.NextUInt64()));
                var s = _train[i];
                var (img, gaze) = _o.Augment
                    ? GdVigInputs.Train(_pixels[s.Id], _augment, random, _o.Size, s.Id)
                    : GdVigInputs.Test(_pixels[s.Id], _o.Size);
                images.Add(img);
                if (gaze is not null) gazes.Add(gaze);
            }
            var device = _net.Device;
            var x = GdVigInputs.Stack(images, _o.Size).MoveTo(device);
            var y = tensor(idx.Select(i => (long)_train[i].Label).ToArray()).MoveTo(device);
            Tensor? g = _net.PredictsGaze ? GdVigInputs.Stack(gazes, _o.Size).MoveTo(device) : null;
            var (logits, pred) = _net.Forward(x, g);
            var loss = nn.functional.cross_entropy(logits, y);
            if (pred is not null && g is not null && _o.GazeLossWeight > 0) loss = loss.add(nn.functional.mse_loss(pred, g).mul(_o.GazeLossWeight));
            return loss;
        }

        public override IReadOnlyDictionary<string, double> Evaluate(int epoch)
        {
            var m = new Dictionary<string, double> { ["epoch"] = epoch };
            if (_val.Count == 0)
            {
                m["val_loss"] = m["val_accuracy"] = m["val_auc"] = m["val_gaze_cc"] = double.NaN;
                return m;
            }
            var (preds, _) = GdVigEvaluator.Predict(_net, null, _val, 0, s => _pixels[s.Id]);
            var e = GdVigEvaluation.Compute("validation", _o.Variant, _o.Model, preds);
            m["val_loss"] = preds.Average(p => -Math.Log(Math.Max(p.Probabilities[p.Study.Label], 1e-300)));
            m["val_accuracy"] = e.Accuracy;
            m["val_auc"] = e.Auc;
            m["val_gaze_cc"] = e.GazeCc;
            return m;
        }
    }
}
