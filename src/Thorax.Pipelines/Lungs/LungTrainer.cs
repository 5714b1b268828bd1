using Thorax.Training.Optim;
using System.Globalization;
using System.Text.Json;
using Thorax.Imaging;
using Thorax.Imaging.Ops;
using Thorax.Metrics;
using Thorax.Models.Segmentation;
using Thorax.Models.Runtime;
using Thorax.Models.Weights;
using Thorax.Training;
using Thorax.Training.Loop;
using Thorax.Training.Schedulers;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Pipelines.Lungs;

/// <summary>
/// Trains a U-Net lung segmenter on preprocessed pairs: seeded train/validation split, random shift-scale-rotate,
/// BCE + Dice loss, Adam, per-epoch validation Dice, best-epoch selection, early stopping. Writes <c>model.safetensors</c>,
/// <c>config.json</c>, <c>metrics.json</c> and <c>history.csv</c> to the run folder (atomically), and a checkpoint per
/// epoch under <c>checkpoints/</c>: a rerun into the same folder resumes where a killed run stopped.
/// </summary>
public sealed class LungTrainer : LoopTrainer<LungTrainingOptions, EpochRecord>
{
    /// <summary>Creates the trainer; the options are validated here.</summary>
    public LungTrainer(LungTrainingOptions options) : base(options)
    {
    }

    /// <summary>Trains, evaluates the best epoch's weights on the validation split and writes the run folder.</summary>
    public (LungTrainingResult Result, nn.Module<Tensor, Tensor> Model, IReadOnlyList<LungSample> Validation) Train(IReadOnlyList<LungSample> samples, string runDir,
        CancellationToken cancel = default)
    {
        var o = Options;
        if (samples.Count < 4) throw new ArgumentException($"need at least 4 image/mask pairs, got {samples.Count}");
        if (samples.Any(s => s.Size != o.Size)) throw new ArgumentException($"every sample must be {o.Size}x{o.Size}");
        TorchRuntime.EnsureLoaded();
        using var threads = DeterministicThreads.Enter(o.Deterministic); // this thread's intra-op pool; restored on return
        return TrainCore(samples, runDir, cancel);
    }

    private (LungTrainingResult Result, nn.Module<Tensor, Tensor> Model, IReadOnlyList<LungSample> Validation) TrainCore(IReadOnlyList<LungSample> samples, string runDir,
        CancellationToken cancel)
    {
        var o = Options;
        torch.manual_seed(o.Seed);
        // The split depends on the seed only; shuffling and augmentation draw from a generator whose state is checkpointed.
        var (train, val) = Split(samples, o.Seed, o.ValidationFraction);
        var device = TorchRuntime.ParseDevice(o.Device);
        var model = SegmentationModels.Create(o.Model, 1, 1, o.BaseChannels, o.EffectiveBatchNormMomentum);
        try
        {
            model.to(device);
            using var optimizer = new SafeAdam(model.parameters(), lr: o.LearningRate);
            var method = new LungMethod(this, model, optimizer, train, val, device, o.Fingerprint() + FormattableString.Invariant($";pairs={samples.Count}"));
            var loop = CreateLoop(new EpochTrainerOptions
            {
                Epochs = o.Epochs, TimeBudget = o.TimeBudget, EarlyStoppingPatience = o.EarlyStoppingPatience, Deterministic = o.Deterministic, KeepCheckpoints = 2,
            });
            var fit = loop.Fit(method, runDir, cancel);
            var (_, finalScores) = Evaluate(model, val, device);
            var result = new LungTrainingResult(runDir, fit.History.Select(ToRecord).ToList(), fit.BestEpoch, finalScores, train.Count, fit.TrainSeconds);
            WriteRun(runDir, model, result);
            OnFinished();
            return (result, model, val);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    protected override EpochRecord ToEpoch(EpochResult epoch) => ToRecord(epoch);

    private static EpochRecord ToRecord(EpochResult e) =>
        new(e.Epoch, e.TrainLoss, e.Metric("val_loss"), e.Metric("val_dice"), e.LearningRate, e.Seconds);

    /// <summary>The lung segmenter as a <see cref="TrainingMethod"/>: shuffled augmented batches, BCE + Dice, Adam,
    /// validation loss and mean Dice, ReduceLROnPlateau on the validation loss, best epoch by Dice.</summary>
    private sealed class LungMethod : TrainingMethod
    {
        private readonly LungTrainer _owner;
        private readonly nn.Module<Tensor, Tensor> _model;
        private readonly List<LungSample> _train;
        private readonly List<LungSample> _val;
        private readonly Device _device;
        private readonly SeededRandom _rng;
        private readonly int _stepsPerEpoch;
        private int[] _perm = [];

        public LungMethod(LungTrainer owner, nn.Module<Tensor, Tensor> model, torch.optim.Optimizer optimizer, List<LungSample> train,
            List<LungSample> val, Device device, string fingerprint)
        {
            var o = owner.Options;
            _owner = owner;
            _model = model;
            _train = train;
            _val = val;
            _device = device;
            _rng = new SeededRandom(o.Seed + 1);
            _stepsPerEpoch = (train.Count + o.BatchSize - 1) / o.BatchSize;
            Fingerprint = fingerprint;
            // CXLSeg: Keras ReduceLROnPlateau(factor 0.1, min_lr 1e-7) on the validation loss.
            var plateau = o.PlateauPatience > 0 ? new ReduceLROnPlateau(optimizer, PlateauMode.Min, factor: 0.1, patience: o.PlateauPatience, minLr: 1e-7) : null;
            Components = new TrainingComponents
            {
                Model = model, Optimizer = optimizer, PlateauScheduler = plateau, Randoms = new Dictionary<string, SeededRandom> { ["train"] = _rng },
            };
        }

        public override TrainingComponents Components { get; }
        public override string Fingerprint { get; }
        public override IReadOnlyList<string> MetricNames { get; } = ["val_loss", "val_dice"];
        public override string SelectionMetric => "val_dice";
        public override string? PlateauMetric => "val_loss";

        public override int BeginEpoch(int epoch)
        {
            _perm = _rng.Permutation(_train.Count);
            return _stepsPerEpoch;
        }

        public override Tensor ComputeLoss(int epoch, int step)
        {
            var batch = _owner.Options.BatchSize;
            var idx = _perm.Skip(step * batch).Take(batch).ToArray();
            var (x, y) = Batch(idx.Select(i => _owner.Augment(_train[i], _rng)).ToList());
            if (_device.type != DeviceType.CPU) (x, y) = (x.to(_device), y.to(_device));
            return SegmentationLoss.BceDice(_model.forward(x), y);
        }

        public override IReadOnlyDictionary<string, double> Evaluate(int epoch)
        {
            var (valLoss, scores) = LungTrainer.Evaluate(_model, _val, _device);
            return new Dictionary<string, double> { ["val_loss"] = valLoss, ["val_dice"] = scores.Average(v => v.Dice) };
        }
    }

    /// <summary>
    /// The trainer's train/validation split of <paramref name="samples"/> (in their load order): a permutation seeded by
    /// <paramref name="seed"/>, the first round(n * fraction) (at least one) for validation. <c>lungs eval --split
    /// validation</c> uses it to score a run on exactly the images it was selected on.
    /// </summary>
    public static (List<LungSample> Train, List<LungSample> Validation) Split(IReadOnlyList<LungSample> samples, int seed, double validationFraction)
    {
        var order = new SeededRandom(seed).Permutation(samples.Count);
        var nVal = Math.Max(1, (int)Math.Round(samples.Count * validationFraction));
        return (order.Skip(nVal).Select(i => samples[i]).ToList(), order.Take(nVal).Select(i => samples[i]).ToList());
    }

    private LungSample Augment(LungSample s, SeededRandom rng)
    {
        if (rng.NextDouble() >= Options.AugmentProbability) return s;
        var size = s.Size;
        var t = AffineTransform.ShiftScaleRotate(size, size, rng.NextDouble() * 20 - 10, 0.9 + rng.NextDouble() * 0.2,
            (rng.NextDouble() * 2 - 1) * 0.06, (rng.NextDouble() * 2 - 1) * 0.06);
        var (img, mask) = Warp.AffinePair(new Image<float>(size, size, 1, s.Image), new Image<byte>(size, size, 1, s.Mask), t, BorderMode.Reflect101);
        return s with { Image = img.Data, Mask = mask.Data };
    }

    /// <summary>Stacks samples into (N, 1, S, S) float32 image and mask tensors.</summary>
    public static (Tensor Images, Tensor Masks) Batch(IReadOnlyList<LungSample> batch)
    {
        var size = batch[0].Size;
        var plane = size * size;
        var x = new float[batch.Count * plane];
        var y = new float[batch.Count * plane];
        for (var b = 0; b < batch.Count; b++)
        {
            batch[b].Image.CopyTo(x, b * plane);
            var m = batch[b].Mask;
            for (var i = 0; i < plane; i++) y[b * plane + i] = m[i];
        }
        return (torch.tensor(x, new long[] { batch.Count, 1, size, size }), torch.tensor(y, new long[] { batch.Count, 1, size, size }));
    }

    /// <summary>Predicted binary masks (logit &gt; 0) for the samples, in order.</summary>
    /// <param name="model">The network, already on <paramref name="device"/> in <paramref name="precision"/>.</param>
    /// <param name="samples">Preprocessed samples.</param>
    /// <param name="batchSize">Samples per forward pass.</param>
    /// <param name="device">Where the network lives (default CPU).</param>
    /// <param name="precision">The network's floating-point type (float32 or bfloat16).</param>
    public static List<byte[]> Predict(nn.Module<Tensor, Tensor> model, IReadOnlyList<LungSample> samples, int batchSize = 16,
        Device? device = null, ScalarType precision = ScalarType.Float32)
    {
        model.eval();
        var outs = new List<byte[]>();
        using var inference = torch.inference_mode();
        for (var i = 0; i < samples.Count; i += batchSize)
        {
            using var quiet = TorchGc.Quiet(); // README "Engine": no collection during native calls
            using var scope = torch.NewDisposeScope();
            var chunk = samples.Skip(i).Take(batchSize).ToList();
            var (x, _) = Batch(chunk);
            if (device is not null && device.type != DeviceType.CPU) x = x.to(device);
            if (precision != ScalarType.Float32) x = x.to(precision);
            var pred = model.forward(x).gt(0).to(ScalarType.Byte).cpu().data<byte>().ToArray();
            var plane = chunk[0].Size * chunk[0].Size;
            for (var b = 0; b < chunk.Count; b++) outs.Add(pred.AsSpan(b * plane, plane).ToArray());
        }
        return outs;
    }

    /// <summary>Mean BCE + Dice loss and per-image scores of <paramref name="model"/> on <paramref name="val"/>.</summary>
    /// <param name="model">The network, on <paramref name="device"/> in <paramref name="precision"/>.</param>
    /// <param name="val">Preprocessed samples with masks.</param>
    /// <param name="device">Where the network lives (default CPU).</param>
    /// <param name="precision">The network's floating-point type; the loss is computed in float32 either way.</param>
    public static (double Loss, List<LungImageScore> Scores) Evaluate(nn.Module<Tensor, Tensor> model, IReadOnlyList<LungSample> val,
        Device? device = null, ScalarType precision = ScalarType.Float32)
    {
        var wasTraining = model.training;
        model.eval();
        double loss = 0;
        var scores = new List<LungImageScore>();
        using (var inference = torch.inference_mode())
        {
            for (var i = 0; i < val.Count; i += 16)
            {
                using var quiet = TorchGc.Quiet(); // README "Engine": no collection during native calls
                using var scope = torch.NewDisposeScope();
                var chunk = val.Skip(i).Take(16).ToList();
                var (x, y) = Batch(chunk);
                if (device is not null && device.type != DeviceType.CPU) x = x.to(device);
                if (precision != ScalarType.Float32) x = x.to(precision);
                var logits = model.forward(x).to(ScalarType.Float32).cpu();
                loss += SegmentationLoss.BceDice(logits, y).item<float>() * chunk.Count;
                var pred = logits.gt(0).to(ScalarType.Byte).data<byte>().ToArray();
                var plane = chunk[0].Size * chunk[0].Size;
                for (var b = 0; b < chunk.Count; b++)
                {
                    var c = PixelCounts.Count(pred.AsSpan(b * plane, plane), chunk[b].Mask);
                    scores.Add(new LungImageScore(chunk[b].Id, chunk[b].Source, SegmentationMetrics.Dice(c), SegmentationMetrics.IoU(c),
                        SegmentationMetrics.Recall(c), SegmentationMetrics.Precision(c)));
                }
            }
        }
        if (wasTraining) model.train();
        return (loss / val.Count, scores);
    }

    private void WriteRun(string dir, nn.Module<Tensor, Tensor> model, LungTrainingResult r)
    {
        Directory.CreateDirectory(dir);
        RunFiles.Write(Path.Combine(dir, "model.safetensors"), tmp => SafeTensors.Save(tmp, model.state_dict(),
            new Dictionary<string, string> { ["architecture"] = Options.Model, ["base_channels"] = Options.BaseChannels.ToString(CultureInfo.InvariantCulture), ["size"] = Options.Size.ToString(CultureInfo.InvariantCulture) }));
        var json = new JsonSerializerOptions { WriteIndented = true };
        RunConfig.Write(dir, JsonSerializer.SerializeToNode(new
        {
            model = Options.Model, in_channels = 1, classes = 1, base_channels = Options.BaseChannels, size = Options.Size, epochs = Options.Epochs,
            batch = Options.BatchSize, lr = Options.LearningRate, seed = Options.Seed, validation_fraction = Options.ValidationFraction,
            augment_probability = Options.AugmentProbability, batch_norm_momentum = Options.EffectiveBatchNormMomentum, loss = "bce+dice", optimizer = "adam",
            lr_schedule = Options.PlateauPatience > 0 ? $"reduce-on-plateau(val loss, factor 0.1, patience {Options.PlateauPatience}, min 1e-7)" : "constant",
            preprocessing = "clahe(2.0, 8x8), resize",
        })!.AsObject());
        RunFiles.WriteText(Path.Combine(dir, "metrics.json"), JsonSerializer.Serialize(new
        {
            best_epoch = r.BestEpoch, epochs_run = r.History.Count, train_images = r.TrainCount, validation_images = r.Validation.Count,
            parameters = model.parameters().Sum(p => p.numel()), val_loss = r.BestValLoss,
            train_seconds = Math.Round(r.TrainSeconds, 1), dice = r.MeanDice, iou = r.MeanIoU, recall = r.MeanRecall, precision = r.MeanPrecision,
            per_image = r.Validation,
        }, json));
        RunFiles.WriteText(Path.Combine(dir, "curves.svg"), LungReport.CurvesSvg(r.History));
    }
}
