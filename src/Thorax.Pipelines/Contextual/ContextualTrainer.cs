using Thorax.Training.Optim;
using System.Globalization;
using System.Text.Json.Nodes;
using Thorax.Data.Augmentation;
using Thorax.Data.Datasets;
using Thorax.Data.Reports;
using Thorax.Models.Contextual;
using Thorax.Models.Runtime;
using Thorax.Models.Weights;
using Thorax.Training;
using Thorax.Training.Loop;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Pipelines.Contextual;

/// <summary>Test-split Dice of a run, per report condition.</summary>
/// <param name="Dice">With the reports as written (empty reports for a model trained on empty reports).</param>
/// <param name="EmptyReportDice">Every report replaced by the empty string at test time (language models only).</param>
/// <param name="SwappedSideDice">Left/right words of every report swapped at test time, image unchanged (language models only).</param>
/// <param name="PerImage">Per-image Dice with the reports as written, test order.</param>
public sealed record ContextualTestScores(double Dice, double? EmptyReportDice, double? SwappedSideDice, IReadOnlyList<double> PerImage);

/// <summary>What a run produced.</summary>
public sealed record ContextualRunResult(string RunDirectory, EpochTrainerResult Fit, double ValidationDice, ContextualTestScores Test,
    int TrainStudies, int ValidationStudies, int TestStudies, long Parameters);

/// <summary>
/// Trains ConTEXTual Net or its U-Net baseline on one fold through the shared <see cref="EpochTrainer"/>: AdamW
/// (5e-5, weight decay 0.01), BCE with logits, best validation Dice (<see cref="ContextualDice"/>); the reference's
/// image augmentations, optional horizontal flip (with or without swapping the report's sides) and text augmentations;
/// the frozen encoder's outputs cached per distinct report. Writes the run folder: <c>model.safetensors</c>,
/// <c>config.json</c>, <c>history.csv</c>, <c>metrics.json</c>, <c>checkpoints/</c> (rerun to resume).
/// </summary>
public sealed class ContextualTrainer : LoopTrainer<ContextualOptions>
{
    /// <summary>Images per forward pass at evaluation.</summary>
    public const int EvalBatch = 8;

    /// <summary>Validates and keeps the options.</summary>
    public ContextualTrainer(ContextualOptions options) : base(options)
    {
    }

    /// <summary>Warnings (truncated reports).</summary>
    public event Action<string>? Warning;

    /// <summary>Trains on <paramref name="split"/>; <paramref name="text"/> is required for a language model.</summary>
    public ContextualRunResult Train(ContextualSplit split, ContextualText? text, string runDir, CancellationToken cancel = default)
    {
        var o = Options;
        if (o.Language && text is null) throw new ArgumentException("a language model needs the text encoder", nameof(text));
        if (o.EncoderDropout && text!.Encoder.Module is not Thorax.Text.Encoders.T5EncoderModel)
            throw new ArgumentException($"--encoder-dropout reproduces the reference's T5 left in train mode; the encoder '{text.Encoder.Name}' is not a T5 (pass --text-encoder with a T5 folder)");
        TorchRuntime.EnsureLoaded();
        Directory.CreateDirectory(runDir);
        var device = TorchRuntime.ParseDevice(o.Device);
        using var threads = DeterministicThreads.Enter(o.Deterministic);
        torch.manual_seed(o.Seed);
        using var net = new ContextualNet(new ContextualNetOptions
        {
            InChannels = 3, Widths = o.Widths, TextDim = text?.HiddenSizeOr(1024) ?? 1024, Language = o.Language, AttendToPadding = o.AttendToPadding,
        });
        net.MoveTo(device); // the seeded init on the CPU, moved before the optimiser takes the parameters
        Action<string> warn = m => Warning?.Invoke(m);
        if (text is not null)
        {
            text.Truncated += warn;
            text.ForeignText += warn;
            var reports = split.Train.Concat(split.Validation).Concat(split.Test).Select(s => s.Report).ToList();
            if (o.Flip == ContextualFlip.SwapSides || o.Language) reports.AddRange(reports.Select(ReportLaterality.FlipHorizontal).ToList());
            reports.Add(string.Empty);
            var longest = text.Precompute(reports);
            text.PadLength = o.AttendToPadding ? longest : 0;
        }
        try
        {
            using var optimizer = new SafeAdamW(net.parameters(), lr: o.LearningRate, weight_decay: o.WeightDecay);
            var method = new Method(o, net, optimizer, split, text,
                o.Fingerprint() + FormattableString.Invariant($";train={split.Train.Count};val={split.Validation.Count};text={text?.Encoder.Name}"));
            var loop = CreateLoop(new EpochTrainerOptions
            {
                Epochs = o.Epochs, TimeBudget = o.TimeBudget, EarlyStoppingPatience = o.EarlyStoppingPatience, Deterministic = o.Deterministic,
            });
            var fit = loop.Fit(method, runDir, cancel);

            var scores = Test(net, text, split.Test, o);
            var parameters = net.parameters().Sum(p => p.numel());
            RunFiles.Write(Path.Combine(runDir, ContextualModel.WeightsFile), tmp => SafeTensors.Save(tmp, net.state_dict(),
                new Dictionary<string, string> { ["architecture"] = o.Language ? "contextual-net" : "contextual-unet-baseline" }));
            var config = ContextualModel.Config(o, net.Options, text);
            config["data_train"] = split.Train.Count;
            RunConfig.Write(runDir, config);
            var valDice = fit.Best is { } b ? b.Metric("val_dice") : double.NaN;
            var metrics = new JsonObject
            {
                ["version"] = 1,
                ["model"] = o.Language ? "contextual" : "unet",
                ["seed"] = o.Seed,
                ["best_epoch"] = fit.BestEpoch,
                ["epochs_run"] = fit.History.Count,
                ["stop_reason"] = fit.StopReason.ToString().ToLowerInvariant(),
                ["stop_detail"] = fit.StopDetail,
                ["train_seconds"] = Math.Round(fit.TrainSeconds, 1),
                ["val_dice"] = Round(valDice),
                ["test_dice"] = Round(scores.Dice),
                ["test_dice_empty_report"] = scores.EmptyReportDice is { } e ? Round(e) : null,
                ["test_dice_swapped_side"] = scores.SwappedSideDice is { } w ? Round(w) : null,
                ["train_studies"] = split.Train.Count,
                ["validation_studies"] = split.Validation.Count,
                ["test_studies"] = split.Test.Count,
                ["parameters"] = parameters,
                ["reports_encoded"] = text?.Encoded,
                ["reports_cached"] = text?.Cached,
            };
            RunFiles.WriteJson(Path.Combine(runDir, "metrics.json"), metrics);
            OnFinished();
            return new ContextualRunResult(Path.GetFullPath(runDir), fit, valDice, scores, split.Train.Count, split.Validation.Count, split.Test.Count, parameters);
        }
        finally
        {
            if (text is not null)
            {
                text.Truncated -= warn;
                text.ForeignText -= warn;
            }
        }
    }

    private static JsonNode? Round(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;

    /// <summary>Test Dice with the reports as written, empty and side-swapped (the last two for language models).</summary>
    public static ContextualTestScores Test(ContextualNet net, ContextualText? text, IReadOnlyList<ContextualStudy> test, ContextualOptions o)
    {
        IReadOnlyList<string> Reports(Func<ContextualStudy, string> f) => test.Select(f).ToList();
        var asWritten = Reports(s => o.EmptyReports ? string.Empty : s.Report);
        var per = DicePerImage(net, text, test, asWritten);
        double? empty = null, swapped = null;
        if (net.UsesLanguage)
        {
            empty = DicePerImage(net, text, test, Reports(_ => string.Empty)).Average();
            swapped = o.EmptyReports ? empty : DicePerImage(net, text, test, Reports(s => ReportLaterality.FlipHorizontal(s.Report))).Average();
        }
        return new ContextualTestScores(per.Average(), empty, swapped, per);
    }

    /// <summary>Per-image Dice of <paramref name="studies"/> with the given reports.</summary>
    public static double[] DicePerImage(ContextualNet net, ContextualText? text, IReadOnlyList<ContextualStudy> studies, IReadOnlyList<string> reports)
    {
        var logits = Logits(net, text, studies.Select(s => s.Image).ToList(), reports, studies[0].Size);
        return studies.Select((s, i) => ContextualDice.Of(logits[i], s.Mask)).ToArray();
    }

    /// <summary>Logits (row-major S*S per image) in eval mode, computed on the network's device; restores the previous mode.</summary>
    public static float[][] Logits(ContextualNet net, ContextualText? text, IReadOnlyList<float[]> images, IReadOnlyList<string> reports, int size)
    {
        var wasTraining = net.training;
        net.eval();
        var result = new float[images.Count][];
        var device = Devices.DeviceOf(net);
        try
        {
            using var _ = no_grad();
            for (var i = 0; i < images.Count; i += EvalBatch)
            {
                using var quiet = TorchGc.Quiet(); // README "Engine": no collection during native calls
                using var scope = NewDisposeScope();
                var n = Math.Min(EvalBatch, images.Count - i);
                var x = Input(images.Skip(i).Take(n).ToList(), size).MoveTo(device);
                Tensor? h = null, m = null;
                if (net.UsesLanguage) (h, m) = text!.Batch(reports.Skip(i).Take(n).ToList());
                var y = net.Forward(x, h?.MoveTo(device), m?.MoveTo(device)).reshape(n, size * size).contiguous();
                var flat = y.OnCpu().data<float>().ToArray();
                for (var j = 0; j < n; j++) result[i + j] = flat.AsSpan(j * size * size, size * size).ToArray();
            }
        }
        finally
        {
            net.train(wasTraining);
        }
        return result;
    }

    /// <summary>The reference's input: the [0, 1] grey image scaled to 0-255 and replicated to 3 channels, (B, 3, S, S).</summary>
    public static Tensor Input(IReadOnlyList<float[]> images, int size)
    {
        var plane = size * size;
        var x = new float[images.Count * plane];
        for (var b = 0; b < images.Count; b++)
        {
            if (images[b].Length != plane) throw new ArgumentException($"image {b} has {images[b].Length} pixels, expected {size}x{size}");
            for (var k = 0; k < plane; k++) x[b * plane + k] = images[b][k] * 255f;
        }
        using var t = torch.tensor(x, new long[] { images.Count, 1, size, size });
        return t.repeat(1, 3, 1, 1);
    }

    private sealed class Method : TrainingMethod
    {
        private readonly ContextualOptions _o;
        private readonly ContextualNet _net;
        private readonly ContextualSplit _split;
        private readonly ContextualText? _text;
        private readonly SeededRandom _rng;
        private readonly SampleTransform? _augment;
        private readonly ReportAugmenter? _textAugment;
        private readonly int _steps;
        private int[] _perm = [];

        public Method(ContextualOptions o, ContextualNet net, optim.Optimizer optimizer, ContextualSplit split, ContextualText? text, string fingerprint)
        {
            _o = o;
            _net = net;
            _split = split;
            _text = text;
            _rng = new SeededRandom(o.Seed + 1);
            var steps = new List<SampleTransform>();
            if (o.Flip != ContextualFlip.None)
                steps.Add(new HorizontalFlip { Probability = 0.5, ReportPolicy = o.Flip == ContextualFlip.SwapSides ? FlipReportPolicy.SwapLaterality : FlipReportPolicy.Ignore });
            if (o.ImageAugmentation) steps.Add(AugmentationPresets.ContextualTrain(o.Size));
            _augment = steps.Count > 0 ? new Compose(steps.ToArray()) : null;
            if (o.TextAugmentation)
                _textAugment = new ReportAugmenter(new ReportAugmentationOptions
                {
                    ShuffleSentences = o.ShuffleSentences, SynonymProbability = o.SynonymProbability,
                    Synonyms = o.SynonymProbability > 0 ? (o.SynonymFile is null ? ContextualSynonyms.Default : SynonymTable.Read(o.SynonymFile)) : null,
                    LastReplacementOnly = o.SynonymLastReplacementOnly,
                });
            _steps = split.Train.Count / o.BatchSize; // full batches only (BatchNorm)
            if (_steps == 0) _steps = 1;
            Fingerprint = fingerprint;
            Components = new TrainingComponents { Model = net, Optimizer = optimizer, Randoms = new Dictionary<string, SeededRandom> { ["train"] = _rng } };
        }

        public override TrainingComponents Components { get; }
        public override string Fingerprint { get; }
        public override IReadOnlyList<string> MetricNames { get; } = ["val_loss", "val_dice"];
        public override string SelectionMetric => "val_dice";

        /// <summary>The reference saves on <c>avg_valid_dice &gt;= best</c>: a tie keeps the later epoch.</summary>
        public override SelectionTieRule SelectionTies => SelectionTieRule.Later;

        public override int BeginEpoch(int epoch)
        {
            _perm = _rng.Permutation(_split.Train.Count);
            return _steps;
        }

        public override Tensor ComputeLoss(int epoch, int step)
        {
            var n = Math.Min(_o.BatchSize, _split.Train.Count);
            var images = new List<float[]>(n);
            var masks = new float[n * _o.Size * _o.Size];
            var reports = new List<string>(n);
            var augmentedText = false;
            for (var j = 0; j < n; j++)
            {
                var s = _split.Train[_perm[(step * _o.BatchSize + j) % _perm.Length]];
                var random = new Random(unchecked((int)_rng.NextUInt64()));
                var sample = new Sample { Id = s.Id, Image = s.Image, Channels = 1, Height = s.Size, Width = s.Size, Masks = [s.Mask], Report = s.Report };
                if (_augment is not null) sample = _augment.Apply(sample, random);
                var report = sample.Report ?? string.Empty;
                if (_textAugment is not null)
                {
                    report = _textAugment.Apply(report, random);
                    augmentedText = true;
                }
                if (_o.EmptyReports) report = string.Empty;
                images.Add(sample.Image);
                var m = sample.Masks[0];
                for (var k = 0; k < m.Length; k++) masks[j * m.Length + k] = m[k];
                reports.Add(report);
            }
            var device = Devices.DeviceOf(_net);
            var x = Input(images, _o.Size).MoveTo(device);
            var y = torch.tensor(masks, new long[] { n, 1, _o.Size, _o.Size }).MoveTo(device);
            Tensor? h = null, mask = null;
            if (_net.UsesLanguage) (h, mask) = _text!.Batch(reports, cache: !augmentedText && !_o.EncoderDropout, encoderDropout: _o.EncoderDropout);
            return nn.functional.binary_cross_entropy_with_logits(_net.Forward(x, h?.MoveTo(device), mask?.MoveTo(device)), y);
        }

        public override IReadOnlyDictionary<string, double> Evaluate(int epoch)
        {
            var val = _split.Validation;
            var reports = val.Select(s => _o.EmptyReports ? string.Empty : s.Report).ToList();
            var logits = Logits(_net, _text, val.Select(s => s.Image).ToList(), reports, _o.Size);
            double loss = 0, dice = 0;
            long count = 0;
            for (var i = 0; i < val.Count; i++)
            {
                dice += ContextualDice.Of(logits[i], val[i].Mask);
                for (var k = 0; k < logits[i].Length; k++)
                {
                    double z = logits[i][k], t = val[i].Mask[k];
                    loss += Math.Max(z, 0) - z * t + Math.Log(1 + Math.Exp(-Math.Abs(z)));
                }
                count += logits[i].Length;
            }
            return new Dictionary<string, double> { ["val_loss"] = loss / count, ["val_dice"] = dice / val.Count };
        }
    }
}

internal static class ContextualTextExtensions
{
    public static long HiddenSizeOr(this ContextualText text, long fallback) => text.Encoder.HiddenSize > 0 ? text.Encoder.HiddenSize : fallback;
}
