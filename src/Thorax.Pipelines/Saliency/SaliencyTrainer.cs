using Thorax.Training.Optim;
using System.Globalization;
using System.Text.Json.Nodes;
using Thorax.Metrics;
using Thorax.Models.Encoders;
using Thorax.Models.Runtime;
using Thorax.Models.Saliency;
using Thorax.Models.Weights;
using Thorax.Training;
using Thorax.Training.Loop;
using Thorax.Training.Schedulers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Pipelines.Saliency;

/// <summary>What one stage of a run did.</summary>
/// <param name="Stage">The stage.</param>
/// <param name="Fit">The loop's result (null when the stage was already finished and skipped).</param>
/// <param name="BestEpoch">Best epoch (by validation loss).</param>
/// <param name="Best">That epoch's validation metrics.</param>
/// <param name="InitializedFrom">The previous stage whose weights it started from, or null (fresh initialisation).</param>
/// <param name="Seconds">Training seconds of the stage.</param>
public sealed record SaliencyStageResult(SaliencyStage Stage, EpochTrainerResult? Fit, int BestEpoch, IReadOnlyDictionary<string, double> Best,
    SaliencyStage? InitializedFrom, double Seconds);

/// <summary>
/// Trains the joint diagnosis + gaze saliency networks through the reference's stages (seed-specs 2.1) on the shared
/// <see cref="EpochTrainer"/>, one run folder per stage (<c>RUN/stage1-contrastive/</c> ... <c>RUN/stage4-joint/</c>:
/// checkpoints, <c>history.csv</c>, <c>model.safetensors</c> of the best epoch, <c>stage.json</c> when finished). Each
/// stage starts from the newest earlier finished stage of the run (the reference chains them by hard-coded paths), is
/// resumable (a rerun continues an unfinished stage from its last epoch and skips finished ones) and selectable
/// (<see cref="SaliencyTrainingOptions.Stages"/>). The last stage's weights become <c>RUN/model.safetensors</c>, with
/// <c>RUN/config.json</c> (network, geometry, data, settings).
/// </summary>
/// <remarks>
/// As the reference: Adam (lr 1e-4), ReduceLROnPlateau (min, factor 0.1, patience 40, eps 0) on the mean validation
/// loss over batches, best epoch = lowest validation loss, the best weights reloaded when the learning rate drops,
/// early stopping after 83 epochs without improvement, no augmentation; the train loader shuffles in stages 1-3 and not
/// in the joint stage (its <c>shuffle=False</c> [QUIRK]); in stage 3 the frozen DenseNet stays in train mode (its
/// BatchNorm statistics move, as <c>net.train()</c> does in the reference). Differences: no AMP on CPU; initialisation
/// is torchvision's (no ImageNet DenseNet weights are available offline); the stage-1 distance is the flattened one by
/// default (<see cref="TripletDistance"/>).
/// </remarks>
public sealed class SaliencyTrainer
{
    private readonly SaliencyTrainingOptions _o;

    /// <summary>Creates the trainer (options validated).</summary>
    public SaliencyTrainer(SaliencyTrainingOptions options)
    {
        options.Validate();
        _o = options;
    }

    /// <summary>(stage, epoch, step, steps, running loss) after every step.</summary>
    public event Action<SaliencyStage, int, int, int, double>? StepCompleted;

    /// <summary>(stage, finished epoch).</summary>
    public event Action<SaliencyStage, EpochResult>? EpochCompleted;

    /// <summary>(stage, message): starting, resuming, skipping, initialisation source.</summary>
    public event Action<SaliencyStage, string>? StageMessage;

    /// <summary>Runs the selected stages into <paramref name="runDir"/>.</summary>
    /// <exception cref="InvalidDataException">The folder holds a run of another network or geometry.</exception>
    public IReadOnlyList<SaliencyStageResult> Train(SaliencyStudies data, string runDir, CancellationToken cancel = default)
    {
        var train = data.Split("train");
        var val = data.Split("validation");
        if (train.Count < 2) throw new ArgumentException($"{data.Root}: the train split has {train.Count} studies; need at least 2");
        if (val.Count == 0) throw new ArgumentException($"{data.Root}: the validation split is empty");
        TorchRuntime.EnsureLoaded();
        Directory.CreateDirectory(runDir);
        RunFiles.DeleteStaleTemporaries(runDir);
        CheckOrWriteConfig(data, runDir);
        using var threads = DeterministicThreads.Enter(_o.Deterministic);
        var results = new List<SaliencyStageResult>();
        var stages = _o.EffectiveStages;
        // Each stage gets the time left times its share of the stages still to run: a stage that ends early (stage 2's
        // 10 epochs, early stopping) leaves its time to the later ones.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var budgets = new SaliencyBudget(_o.TimeBudget, stages.Select(SaliencyTrainingOptions.StageShare).ToList(), () => clock.Elapsed);
        foreach (var stage in stages)
        {
            cancel.ThrowIfCancellationRequested();
            var dir = Path.Combine(runDir, SaliencyTrainingOptions.StageFolder(stage));
            var done = Path.Combine(dir, "stage.json");
            if (File.Exists(done))
            {
                var j = JsonNode.Parse(File.ReadAllText(done))!;
                budgets.Skip();
                StageMessage?.Invoke(stage, $"already finished (best epoch {j["best_epoch"]}); skipped");
                results.Add(new SaliencyStageResult(stage, null, j["best_epoch"]!.GetValue<int>(),
                    j["best"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>()), ParseStage(j["initialized_from"]), j["seconds"]!.GetValue<double>()));
                continue;
            }
            var budget = budgets.Next();
            StageMessage?.Invoke(stage, FormattableString.Invariant($"time budget {budget.TotalMinutes:F1} min"));
            results.Add(RunStage(stage, train, val, data.Geometry, runDir, dir, budget, cancel));
        }
        var last = Path.Combine(runDir, SaliencyTrainingOptions.StageFolder(stages[^1]), "model.safetensors");
        RunFiles.Write(Path.Combine(runDir, "model.safetensors"), tmp => File.Copy(last, tmp, true));
        return results;
    }

    private static SaliencyStage? ParseStage(JsonNode? n) => n is null ? null : Enum.Parse<SaliencyStage>(n.GetValue<string>(), true);

    private void CheckOrWriteConfig(SaliencyStudies data, string runDir) => RunConfig.WriteOrCheck(runDir, () =>
    {
        var img = XrayImage.ReadUnit(data.Studies[0].ImagePath, SaliencyPredictor.DicomReading);
        return new JsonObject
        {
            ["method"] = "cxrgazelearn-joint-diagnosis-saliency",
            ["network"] = _o.Network.ToJson(),
            ["geometry"] = data.Geometry.ToJson(),
            ["image_width"] = img.Width,
            ["image_height"] = img.Height,
            ["classes"] = new JsonArray(SaliencyPredictor.ClassNames.Select(n => (JsonNode)n).ToArray()),
            ["data"] = data.Root,
            ["gaze"] = data.GazeNote,
            ["epochs"] = new JsonArray(_o.Epochs.Select(n => (JsonNode)n).ToArray()),
            ["batch"] = new JsonArray(_o.Batch.Select(n => (JsonNode)n).ToArray()),
            ["lr"] = _o.LearningRate,
            ["plateau_patience"] = _o.PlateauPatience,
            ["early_stopping"] = _o.EarlyStopping,
            ["triplet_distance"] = _o.Triplet.ToString().ToLowerInvariant(),
            ["precise_batchnorm"] = _o.PreciseBatchNorm,
            ["memory_efficient"] = _o.MemoryEfficient,
            ["init_from"] = _o.InitFrom is null ? null : Path.GetFullPath(_o.InitFrom),
            ["seed"] = _o.Seed,
            ["selection"] = "val_loss (min), as the reference",
        };
    }, (c, path) =>
    {
        // A run folder holds one network and geometry: refuse to resume it with others.
        var spec = SaliencyModelSpec.FromJson(c?["network"], path);
        var geo = SaliencyGeometry.FromJson(c?["geometry"], path);
        if (!spec.SameAs(_o.Network))
            throw new InvalidDataException($"{path}: this run folder holds {spec}, not {_o.Network}; train into a new folder");
        if (geo.CanvasHeight != data.Geometry.CanvasHeight || geo.CanvasWidth != data.Geometry.CanvasWidth || geo.Stride != data.Geometry.Stride)
            throw new InvalidDataException($"{path}: this run was trained at canvas {geo.CanvasWidth}x{geo.CanvasHeight} stride {geo.Stride}, the data now gives {data.Geometry.CanvasWidth}x{data.Geometry.CanvasHeight} stride {data.Geometry.Stride}");
    });

    private SaliencyStageResult RunStage(SaliencyStage stage, IReadOnlyList<SaliencyStudy> train, IReadOnlyList<SaliencyStudy> val, SaliencyGeometry geometry,
        string runDir, string dir, TimeSpan budget, CancellationToken cancel)
    {
        torch.manual_seed(_o.Seed + (int)stage);
        using var net = _o.Network.Build();
        var device = TorchRuntime.ParseDevice(_o.Device);
        if (_o.MemoryEfficient && SaliencyModelSpec.DenseNetOf(net) is { } dn) dn.MemoryEfficient = true;
        SaliencyStage? from = null;
        for (var s = stage - 1; s >= SaliencyStage.Contrastive; s--)
        {
            var m = Path.Combine(runDir, SaliencyTrainingOptions.StageFolder(s), "model.safetensors");
            if (File.Exists(Path.Combine(runDir, SaliencyTrainingOptions.StageFolder(s), "stage.json")) && File.Exists(m))
            {
                _o.Network.LoadWeights(net, m);
                from = s;
                break;
            }
        }
        string? fromRun = null;
        if (from is null && _o.InitFrom is not null)
        {
            fromRun = InitDenseNetFrom(net, _o.InitFrom);
            StageMessage?.Invoke(stage, $"starts with the DenseNet of the classifier run {fromRun} (the rest freshly initialised)");
        }
        else StageMessage?.Invoke(stage, from is null ? "starts from a fresh initialisation" : $"starts from stage {(int)from} ({from.Value.ToString().ToLowerInvariant()})");
        net.MoveTo(device); // built and loaded on the CPU, moved before the stage's optimiser takes its parameters
        var method = new StageMethod(stage, _o, net, train, val, geometry, Path.Combine(dir, "checkpoints", EpochTrainer.BestWeightsFile),
            FormattableString.Invariant($"saliency;{stage};{_o.Network};{geometry.CanvasHeight}x{geometry.CanvasWidth}/{geometry.Stride};batch={_o.Batch[(int)stage - 1]};lr={_o.LearningRate};triplet={_o.Triplet};seed={_o.Seed};train={train.Count};val={val.Count};from={from}{(fromRun is null ? "" : ";init=" + fromRun)}{(_o.PreciseBatchNorm && stage == SaliencyStage.Contrastive ? ";precisebn" : "")}"))
        {
            Message = m => StageMessage?.Invoke(stage, m),
        };
        try
        {
            var loop = new EpochTrainer(new EpochTrainerOptions
            {
                Epochs = _o.Epochs[(int)stage - 1], TimeBudget = budget, EarlyStoppingPatience = _o.EarlyStopping, Deterministic = _o.Deterministic,
            });
            loop.StepCompleted += (e, s, n, l) => StepCompleted?.Invoke(stage, e, s, n, l);
            loop.EpochCompleted += e => EpochCompleted?.Invoke(stage, e);
            loop.Resumed += e => StageMessage?.Invoke(stage, $"resumed after epoch {e}");
            var fit = loop.Fit(method, dir, cancel);
            RunFiles.Write(Path.Combine(dir, "model.safetensors"), tmp => SafeTensors.Save(tmp, net.state_dict(),
                new Dictionary<string, string> { ["architecture"] = _o.Network.Architecture, ["stage"] = stage.ToString().ToLowerInvariant() }));
            var best = fit.Best?.Metrics ?? fit.History[^1].Metrics;
            var j = new JsonObject
            {
                ["stage"] = stage.ToString().ToLowerInvariant(), ["best_epoch"] = fit.BestEpoch, ["epochs_run"] = fit.History.Count,
                ["stop_reason"] = fit.StopReason.ToString().ToLowerInvariant(), ["stop_detail"] = fit.StopDetail, ["seconds"] = Math.Round(fit.TrainSeconds, 1),
                ["initialized_from"] = from?.ToString().ToLowerInvariant(),
                ["init_from_run"] = fromRun,
                ["best"] = new JsonObject(best.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)(double.IsFinite(kv.Value) ? kv.Value : -1)))),
            };
            RunFiles.WriteJson(Path.Combine(dir, "stage.json"), j);
            return new SaliencyStageResult(stage, fit, fit.BestEpoch, best, from, fit.TrainSeconds);
        }
        finally
        {
            method.Dispose();
        }
    }

    /// <summary>
    /// Loads the DenseNet of a finished classifier run (<c>RUN/model.safetensors</c>, or a stage folder's) into a dual
    /// network's DenseNet, strictly (every <c>model.*</c> key; the classifier network's keys are exactly those).
    /// </summary>
    /// <returns>The weight file used.</returns>
    /// <exception cref="InvalidDataException">Not a finished classifier run, or of other DenseNet widths.</exception>
    public static string InitDenseNetFrom(nn.Module dual, string classifierRun)
    {
        var dense = SaliencyModelSpec.DenseNetOf(dual) ?? throw new ArgumentException("--init-from needs a dual network");
        var file = Directory.Exists(classifierRun) ? Path.Combine(classifierRun, "model.safetensors") : classifierRun;
        if (!File.Exists(file)) throw new FileNotFoundException($"{file}: --init-from needs a finished classifier run (its model.safetensors)", file);
        var (tensors, meta) = SafeTensors.LoadWithMetadata(file);
        try
        {
            if (meta.TryGetValue("architecture", out var arch) && arch != "densenet-classifier")
                throw new InvalidDataException($"{file}: --init-from needs a checkpoint of 'densenet-classifier', this one is of '{arch}'");
            var sub = tensors.WithPrefixRemoved("model.");
            try
            {
                if (sub.Count != tensors.Count) throw new InvalidDataException($"{file}: keys outside 'model.' ({string.Join(", ", tensors.Keys.Where(k => !k.StartsWith("model.", StringComparison.Ordinal)).Take(5))}); not a classifier run's weights");
                StateDicts.Load(dense, sub, strict: true, source: file);
            }
            catch (StateDictException e)
            {
                throw new InvalidDataException($"{file} does not fit this run's DenseNet: {e.Message}", e);
            }
            finally
            {
                sub.DisposeAll();
            }
        }
        finally
        {
            tensors.DisposeAll();
        }
        return Path.GetFullPath(file);
    }

    /// <summary>Stacks studies into (x [B,1,H,W], labels [B] int64, target Q [B,1,H,W] normalised to sum 1 per image), on
    /// <paramref name="device"/> (default CPU).</summary>
    public static (Tensor X, Tensor Labels, Tensor Target) Batch(IReadOnlyList<SaliencyStudy> b, SaliencyGeometry g, Device? device = null)
    {
        int h = g.OutputHeight, w = g.OutputWidth, plane = h * w;
        var x = new float[b.Count * plane];
        var q = new float[b.Count * plane];
        for (var i = 0; i < b.Count; i++)
        {
            b[i].Image.CopyTo(x, i * plane);
            b[i].Gaze.CopyTo(q, i * plane);
        }
        var xs = torch.tensor(x, new long[] { b.Count, 1, h, w }).MoveTo(device);
        var gaze = torch.tensor(q, new long[] { b.Count, 1, h, w }).MoveTo(device);
        var target = UncertaintyWeightedLoss.NormalizeGaze(gaze);
        gaze.Dispose();
        return (xs, torch.tensor(b.Select(s => (long)s.Label).ToArray()).MoveTo(device), target);
    }

    /// <summary>
    /// The stage-1 loss of one batch (seed-specs 2.3): for every anchor i, every positive j ≠ i of its label and every
    /// negative k of another label, <c>TripletMarginLoss(margin 1, p 2)</c>; the sum over all triplets. Distances are
    /// <c>pairwise_distance</c>'s ||a − b + 1e-6||₂, over the flattened embedding or (reference) along the last axis
    /// with the loss averaged over the other axes.
    /// </summary>
    /// <param name="features">[B, C, h, w] (denseblock4 output).</param>
    /// <param name="labels">Class per image.</param>
    /// <param name="mode">Distance.</param>
    /// <returns>The summed loss (a 0-d tensor with a graph; zero times the features when the batch has no triplet) and the number of triplets.</returns>
    public static (Tensor Loss, int Triplets) TripletLoss(Tensor features, IReadOnlyList<int> labels, TripletDistance mode)
    {
        const double eps = 1e-6;
        var b = (int)features.shape[0];
        if (labels.Count != b) throw new ArgumentException($"{labels.Count} labels for a batch of {b}");
        var ap = new List<long>();
        var an = new List<long>();
        for (var i = 0; i < b; i++)
            for (var j = 0; j < b; j++)
            {
                if (j == i || labels[j] != labels[i]) continue;
                for (var k = 0; k < b; k++)
                {
                    if (labels[k] == labels[i]) continue;
                    ap.Add(i * b + j);
                    an.Add(i * b + k);
                }
            }
        using var scope = NewDisposeScope();
        if (ap.Count == 0) return ((features.sum() * 0).MoveToOuterDisposeScope(), 0);
        var iap = torch.tensor(ap.ToArray()).MoveTo(features.device);
        var ian = torch.tensor(an.ToArray()).MoveTo(features.device);
        Tensor loss;
        if (mode is TripletDistance.Flattened or TripletDistance.Normalized)
        {
            var f = features.flatten(1);                       // [B, F]
            if (mode == TripletDistance.Normalized) f = f / f.pow(2).sum(1, keepdim: true).clamp_min(1e-24).sqrt();
            var d = PairDistances(f, eps);                      // [B, B]
            var flat = d.flatten();
            loss = functional.relu(flat.index_select(0, iap) - flat.index_select(0, ian) + 1.0).sum();
        }
        else
        {
            var w = features.shape[^1];
            var rows = features.reshape(b, -1, w);              // [B, R, w]
            var n = rows.pow(2).sum(-1);                        // [B, R]
            var s = rows.sum(-1);                               // [B, R]
            var g = torch.einsum("irw,jrw->ijr", rows, rows);   // [B, B, R]
            var d2 = n.unsqueeze(1) + n.unsqueeze(0) - 2 * g + 2 * eps * (s.unsqueeze(1) - s.unsqueeze(0)) + w * eps * eps;
            var d = d2.clamp_min(0).sqrt().reshape(b * b, -1);  // [B*B, R]
            loss = functional.relu(d.index_select(0, iap) - d.index_select(0, ian) + 1.0).mean([-1L]).sum();
        }
        return (loss.MoveToOuterDisposeScope(), ap.Count);
    }

    /// <summary>
    /// Stage-1 diagnostics of a batch of denseblock4 maps (no gradient): the sums and counts of the flattened L2 distances
    /// between images of the same class (i ≠ j) and of different classes, whatever distance the loss uses.
    /// </summary>
    public static (double SumPos, int Pos, double SumNeg, int Neg) PairStatistics(Tensor features, IReadOnlyList<int> labels)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var d = PairDistances(features.detach().flatten(1).to_type(ScalarType.Float64), 0).OnCpu().data<double>().ToArray();
        var b = labels.Count;
        double sp = 0, sn = 0;
        int nPos = 0, nNeg = 0;
        for (var i = 0; i < b; i++)
            for (var j = 0; j < b; j++)
            {
                if (i == j) continue;
                if (labels[i] == labels[j]) { sp += d[i * b + j]; nPos++; }
                else { sn += d[i * b + j]; nNeg++; }
            }
        return (sp, nPos, sn, nNeg);
    }

    /// <summary>
    /// "Precise BatchNorm": resets the running statistics of every BatchNorm of <paramref name="dense"/> and recomputes
    /// them as the plain average over <paramref name="batches"/> (momentum None, train mode, no gradient), so eval mode
    /// normalises with the statistics of the current weights rather than a lagging exponential average. The momenta and
    /// the module's mode are restored.
    /// </summary>
    /// <param name="dense">The DenseNet.</param>
    /// <param name="batches">Network inputs [B, 1, H, W] (each disposed by the caller).</param>
    public static void RecomputeBatchNormStatistics(DenseNet dense, IEnumerable<Tensor> batches)
    {
        var bns = dense.modules().OfType<BatchNorm>().ToList();
        var momenta = bns.Select(b => b.momentum).ToList();
        var wasTraining = dense.training;
        try
        {
            foreach (var b in bns)
            {
                b.reset_running_stats();
                b.momentum = null;
            }
            dense.train();
            using var _ = no_grad();
            foreach (var x in batches)
            {
                using var scope = NewDisposeScope();
                dense.ForwardWithCapture(x.repeat(1, 3, 1, 1)).Dispose();
            }
        }
        finally
        {
            for (var i = 0; i < bns.Count; i++) bns[i].momentum = momenta[i];
            dense.train(wasTraining);
        }
    }

    /// <summary>Leave-one-out nearest-neighbour accuracy of flattened embeddings [N, F] (flattened L2): how much class
    /// information the stage-1 embedding carries; NaN with fewer than 2 rows.</summary>
    public static double NearestNeighbourAccuracy(Tensor embeddings, IReadOnlyList<int> labels)
    {
        var n = (int)embeddings.shape[0];
        if (n < 2) return double.NaN;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var d = PairDistances(embeddings.flatten(1).to_type(ScalarType.Float64), 0).OnCpu().data<double>().ToArray();
        var right = 0;
        for (var i = 0; i < n; i++)
        {
            var best = -1;
            for (var j = 0; j < n; j++)
                if (j != i && (best < 0 || d[i * n + j] < d[i * n + best])) best = j;
            if (labels[best] == labels[i]) right++;
        }
        return (double)right / n;
    }

    // ||a_i − a_j + eps·1||₂ for all pairs, from the Gram matrix: ||a−b||² + 2·eps·Σ(a−b) + F·eps².
    private static Tensor PairDistances(Tensor f, double eps)
    {
        var n = f.pow(2).sum(1);
        var s = f.sum(1);
        var g = f.matmul(f.t());
        var d2 = n.unsqueeze(1) + n.unsqueeze(0) - 2 * g + 2 * eps * (s.unsqueeze(1) - s.unsqueeze(0)) + f.shape[1] * eps * eps;
        return d2.clamp_min(0).sqrt();
    }

    /// <summary>One stage as a <see cref="TrainingMethod"/>.</summary>
    private sealed class StageMethod : TrainingMethod, IDisposable
    {
        private readonly SaliencyStage _stage;
        private readonly Module<Tensor, (Tensor ClassLogits, Tensor SaliencyLogits)> _net;
        private readonly IGazeMultiTaskNet? _mt;
        private readonly DenseNet? _dense;
        private readonly List<SaliencyStudy> _train;
        private readonly List<SaliencyStudy> _val;
        private readonly SaliencyGeometry _g;
        private readonly Device _device;
        private readonly SaliencyTrainingOptions _o;
        private readonly int _batch;
        private readonly SeededRandom _rng;
        private readonly optim.Optimizer _optimizer;
        private readonly string _bestPath;
        private int[] _perm = [];
        private double? _lastLr;

        /// <summary>Told when the best weights are reloaded after a learning-rate drop.</summary>
        public Action<string>? Message { get; init; }
        private (double SumPos, int Pos, double SumNeg, int Neg) _trainPairs;

        public StageMethod(SaliencyStage stage, SaliencyTrainingOptions o, Module<Tensor, (Tensor, Tensor)> net, IReadOnlyList<SaliencyStudy> train,
            IReadOnlyList<SaliencyStudy> val, SaliencyGeometry g, string bestPath, string fingerprint)
        {
            _stage = stage;
            _o = o;
            _net = net;
            _mt = net as IGazeMultiTaskNet;
            _dense = SaliencyModelSpec.DenseNetOf(net);
            _train = train.ToList();
            _val = val.ToList();
            _g = g;
            _device = Devices.DeviceOf(net);
            _batch = o.Batch[(int)stage - 1];
            _rng = new SeededRandom(o.Seed * 31 + (int)stage);
            _bestPath = bestPath;
            Fingerprint = fingerprint;
            // What each stage trains (the reference's optimiser holds every parameter; only these receive gradients).
            IEnumerable<Parameter> trained;
            switch (stage)
            {
                case SaliencyStage.Contrastive:
                    trained = Dense.named_parameters().Where(p => p.name.StartsWith("features.", StringComparison.Ordinal)).Select(p => p.parameter);
                    break;
                case SaliencyStage.Classifier:
                    trained = Dense.parameters();
                    break;
                case SaliencyStage.Saliency:
                    // The dual network's DenseNet is frozen; the saliency-only U-Net has none.
                    var frozenParams = _dense?.parameters().ToList() ?? [];
                    foreach (var p in frozenParams) p.requires_grad = false;
                    var frozen = frozenParams.Select(p => p.Handle).ToHashSet();
                    trained = net.named_parameters().Where(p => p.name != "lg_sigma_class" && !frozen.Contains(p.parameter.Handle)).Select(p => p.parameter);
                    break;
                default:
                    trained = net.parameters();
                    break;
            }
            _optimizer = new SafeAdam(trained.ToList(), lr: o.LearningRate);
            var plateau = new ReduceLROnPlateau(_optimizer, PlateauMode.Min, factor: 0.1, patience: o.PlateauPatience, eps: 0);
            Components = new TrainingComponents
            {
                Model = net, Optimizer = _optimizer, PlateauScheduler = plateau, Randoms = new Dictionary<string, SeededRandom> { ["shuffle"] = _rng },
            };
            MetricNames = stage switch
            {
                SaliencyStage.Contrastive => ["val_loss", "val_d_pos", "val_d_neg", "val_nn_acc", "train_d_pos", "train_d_neg"],
                SaliencyStage.Classifier => ["val_loss", "val_acc", "val_auc_macro"],
                SaliencyStage.Saliency => ["val_loss", "val_cc"],
                _ => ["val_loss", "val_ce", "val_kl", "val_acc", "val_auc_macro", "val_cc"],
            };
        }

        private DenseNet Dense => _dense ?? throw new InvalidOperationException($"stage {_stage} needs the DenseNet of the dual or classifier network");

        private IGazeMultiTaskNet Mt => _mt ?? throw new InvalidOperationException($"stage {_stage} needs a multi-task network");

        public override TrainingComponents Components { get; }
        public override string Fingerprint { get; }
        public override IReadOnlyList<string> MetricNames { get; }
        public override string SelectionMetric => "val_loss";
        public override MetricGoal SelectionGoal => MetricGoal.Minimize;
        public override string? PlateauMetric => "val_loss";

        // The rate at the previous epoch's start decides whether this epoch reloads the best weights, so a resumed
        // run must see the same value (a drop at the epoch the checkpoint was written was missed before).
        public override JsonNode? CaptureState() => _lastLr is { } lr ? new JsonObject { ["last_lr"] = lr } : null;

        public override void RestoreState(JsonNode state)
        {
            if (state is not JsonObject o || o["last_lr"] is not JsonValue v || !v.TryGetValue<double>(out var lr) || !(lr > 0))
                throw new InvalidDataException($"stage {_stage} checkpoint: method state needs a positive 'last_lr', got {state.ToJsonString()}");
            _lastLr = lr;
        }

        public override int BeginEpoch(int epoch)
        {
            var lr = _optimizer.ParamGroups.First().LearningRate;
            if (_lastLr is { } last && lr < last && File.Exists(_bestPath))
            {
                StateDicts.LoadFile(_net, _bestPath, strict: true); // the reference reloads the best network when the LR drops
                Message?.Invoke(FormattableString.Invariant($"epoch {epoch}: the learning rate fell from {last:G3} to {lr:G3}; the best weights ({EpochTrainer.BestWeightsFile}) reloaded"));
            }
            _lastLr = lr;
            _trainPairs = default;
            // Stages 1-3 shuffle; the joint stage's loader has shuffle=False in the reference.
            _perm = _stage == SaliencyStage.Joint ? Enumerable.Range(0, _train.Count).ToArray() : _rng.Permutation(_train.Count);
            return (_train.Count + _batch - 1) / _batch;
        }

        public override Tensor ComputeLoss(int epoch, int step)
        {
            var items = _perm.Skip(step * _batch).Take(_batch).Select(i => _train[i]).ToList();
            var (x, y, q) = Batch(items, _g, _device);
            return _stage switch
            {
                SaliencyStage.Contrastive => Triplets(x, items),
                SaliencyStage.Classifier => functional.cross_entropy(Dense.call(x.repeat(1, 3, 1, 1)), y),
                SaliencyStage.Saliency => UncertaintyWeightedLoss.KLDivBatchMean(SaliencyLayers.LogSoftmaxOverPixels(_net.call(x).SaliencyLogits), q),
                _ => Joint(x, y, q).Sum,
            };
        }

        private Tensor Triplets(Tensor x, IReadOnlyList<SaliencyStudy> items, List<Tensor>? embeddings = null)
        {
            using var capture = Dense.ForwardWithCapture(x.repeat(1, 3, 1, 1));
            var labels = items.Select(s => s.Label).ToList();
            var (loss, _) = TripletLoss(capture.DenseBlock4, labels, _o.Triplet);
            if (embeddings is not null) embeddings.Add(capture.DenseBlock4.detach().flatten(1).to_type(ScalarType.Float64).DetachFromDisposeScope());
            else
            {
                // Training batches (BatchNorm in train mode): the diagnostics' train-side distances.
                var (sp, nPos, sn, nNeg) = PairStatistics(capture.DenseBlock4, labels);
                _trainPairs = (_trainPairs.SumPos + sp, _trainPairs.Pos + nPos, _trainPairs.SumNeg + sn, _trainPairs.Neg + nNeg);
            }
            return loss;
        }

        private MultiTaskLoss Joint(Tensor x, Tensor y, Tensor q)
        {
            var (logits, sal) = _net.call(x);
            return UncertaintyWeightedLoss.Compute(logits, SaliencyLayers.LogSoftmaxOverPixels(sal), y, q, Mt.LgSigmaClass);
        }

        public override IReadOnlyDictionary<string, double> Evaluate(int epoch)
        {
            if (_stage == SaliencyStage.Contrastive && _o.PreciseBatchNorm)
                RecomputeBatchNormStatistics(Dense, TrainInputs());
            _net.eval();
            try
            {
                using var _ = no_grad();
                var batchLoss = new List<double>();
                var ce = new List<double>();
                var kl = new List<double>();
                var probs = new List<double>();
                var cc = new List<double>();
                double tripletSum = 0;
                var embeddings = new List<Tensor>();
                for (var start = 0; start < _val.Count; start += _batch)
                {
                    using var scope = NewDisposeScope();
                    var items = _val.Skip(start).Take(_batch).ToList();
                    var (x, y, q) = Batch(items, _g, _device);
                    switch (_stage)
                    {
                        case SaliencyStage.Contrastive:
                            tripletSum += Triplets(x, items, embeddings).item<float>();
                            break;
                        case SaliencyStage.Classifier:
                        {
                            var logits = Dense.call(x.repeat(1, 3, 1, 1));
                            batchLoss.Add(functional.cross_entropy(logits, y).item<float>());
                            probs.AddRange(logits.softmax(1).to_type(ScalarType.Float64).OnCpu().data<double>().ToArray());
                            break;
                        }
                        case SaliencyStage.Saliency:
                        {
                            var logp = SaliencyLayers.LogSoftmaxOverPixels(_net.call(x).SaliencyLogits);
                            batchLoss.Add(UncertaintyWeightedLoss.KLDivBatchMean(logp, q).item<float>());
                            AddCc(cc, logp, q);
                            break;
                        }
                        default:
                        {
                            var (logits, sal) = _net.call(x);
                            var logp = SaliencyLayers.LogSoftmaxOverPixels(sal);
                            using var l = UncertaintyWeightedLoss.Compute(logits, logp, y, q, Mt.LgSigmaClass);
                            batchLoss.Add(l.Sum.item<float>());
                            ce.Add(l.ClassRaw.item<float>());
                            kl.Add(l.ImageRaw.item<float>());
                            probs.AddRange(logits.softmax(1).to_type(ScalarType.Float64).OnCpu().data<double>().ToArray());
                            AddCc(cc, logp, q);
                            break;
                        }
                    }
                }
                var labels = _val.Select(s => s.Label).ToArray();
                var m = new Dictionary<string, double>(StringComparer.Ordinal);
                if (_stage == SaliencyStage.Contrastive)
                {
                    m["val_loss"] = tripletSum / _val.Count; // the reference: summed triplet losses / samples
                    // Diagnostics (flattened L2 whatever the loss's distance): mean same-class and other-class distances
                    // over the whole validation split (BatchNorm in eval mode) and over this epoch's training batches
                    // (train mode), and the leave-one-out 1-NN accuracy of the validation embeddings.
                    using var all = cat(embeddings, 0);
                    foreach (var e in embeddings) e.Dispose();
                    var (sp, nPos, sn, nNeg) = PairStatistics(all, labels);
                    m["val_d_pos"] = nPos == 0 ? double.NaN : sp / nPos;
                    m["val_d_neg"] = nNeg == 0 ? double.NaN : sn / nNeg;
                    m["val_nn_acc"] = NearestNeighbourAccuracy(all, labels);
                    m["train_d_pos"] = _trainPairs.Pos == 0 ? double.NaN : _trainPairs.SumPos / _trainPairs.Pos;
                    m["train_d_neg"] = _trainPairs.Neg == 0 ? double.NaN : _trainPairs.SumNeg / _trainPairs.Neg;
                }
                else m["val_loss"] = batchLoss.Average();
                if (_stage is SaliencyStage.Classifier or SaliencyStage.Joint)
                {
                    m["val_acc"] = Accuracy(probs, labels);
                    m["val_auc_macro"] = MacroAuc(probs, labels);
                }
                if (_stage is SaliencyStage.Saliency or SaliencyStage.Joint) m["val_cc"] = cc.Count == 0 ? double.NaN : cc.Average();
                if (_stage == SaliencyStage.Joint)
                {
                    m["val_ce"] = ce.Average();
                    m["val_kl"] = kl.Average();
                }
                return m;
            }
            finally
            {
                _net.train();
            }
        }

        private IEnumerable<Tensor> TrainInputs()
        {
            for (var start = 0; start < _train.Count; start += _batch)
            {
                var (x, y, q) = Batch(_train.Skip(start).Take(_batch).ToList(), _g, _device);
                y.Dispose();
                q.Dispose();
                try { yield return x; }
                finally { x.Dispose(); }
            }
        }

        private static void AddCc(List<double> cc, Tensor logp, Tensor q)
        {
            var p = logp.exp().flatten(1).OnCpu().data<float>().ToArray();
            var t = q.flatten(1).OnCpu().data<float>().ToArray();
            var n = (int)logp.shape[0];
            var plane = p.Length / n;
            for (var i = 0; i < n; i++)
                cc.Add(SaliencyMetrics.CorrelationCoefficient(p.AsSpan(i * plane, plane), t.AsSpan(i * plane, plane)));
        }

        public void Dispose() => _optimizer.Dispose();
    }

    /// <summary>Accuracy of the arg-max of row-major n x 3 probabilities.</summary>
    public static double Accuracy(IReadOnlyList<double> probs, IReadOnlyList<int> labels)
    {
        var k = probs.Count / labels.Count;
        var right = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            var best = 0;
            for (var c = 1; c < k; c++) if (probs[i * k + c] > probs[i * k + best]) best = c;
            if (best == labels[i]) right++;
        }
        return (double)right / labels.Count;
    }

    /// <summary>Mean of the one-vs-rest ROC AUCs (NaN when a class is absent from <paramref name="labels"/>).</summary>
    public static double MacroAuc(IReadOnlyList<double> probs, IReadOnlyList<int> labels)
    {
        var k = probs.Count / labels.Count;
        for (var c = 0; c < k; c++) if (!labels.Contains(c) || labels.All(l => l == c)) return double.NaN;
        return RankingMetrics.RocAucMulticlass(probs.ToArray(), labels.ToArray(), k, AverageMethod.Macro);
    }

    internal static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
}
