using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Thorax.Imaging;
using Thorax.Imaging.Ops;
using Thorax.Metrics;
using Thorax.Models.Segmentation;
using Thorax.Models.Runtime;
using Thorax.Models.Weights;
using Thorax.Training;
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
public sealed class LungTrainer
{
    private readonly LungTrainingOptions _options;

    public LungTrainer(LungTrainingOptions options)
    {
        options.Validate();
        _options = options;
    }

    /// <summary>Reports (epoch, step within epoch, steps per epoch, running loss) while training.</summary>
    public event Action<int, int, int, double>? StepCompleted;

    /// <summary>Reports that training resumed after the given finished epoch (from RUN/checkpoints).</summary>
    public event Action<int>? Resumed;

    /// <summary>Reports each finished epoch.</summary>
    public event Action<EpochRecord>? EpochCompleted;

    /// <summary>Reports that training ended (budget, epochs or early stopping) and the run folder is written.</summary>
    public event Action? Finished;

    /// <summary>Trains, evaluates the best epoch's weights on the validation split and writes the run folder.</summary>
    public (LungTrainingResult Result, nn.Module<Tensor, Tensor> Model, IReadOnlyList<LungSample> Validation) Train(IReadOnlyList<LungSample> samples, string runDir,
        CancellationToken cancel = default)
    {
        var o = _options;
        if (samples.Count < 4) throw new ArgumentException($"need at least 4 image/mask pairs, got {samples.Count}");
        if (samples.Any(s => s.Size != o.Size)) throw new ArgumentException($"every sample must be {o.Size}x{o.Size}");
        TorchRuntime.EnsureLoaded();
        var threads = torch.get_num_threads();
        if (o.Deterministic) torch.set_num_threads(1); // this thread's intra-op pool; restored below
        try
        {
            return TrainCore(samples, runDir, cancel);
        }
        finally
        {
            if (o.Deterministic) torch.set_num_threads(threads);
        }
    }

    private (LungTrainingResult Result, nn.Module<Tensor, Tensor> Model, IReadOnlyList<LungSample> Validation) TrainCore(IReadOnlyList<LungSample> samples, string runDir,
        CancellationToken cancel)
    {
        var o = _options;
        torch.manual_seed(o.Seed);
        // The split depends on the seed only; shuffling and augmentation draw from a generator whose state is checkpointed.
        var (train, val) = Split(samples, o.Seed, o.ValidationFraction);
        var rng = new SeededRandom(o.Seed + 1);

        var device = TorchRuntime.ParseDevice(o.Device);
        var model = SegmentationModels.Create(o.Model, 1, 1, o.BaseChannels, o.EffectiveBatchNormMomentum);
        model.to(device);
        using var optimizer = torch.optim.Adam(model.parameters(), lr: o.LearningRate);
        // CXLSeg: Keras ReduceLROnPlateau(factor 0.1, min_lr 1e-7) on the validation loss.
        var plateau = o.PlateauPatience > 0 ? new ReduceLROnPlateau(optimizer, PlateauMode.Min, factor: 0.1, patience: o.PlateauPatience, minLr: 1e-7) : null;
        var fingerprint = o.Fingerprint() + FormattableString.Invariant($";pairs={samples.Count}");
        var history = new List<EpochRecord>();
        var bestDice = double.NegativeInfinity;
        var bestEpoch = 0;
        var components = new TrainingComponents
        {
            Model = model, Optimizer = optimizer, PlateauScheduler = plateau, Randoms = new Dictionary<string, SeededRandom> { ["train"] = rng },
        };
        var checkpoints = new CheckpointDirectory(Path.Combine(runDir, "checkpoints"), keepLast: 2);
        var bestPath = Path.Combine(runDir, "checkpoints", "best.safetensors");
        var firstEpoch = 1;
        var clock = Stopwatch.StartNew();
        var previousSeconds = 0.0;
        using (var resume = checkpoints.LoadLatest())
        {
            if (resume != null)
            {
                // A killed run continues from its last finished epoch, with the same weights, optimiser and random state.
                var u = resume.User;
                var stored = u["fingerprint"]?.GetValue<string>();
                if (stored != fingerprint)
                {
                    model.Dispose();
                    throw new InvalidDataException($"{checkpoints.Path}: these checkpoints were made with other settings " +
                        $"({stored ?? "unknown"}) than this run ({fingerprint}); train into a new --out folder or delete the old one");
                }
                resume.Restore(components);
                firstEpoch = resume.Epoch + 1;
                bestDice = u["best_dice"]!.GetValue<double>();
                bestEpoch = u["best_epoch"]!.GetValue<int>();
                previousSeconds = u["seconds"]!.GetValue<double>();
                history.AddRange(JsonSerializer.Deserialize<List<EpochRecord>>(u["history"]!.ToJsonString())!);
                Resumed?.Invoke(resume.Epoch);
            }
        }
        var stepsPerEpoch = (train.Count + o.BatchSize - 1) / o.BatchSize;
        var stop = history.Count > 0 && (previousSeconds >= o.TimeBudget.TotalSeconds || history[^1].Epoch - bestEpoch >= o.EarlyStoppingPatience);
        for (var epoch = firstEpoch; epoch <= o.Epochs && !stop; epoch++)
        {
            cancel.ThrowIfCancellationRequested();
            var epochClock = Stopwatch.StartNew();
            model.train();
            var perm = rng.Permutation(train.Count);
            double lossSum = 0;
            for (var s = 0; s < stepsPerEpoch; s++)
            {
                var idx = perm.Skip(s * o.BatchSize).Take(o.BatchSize).ToArray();
                using var scope = torch.NewDisposeScope();
                var (x, y) = Batch(idx.Select(i => Augment(train[i], rng)).ToList());
                if (device.type != DeviceType.CPU) (x, y) = (x.to(device), y.to(device));
                var loss = SegmentationLoss.BceDice(model.forward(x), y);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                var l = loss.item<float>();
                if (!double.IsFinite(l)) throw new InvalidOperationException($"loss became {l} at epoch {epoch}, step {s + 1}; lower the learning rate");
                lossSum += l;
                StepCompleted?.Invoke(epoch, s + 1, stepsPerEpoch, lossSum / (s + 1));
            }
            var (valLoss, scores) = Evaluate(model, val, device);
            var dice = scores.Average(v => v.Dice);
            var lr = optimizer.ParamGroups.First().LearningRate;
            plateau?.Step(valLoss);
            var rec = new EpochRecord(epoch, lossSum / stepsPerEpoch, valLoss, dice, lr, epochClock.Elapsed.TotalSeconds);
            history.Add(rec);
            EpochCompleted?.Invoke(rec);
            if (dice > bestDice)
            {
                bestDice = dice;
                bestEpoch = epoch;
                RunFiles.Write(bestPath, tmp => SafeTensors.Save(tmp, model.state_dict()));
            }
            var seconds = previousSeconds + clock.Elapsed.TotalSeconds;
            var user = new System.Text.Json.Nodes.JsonObject
            {
                ["fingerprint"] = fingerprint, ["best_dice"] = bestDice, ["best_epoch"] = bestEpoch, ["seconds"] = seconds,
                ["history"] = System.Text.Json.Nodes.JsonNode.Parse(JsonSerializer.Serialize(history)),
            };
            using (var ckpt = TrainingCheckpoint.Capture(components, epoch, (long)epoch * stepsPerEpoch, user)) checkpoints.Save(ckpt);
            if (seconds >= o.TimeBudget.TotalSeconds || epoch - bestEpoch >= o.EarlyStoppingPatience) stop = true;
        }
        var trainSeconds = previousSeconds + clock.Elapsed.TotalSeconds;
        if (File.Exists(bestPath))
        {
            StateDicts.LoadFile(model, bestPath, strict: true);
        }
        var (_, finalScores) = Evaluate(model, val, device);
        var result = new LungTrainingResult(runDir, history, bestEpoch, finalScores, train.Count, trainSeconds);
        WriteRun(runDir, model, result);
        Finished?.Invoke();
        return (result, model, val);
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
        if (rng.NextDouble() >= _options.AugmentProbability) return s;
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
            new Dictionary<string, string> { ["architecture"] = _options.Model, ["base_channels"] = _options.BaseChannels.ToString(CultureInfo.InvariantCulture), ["size"] = _options.Size.ToString(CultureInfo.InvariantCulture) }));
        var json = new JsonSerializerOptions { WriteIndented = true };
        RunFiles.WriteText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(new
        {
            model = _options.Model, in_channels = 1, classes = 1, base_channels = _options.BaseChannels, size = _options.Size, epochs = _options.Epochs,
            batch = _options.BatchSize, lr = _options.LearningRate, seed = _options.Seed, validation_fraction = _options.ValidationFraction,
            augment_probability = _options.AugmentProbability, batch_norm_momentum = _options.EffectiveBatchNormMomentum, loss = "bce+dice", optimizer = "adam",
            lr_schedule = _options.PlateauPatience > 0 ? $"reduce-on-plateau(val loss, factor 0.1, patience {_options.PlateauPatience}, min 1e-7)" : "constant",
            preprocessing = "clahe(2.0, 8x8), resize",
        }, json));
        RunFiles.WriteText(Path.Combine(dir, "metrics.json"), JsonSerializer.Serialize(new
        {
            best_epoch = r.BestEpoch, epochs_run = r.History.Count, train_images = r.TrainCount, validation_images = r.Validation.Count,
            parameters = model.parameters().Sum(p => p.numel()), val_loss = r.BestValLoss,
            train_seconds = Math.Round(r.TrainSeconds, 1), dice = r.MeanDice, iou = r.MeanIoU, recall = r.MeanRecall, precision = r.MeanPrecision,
            per_image = r.Validation,
        }, json));
        RunFiles.WriteText(Path.Combine(dir, "history.csv"),
            EpochRecord.CsvHeader + "\n" + string.Join("\n", r.History.Select(h => h.ToCsv())) + "\n");
        RunFiles.WriteText(Path.Combine(dir, "curves.svg"), LungReport.CurvesSvg(r.History));
    }
}
