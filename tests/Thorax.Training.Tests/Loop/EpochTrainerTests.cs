using System.Text.Json.Nodes;
using Thorax.Training.Loop;
using Thorax.Training.Schedulers;
using TorchSharp.Modules;

namespace Thorax.Training.Tests.Loop;

/// <summary>
/// Linear regression y = X·w + b on 64 fixed samples (48 train, 16 validation), Adam, ReduceLROnPlateau on the
/// validation loss, shuffling and label noise from a checkpointed SeededRandom. <c>score</c> is a scripted metric per
/// epoch (so tests choose which epoch is best); <c>val_loss</c> is the real validation MSE.
/// </summary>
internal sealed class RegressionMethod : TrainingMethod, IDisposable
{
    public const int BatchSize = 8;
    private readonly Linear _model;
    private readonly Adam _optimizer;
    private readonly SeededRandom _rng;
    private readonly Tensor _xTrain, _yTrain, _xVal, _yVal;
    private readonly Func<int, double> _score;
    private int[] _perm = [];

    public RegressionMethod(Func<int, double>? score = null, string fingerprint = "regression;lr=0.05", long initSeed = 7)
    {
        torch.manual_seed(initSeed);
        _model = torch.nn.Linear(3, 1);
        _optimizer = new Thorax.Training.Optim.SafeAdam(_model.parameters(), lr: 0.05);
        _rng = new SeededRandom(11);
        using var g = new Generator(2026);
        var x = torch.randn(new long[] { 64, 3 }, generator: g);
        var y = x.matmul(torch.tensor(new float[] { 1.5f, -2f, 0.5f }).unsqueeze(1)) + 0.25f + 0.05f * torch.randn(new long[] { 64, 1 }, generator: g);
        _xTrain = x.narrow(0, 0, 48).DetachFromDisposeScope();
        _yTrain = y.narrow(0, 0, 48).DetachFromDisposeScope();
        _xVal = x.narrow(0, 48, 16).DetachFromDisposeScope();
        _yVal = y.narrow(0, 48, 16).DetachFromDisposeScope();
        _score = score ?? (e => e);
        Fingerprint = fingerprint;
        Components = new TrainingComponents
        {
            Model = _model, Optimizer = _optimizer,
            PlateauScheduler = new ReduceLROnPlateau(_optimizer, PlateauMode.Min, factor: 0.5, patience: 0),
            Randoms = new Dictionary<string, SeededRandom> { ["shuffle"] = _rng },
        };
    }

    public Linear Model => _model;

    /// <summary>The model's weights right after each epoch's validation, by epoch.</summary>
    public Dictionary<int, float[]> WeightsAfter { get; } = new();

    public Action<int, int>? OnStep { get; set; }

    public override TrainingComponents Components { get; }
    public override string Fingerprint { get; }
    public override IReadOnlyList<string> MetricNames { get; } = ["val_loss", "score"];
    public override string SelectionMetric => SelectOn;
    public string SelectOn { get; set; } = "score";
    public override MetricGoal SelectionGoal => Goal;
    public MetricGoal Goal { get; set; } = MetricGoal.Maximize;
    public override SelectionTieRule SelectionTies => Ties;
    public SelectionTieRule Ties { get; set; } = SelectionTieRule.Earlier;
    public override string? PlateauMetric => "val_loss";

    public override int BeginEpoch(int epoch)
    {
        _perm = _rng.Permutation(48);
        return 48 / BatchSize;
    }

    public override Tensor ComputeLoss(int epoch, int step)
    {
        OnStep?.Invoke(epoch, step);
        var idx = torch.tensor(_perm.Skip(step * BatchSize).Take(BatchSize).Select(i => (long)i).ToArray());
        var noise = torch.tensor(Enumerable.Range(0, BatchSize).Select(_ => (float)(_rng.NextDouble() - 0.5) * 0.1f).ToArray()).unsqueeze(1);
        var y = _yTrain.index_select(0, idx) + noise;
        return torch.nn.functional.mse_loss(_model.call(_xTrain.index_select(0, idx)), y);
    }

    public override IReadOnlyDictionary<string, double> Evaluate(int epoch)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var loss = torch.nn.functional.mse_loss(_model.call(_xVal), _yVal).item<float>();
        WeightsAfter[epoch] = Flat();
        return new Dictionary<string, double> { ["val_loss"] = loss, ["score"] = _score(epoch) };
    }

    public float[] Flat()
    {
        using var _ = torch.no_grad();
        return _model.weight!.data<float>().ToArray().Concat(_model.bias!.data<float>().ToArray()).ToArray();
    }

    public void Dispose()
    {
        _model.Dispose();
        _optimizer.Dispose();
        _xTrain.Dispose();
        _yTrain.Dispose();
        _xVal.Dispose();
        _yVal.Dispose();
    }
}

public sealed class EpochTrainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("thorax-epochtrainer-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Run(string name) => Path.Combine(_dir, name);

    private static EpochTrainer Trainer(int epochs, int patience = 0, bool deterministic = true, TimeSpan? budget = null) => new(new EpochTrainerOptions
    {
        Epochs = epochs, EarlyStoppingPatience = patience, Deterministic = deterministic, TimeBudget = budget ?? TimeSpan.MaxValue,
    });

    [Fact]
    public void InterruptedRun_ResumesToTheUninterruptedRunsWeights_BitForBit()
    {
        float[] straight;
        EpochTrainerResult full;
        using (var m = new RegressionMethod())
        {
            full = Trainer(4).Fit(m, Run("straight"));
            straight = m.WeightsAfter[4];
        }
        // Killed in the middle of epoch 3: Fit throws, the folder holds epoch 2's checkpoint.
        using (var m = new RegressionMethod())
        {
            using var cts = new CancellationTokenSource();
            m.OnStep = (epoch, step) => { if (epoch == 3 && step == 2) cts.Cancel(); };
            var t = Trainer(4);
            Assert.Throws<OperationCanceledException>(() => t.Fit(m, Run("resumed"), cts.Token));
        }
        Assert.Equal(new[] { 1, 2 }, new CheckpointDirectory(Path.Combine(Run("resumed"), "checkpoints")).List().Select(c => c.Epoch));
        // A fresh process: other initial weights, restored from the checkpoint.
        using (var m = new RegressionMethod(initSeed: 99))
        {
            var t = Trainer(4);
            var resumedAfter = -1;
            t.Resumed += e => resumedAfter = e;
            var rest = t.Fit(m, Run("resumed"));
            Assert.Equal(2, resumedAfter);
            Assert.Equal(2, rest.ResumedAfterEpoch);
            Assert.Equal(new[] { 3, 4 }, m.WeightsAfter.Keys.Order());
            Assert.Equal(straight, m.WeightsAfter[4]);
            Assert.Equal(full.History.Select(h => h.TrainLoss), rest.History.Select(h => h.TrainLoss));
            Assert.Equal(full.History.Select(h => h.LearningRate), rest.History.Select(h => h.LearningRate));
            Assert.Equal(full.Steps, rest.Steps);
            Assert.Equal(4 * 48 / RegressionMethod.BatchSize, rest.Steps);
        }
        var a = File.ReadAllLines(Path.Combine(Run("straight"), "history.csv"));
        var b = File.ReadAllLines(Path.Combine(Run("resumed"), "history.csv"));
        Assert.Equal("epoch,train_loss,val_loss,score,lr,seconds,steps,partial", a[0]);
        Assert.Equal(5, b.Length);
        Assert.EndsWith($",{48 / RegressionMethod.BatchSize},0", a[4]);
        static string NoSeconds(string line)
        {
            var c = line.Split(',');
            return string.Join(",", c[..^3].Concat(c[^2..]));
        }
        Assert.Equal(a.Select(NoSeconds), b.Select(NoSeconds)); // all but the seconds
    }

    [Fact]
    public void TrainingLearnsTheRegression_AndThePlateauSchedulerLowersTheRate()
    {
        using var m = new RegressionMethod { SelectOn = "val_loss", Goal = MetricGoal.Minimize };
        var r = Trainer(12).Fit(m, Run("learn"));
        Assert.Equal(12, r.History.Count);
        Assert.True(r.History[^1].Metric("val_loss") < 0.1 * r.History[0].Metric("val_loss"),
            $"validation MSE {r.History[0].Metric("val_loss"):G3} -> {r.History[^1].Metric("val_loss"):G3}");
        Assert.Equal(0.05, r.History[0].LearningRate, 12);
        Assert.All(r.History, h => Assert.True(h.LearningRate <= 0.05 + 1e-12));
    }

    [Theory]
    [InlineData(MetricGoal.Maximize, 2)]
    [InlineData(MetricGoal.Minimize, 4)]
    public void BestEpoch_FollowsTheSelectionMetricAndDirection_AndTheModelEndsOnItsWeights(MetricGoal goal, int expected)
    {
        double[] scores = [0.3, 0.9, 0.5, 0.1, 0.7];
        using var m = new RegressionMethod(e => scores[e - 1]) { Goal = goal };
        var r = Trainer(5).Fit(m, Run("best-" + goal));
        Assert.Equal(expected, r.BestEpoch);
        Assert.Equal(TrainingStopReason.Epochs, r.StopReason);
        Assert.Equal(5, r.History.Count);
        Assert.Equal(m.WeightsAfter[expected], m.Flat());
        Assert.NotEqual(m.WeightsAfter[5], m.Flat());
    }

    [Fact]
    public void EarlyStopping_StopsPatienceEpochsAfterTheBest_AndAResumeDoesNotTrainFurther()
    {
        double[] scores = [0.5, 0.6, 0.55, 0.58, 0.9, 0.95];
        using (var m = new RegressionMethod(e => scores[e - 1]))
        {
            var r = Trainer(6, patience: 2).Fit(m, Run("early"));
            Assert.Equal(TrainingStopReason.EarlyStopping, r.StopReason);
            Assert.Equal(new[] { 1, 2, 3, 4 }, r.History.Select(h => h.Epoch));
            Assert.Equal(2, r.BestEpoch);
            Assert.Equal(m.WeightsAfter[2], m.Flat());
        }
        using (var m = new RegressionMethod(e => scores[e - 1]))
        {
            var r = Trainer(6, patience: 2).Fit(m, Run("early"));
            Assert.Equal(TrainingStopReason.EarlyStopping, r.StopReason);
            Assert.Empty(m.WeightsAfter);          // no epoch ran
            Assert.Equal(4, r.History.Count);
            Assert.Equal(2, r.BestEpoch);
        }
        // A larger patience on resume is a setting the loop may change: training continues to the new best.
        using (var m = new RegressionMethod(e => scores[e - 1]))
        {
            var r = Trainer(6, patience: 3).Fit(m, Run("early"));
            Assert.Equal(new[] { 5, 6 }, m.WeightsAfter.Keys.Order());
            Assert.Equal(6, r.BestEpoch);
            Assert.Equal(TrainingStopReason.Epochs, r.StopReason);
        }
    }

    [Fact]
    public void TimeBudget_EndsTheEpochThatCrossesIt_AfterItsFirstStep_WithACheckpointAndHistory()
    {
        using (var m = new RegressionMethod())
        {
            var r = Trainer(5, budget: TimeSpan.FromTicks(1)).Fit(m, Run("budget"));
            Assert.Equal(TrainingStopReason.TimeBudget, r.StopReason);
            Assert.Single(r.History);
            Assert.Equal((1, true, 1L), (r.History[0].Steps, r.History[0].Partial, r.Steps));
            Assert.Contains("ran out in epoch 1 after 1 of 6 steps", r.StopDetail);
            Assert.Equal(1, r.BestEpoch);
            Assert.Equal(2, File.ReadAllLines(Path.Combine(Run("budget"), "history.csv")).Length);
            Assert.Equal(1, new CheckpointDirectory(Path.Combine(Run("budget"), "checkpoints")).List().Single().Epoch);
            Assert.True(File.Exists(Path.Combine(Run("budget"), "checkpoints", EpochTrainer.BestWeightsFile)));
        }
        // Spent budget: a rerun with the same budget trains nothing; a larger budget continues.
        using (var m = new RegressionMethod())
        {
            var r = Trainer(5, budget: TimeSpan.FromTicks(1)).Fit(m, Run("budget"));
            Assert.Equal(TrainingStopReason.TimeBudget, r.StopReason);
            Assert.Empty(m.WeightsAfter);
        }
        using (var m = new RegressionMethod())
        {
            var r = Trainer(3).Fit(m, Run("budget"));
            Assert.Equal(new[] { 2, 3 }, m.WeightsAfter.Keys.Order());
            Assert.Equal(3, r.History.Count);
        }
    }

    [Fact]
    public void Resume_WithAnotherFingerprint_NamesBoth_AndChangesNothing()
    {
        using (var m = new RegressionMethod()) Trainer(1).Fit(m, Run("fp"));
        var before = File.ReadAllBytes(Path.Combine(Run("fp"), "history.csv"));
        using var other = new RegressionMethod(fingerprint: "regression;lr=0.01");
        var e = Assert.Throws<InvalidDataException>(() => Trainer(2).Fit(other, Run("fp")));
        Assert.Contains("lr=0.05", e.Message);
        Assert.Contains("lr=0.01", e.Message);
        Assert.Contains("checkpoints", e.Message);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(Run("fp"), "history.csv")));
    }

    [Fact]
    public void NonFiniteLoss_NamesEpochAndStep()
    {
        using var m = new NanAtStep();
        var e = Assert.Throws<InvalidOperationException>(() => Trainer(2).Fit(m, Run("nan")));
        Assert.Contains("epoch 1, step 3", e.Message);
    }

    [Fact]
    public void MissingMetric_OrUnknownSelectionMetric_IsNamed()
    {
        using var m = new RegressionMethod { SelectOn = "auc" };
        var e = Assert.Throws<InvalidOperationException>(() => Trainer(1).Fit(m, Run("sel")));
        Assert.Contains("'auc'", e.Message);
        using var missing = new DropsScore();
        var e2 = Assert.Throws<InvalidOperationException>(() => Trainer(1).Fit(missing, Run("missing")));
        Assert.Contains("'score'", e2.Message);
    }

    [Fact]
    public void Options_OutOfRange_AreNamed()
    {
        Assert.Contains("epochs", Assert.Throws<ArgumentException>(() => Trainer(0)).Message);
        Assert.Contains("patience", Assert.Throws<ArgumentException>(() => Trainer(1, patience: -1)).Message);
        Assert.Contains("time budget", Assert.Throws<ArgumentException>(() => Trainer(1, budget: TimeSpan.Zero)).Message);
    }

    [Fact]
    public void HistoryRows_RoundTripThroughJson_AndLegacyLungRowsRead()
    {
        var row = new EpochResult(3, 0.25, new Dictionary<string, double> { ["val_loss"] = double.NaN, ["val_auc"] = 0.875 }, 1e-4, 12.5);
        var back = EpochResult.FromJson(JsonNode.Parse(row.ToJson().ToJsonString()), "x");
        Assert.Equal(row.Epoch, back.Epoch);
        Assert.Equal(row.Metrics, back.Metrics);
        Assert.Equal(row.ToCsv(["val_loss", "val_auc"]), back.ToCsv(["val_loss", "val_auc"]));
        Assert.Equal("3,0.250000,NaN,0.875000,0.0001,12.5,,0", row.ToCsv(["val_loss", "val_auc"])); // steps unknown, full epoch
        var cut = row with { Steps = 40, Partial = true };
        var cutBack = EpochResult.FromJson(JsonNode.Parse(cut.ToJson().ToJsonString()), "x");
        Assert.Equal((40, true), (cutBack.Steps, cutBack.Partial));
        Assert.EndsWith(",12.5,40,1", cutBack.ToCsv(["val_loss", "val_auc"]));
        Assert.Contains("'partial'", Assert.Throws<InvalidDataException>(() => EpochResult.FromJson(JsonNode.Parse(
            """{"epoch":1,"train_loss":1,"metrics":{},"lr":1,"seconds":1,"partial":"maybe"}"""), "f")).Message);
        var legacy = EpochResult.FromJson(JsonNode.Parse("""{"Epoch":2,"TrainLoss":0.5,"ValLoss":0.4,"ValDice":0.9,"LearningRate":0.002,"Seconds":3.5}"""), "ckpt");
        Assert.Equal(0.9, legacy.Metric("val_dice"));
        Assert.Equal(0.4, legacy.Metric("val_loss"));
        Assert.Equal(0.002, legacy.LearningRate);
        var bad = Assert.Throws<InvalidDataException>(() => EpochResult.FromJson(JsonNode.Parse("""{"epoch":1,"metrics":{}}"""), "f.safetensors"));
        Assert.Contains("f.safetensors", bad.Message);
        Assert.Contains("train_loss", bad.Message);
        Assert.Contains("val_auc", Assert.Throws<KeyNotFoundException>(() => legacy.Metric("val_auc")).Message);
    }

    [Fact]
    public void CheckpointsOfTheLungTrainerBeforeTheSharedLoop_Resume()
    {
        // The lung trainer's own loop stored best_dice and PascalCase EpochRecord rows; such a run folder still resumes.
        var dir = Run("legacy");
        using (var m = new RegressionMethod())
        {
            var user = JsonNode.Parse("""
                {"fingerprint":"regression;lr=0.05","best_dice":0.7,"best_epoch":1,"seconds":2.5,
                 "history":[{"Epoch":1,"TrainLoss":0.9,"ValLoss":0.8,"Score":0.7,"LearningRate":0.05,"Seconds":1.2},
                            {"Epoch":2,"TrainLoss":0.6,"ValLoss":0.5,"Score":0.4,"LearningRate":0.05,"Seconds":1.3}]}
                """)!.AsObject();
            using var ck = TrainingCheckpoint.Capture(m.Components, 2, 12, user);
            new CheckpointDirectory(Path.Combine(dir, "checkpoints")).Save(ck);
        }
        double[] scores = [0.7, 0.4, 0.6, 0.8];
        using (var m = new RegressionMethod(e => scores[e - 1]))
        {
            var r = Trainer(4).Fit(m, dir);
            Assert.Equal(2, r.ResumedAfterEpoch);
            Assert.Equal(new[] { 1, 2, 3, 4 }, r.History.Select(h => h.Epoch));
            Assert.Equal(0.8, r.History[0].Metric("val_loss"));
            Assert.Equal(4, r.BestEpoch);           // 0.6 at epoch 3 does not beat the stored best 0.7; 0.8 does
            Assert.Equal(24, r.Steps);
        }
        Assert.StartsWith("1,0.900000,0.800000,0.700000,0.05,1.2", File.ReadAllLines(Path.Combine(dir, "history.csv"))[1]);
    }

    private sealed class NanAtStep : TrainingMethod, IDisposable
    {
        private readonly RegressionMethod _inner = new();
        public override TrainingComponents Components => _inner.Components;
        public override string Fingerprint => "nan";
        public override IReadOnlyList<string> MetricNames => _inner.MetricNames;
        public override string SelectionMetric => "score";
        public override string? PlateauMetric => "val_loss";
        public override int BeginEpoch(int epoch) => _inner.BeginEpoch(epoch);
        public override Tensor ComputeLoss(int epoch, int step) => step == 2 ? _inner.ComputeLoss(epoch, step) * float.NaN : _inner.ComputeLoss(epoch, step);
        public override IReadOnlyDictionary<string, double> Evaluate(int epoch) => _inner.Evaluate(epoch);
        public void Dispose() => _inner.Dispose();
    }

    private sealed class DropsScore : TrainingMethod, IDisposable
    {
        private readonly RegressionMethod _inner = new();
        public override TrainingComponents Components => _inner.Components;
        public override string Fingerprint => "drops";
        public override IReadOnlyList<string> MetricNames => _inner.MetricNames;
        public override string SelectionMetric => "val_loss";
        public override string? PlateauMetric => "val_loss";
        public override int BeginEpoch(int epoch) => _inner.BeginEpoch(epoch);
        public override Tensor ComputeLoss(int epoch, int step) => _inner.ComputeLoss(epoch, step);
        public override IReadOnlyDictionary<string, double> Evaluate(int epoch) =>
            _inner.Evaluate(epoch).Where(kv => kv.Key != "score").ToDictionary(kv => kv.Key, kv => kv.Value);
        public void Dispose() => _inner.Dispose();
    }
}
