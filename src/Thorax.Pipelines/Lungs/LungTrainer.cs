using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Thorax.Imaging;
using Thorax.Imaging.Ops;
using Thorax.Metrics;
using Thorax.Models.Segmentation;
using Thorax.Nn;
using Thorax.Nn;
using Thorax.Optim;
using Thorax.Training;

namespace Thorax.Pipelines.Lungs;

/// <summary>
/// Trains a U-Net lung segmenter on preprocessed pairs: seeded train/validation split, random shift-scale-rotate,
/// BCE + Dice loss, Adam, per-epoch validation Dice, best-epoch selection. Writes <c>model.safetensors</c>,
/// <c>config.json</c>, <c>metrics.json</c> and <c>history.csv</c> to the run folder (atomically).
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

    /// <summary>Reports each finished epoch.</summary>
    public event Action<EpochRecord>? EpochCompleted;

    /// <summary>Trains, evaluates the best epoch's weights on the validation split and writes the run folder.</summary>
    public (LungTrainingResult Result, Module<Tensor, Tensor> Model, IReadOnlyList<LungSample> Validation) Train(IReadOnlyList<LungSample> samples, string runDir,
        CancellationToken cancel = default)
    {
        var o = _options;
        if (samples.Count < 4) throw new ArgumentException($"need at least 4 image/mask pairs, got {samples.Count}");
        if (samples.Any(s => s.Size != o.Size)) throw new ArgumentException($"every sample must be {o.Size}x{o.Size}");
        Torch.Initialize();
        Torch.ManualSeed(o.Seed);
        var rng = new Random(o.Seed);
        var order = Enumerable.Range(0, samples.Count).OrderBy(_ => rng.Next()).ToArray();
        var nVal = Math.Max(1, (int)Math.Round(samples.Count * o.ValidationFraction));
        var val = order.Take(nVal).Select(i => samples[i]).ToList();
        var train = order.Skip(nVal).Select(i => samples[i]).ToList();

        var model = SegmentationModels.Create(o.Model, 1, 1, o.BaseChannels);
        using var optimizer = new Adam(model.Parameters(), new AdamOptions { Lr = o.LearningRate });
        var history = new List<EpochRecord>();
        var bestDice = double.NegativeInfinity;
        var bestEpoch = 0;
        Dictionary<string, float[]>? best = null;
        var clock = Stopwatch.StartNew();
        var stepsPerEpoch = (train.Count + o.BatchSize - 1) / o.BatchSize;
        for (var epoch = 1; epoch <= o.Epochs; epoch++)
        {
            cancel.ThrowIfCancellationRequested();
            var epochClock = Stopwatch.StartNew();
            model.Train();
            var perm = Enumerable.Range(0, train.Count).OrderBy(_ => rng.Next()).ToArray();
            double lossSum = 0;
            for (var s = 0; s < stepsPerEpoch; s++)
            {
                var idx = perm.Skip(s * o.BatchSize).Take(o.BatchSize).ToArray();
                using var scope = Torch.NewScope();
                var (x, y) = Batch(idx.Select(i => Augment(train[i], rng)).ToList());
                var loss = SegmentationLoss.BceDice(model.Forward(x), y);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                var l = loss.Item();
                if (!double.IsFinite(l)) throw new TorchException("train", $"loss became {l} at epoch {epoch}, step {s + 1}; lower the learning rate");
                lossSum += l;
                StepCompleted?.Invoke(epoch, s + 1, stepsPerEpoch, lossSum / (s + 1));
            }
            var (valLoss, scores) = Evaluate(model, val);
            var dice = scores.Average(v => v.Dice);
            var rec = new EpochRecord(epoch, lossSum / stepsPerEpoch, valLoss, dice, o.LearningRate, epochClock.Elapsed.TotalSeconds);
            history.Add(rec);
            EpochCompleted?.Invoke(rec);
            if (dice > bestDice)
            {
                bestDice = dice;
                bestEpoch = epoch;
                best = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.DType == DType.Float32 ? kv.Value.ToArray<float>() : Array.Empty<float>());
            }
            if (clock.Elapsed >= o.TimeBudget || epoch - bestEpoch >= o.EarlyStoppingPatience) break;
        }
        var trainSeconds = clock.Elapsed.TotalSeconds;
        if (best != null) Restore(model, best);
        var (_, finalScores) = Evaluate(model, val);
        var result = new LungTrainingResult(runDir, history, bestEpoch, finalScores, train.Count, trainSeconds);
        WriteRun(runDir, model, result);
        return (result, model, val);
    }

    private static void Restore(Module<Tensor, Tensor> model, Dictionary<string, float[]> best)
    {
        using var _ = Torch.NoGrad();
        foreach (var (name, t) in model.StateDict())
        {
            if (t.DType != DType.Float32) continue;
            using var src = Torch.FromArray(best[name], t.Shape);
            t.Copy_(src);
        }
    }

    private LungSample Augment(LungSample s, Random rng)
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
        return (Torch.FromArray(x, batch.Count, 1, size, size), Torch.FromArray(y, batch.Count, 1, size, size));
    }

    /// <summary>Predicted binary masks (logit &gt; 0) for the samples, in order.</summary>
    public static List<byte[]> Predict(Module<Tensor, Tensor> model, IReadOnlyList<LungSample> samples, int batchSize = 16)
    {
        model.Eval();
        var outs = new List<byte[]>();
        using var inference = Torch.InferenceMode();
        for (var i = 0; i < samples.Count; i += batchSize)
        {
            using var scope = Torch.NewScope();
            var chunk = samples.Skip(i).Take(batchSize).ToList();
            var (x, _) = Batch(chunk);
            var pred = model.Forward(x).Gt(0).To(DType.UInt8).ToArray<byte>();
            var plane = chunk[0].Size * chunk[0].Size;
            for (var b = 0; b < chunk.Count; b++) outs.Add(pred.AsSpan(b * plane, plane).ToArray());
        }
        return outs;
    }

    public static (double Loss, List<LungImageScore> Scores) Evaluate(Module<Tensor, Tensor> model, IReadOnlyList<LungSample> val)
    {
        model.Eval();
        double loss = 0;
        var scores = new List<LungImageScore>();
        using (var inference = Torch.InferenceMode())
        {
            for (var i = 0; i < val.Count; i += 16)
            {
                using var scope = Torch.NewScope();
                var chunk = val.Skip(i).Take(16).ToList();
                var (x, y) = Batch(chunk);
                var logits = model.Forward(x);
                loss += SegmentationLoss.BceDice(logits, y).Item() * chunk.Count;
                var pred = logits.Gt(0).To(DType.UInt8).ToArray<byte>();
                var plane = chunk[0].Size * chunk[0].Size;
                for (var b = 0; b < chunk.Count; b++)
                {
                    var c = PixelCounts.Count(pred.AsSpan(b * plane, plane), chunk[b].Mask);
                    scores.Add(new LungImageScore(chunk[b].Id, chunk[b].Source, SegmentationMetrics.Dice(c), SegmentationMetrics.IoU(c),
                        SegmentationMetrics.Recall(c), SegmentationMetrics.Precision(c)));
                }
            }
        }
        model.Train();
        return (loss / val.Count, scores);
    }

    private void WriteRun(string dir, Module<Tensor, Tensor> model, LungTrainingResult r)
    {
        Directory.CreateDirectory(dir);
        var sd = model.StateDict();
        RunFiles.Write(Path.Combine(dir, "model.safetensors"), tmp => SafeTensors.Save(tmp, sd,
            new Dictionary<string, string> { ["architecture"] = _options.Model, ["base_channels"] = _options.BaseChannels.ToString(CultureInfo.InvariantCulture), ["size"] = _options.Size.ToString(CultureInfo.InvariantCulture) }));
        var json = new JsonSerializerOptions { WriteIndented = true };
        RunFiles.WriteText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(new
        {
            model = _options.Model, in_channels = 1, classes = 1, base_channels = _options.BaseChannels, size = _options.Size, epochs = _options.Epochs,
            batch = _options.BatchSize, lr = _options.LearningRate, seed = _options.Seed, validation_fraction = _options.ValidationFraction,
            augment_probability = _options.AugmentProbability, loss = "bce+dice", optimizer = "adam", preprocessing = "clahe(2.0, 8x8), resize",
        }, json));
        RunFiles.WriteText(Path.Combine(dir, "metrics.json"), JsonSerializer.Serialize(new
        {
            best_epoch = r.BestEpoch, epochs_run = r.History.Count, train_images = r.TrainCount, validation_images = r.Validation.Count,
            train_seconds = Math.Round(r.TrainSeconds, 1), dice = r.MeanDice, iou = r.MeanIoU, recall = r.MeanRecall, precision = r.MeanPrecision,
            per_image = r.Validation,
        }, json));
        RunFiles.WriteText(Path.Combine(dir, "history.csv"),
            EpochRecord.CsvHeader + "\n" + string.Join("\n", r.History.Select(h => h.ToCsv())) + "\n");
    }
}
