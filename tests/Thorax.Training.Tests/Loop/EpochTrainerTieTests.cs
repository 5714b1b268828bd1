using Thorax.Training.Loop;

namespace Thorax.Training.Tests.Loop;

/// <summary>
/// <see cref="TrainingMethod.SelectionTies"/>: which epoch the loop keeps when the selection metric ties, and how
/// early-stopping patience counts then (scripted scores on <see cref="RegressionMethod"/>, closed form).
/// </summary>
public sealed class EpochTrainerTieTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("thorax-epochtrainer-ties-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Run(string name) => Path.Combine(_dir, name);

    private static EpochTrainer Trainer(int epochs, int patience = 0) => new(new EpochTrainerOptions
    {
        Epochs = epochs, EarlyStoppingPatience = patience, Deterministic = true,
    });

    [Theory]
    [InlineData(MetricGoal.Maximize, SelectionTieRule.Earlier, 2)]
    [InlineData(MetricGoal.Maximize, SelectionTieRule.Later, 4)]
    [InlineData(MetricGoal.Minimize, SelectionTieRule.Earlier, 2)]
    [InlineData(MetricGoal.Minimize, SelectionTieRule.Later, 4)]
    public void ATie_KeepsTheEarlierOrTheLaterEpoch_ByTheRule_AndTheModelEndsOnItsWeights(MetricGoal goal, SelectionTieRule ties, int expected)
    {
        // Best value at epochs 2 and 4 (exactly equal); 3 and 5 are worse either way.
        double[] scores = goal == MetricGoal.Maximize ? [0.3, 0.9, 0.5, 0.9, 0.7] : [0.7, 0.1, 0.5, 0.1, 0.3];
        using var m = new RegressionMethod(e => scores[e - 1]) { Goal = goal, Ties = ties };
        var r = Trainer(5).Fit(m, Run($"tie-{goal}-{ties}"));
        Assert.Equal(5, r.History.Count);
        Assert.Equal(expected, r.BestEpoch);
        Assert.Equal(m.WeightsAfter[expected], m.Flat());
        Assert.NotEqual(m.WeightsAfter[6 - expected], m.Flat()); // the other tying epoch's weights differ
        using var ck = new CheckpointDirectory(Path.Combine(Run($"tie-{goal}-{ties}"), "checkpoints")).LoadLatest()!;
        Assert.Equal(ties == SelectionTieRule.Later ? "later" : "earlier", ck.User["selection_ties"]!.GetValue<string>());
        Assert.Equal(expected, (int)ck.User["best_epoch"]!.GetValue<double>());
    }

    [Fact]
    public void TheDefaultRule_IsEarlier()
    {
        using var m = new RegressionMethod();
        Assert.Equal(SelectionTieRule.Earlier, ((TrainingMethod)m).SelectionTies);
        Assert.Equal(SelectionTieRule.Earlier, new DefaultTies().SelectionTies);
    }

    [Theory]
    [InlineData(SelectionTieRule.Earlier, 2)]
    [InlineData(SelectionTieRule.Later, 4)]
    public void Patience_CountsFromTheFirstEpochThatReachedTheBest_ATieDoesNotResetIt_AlsoAfterAResume(SelectionTieRule ties, int best)
    {
        // 0.8 first reached at epoch 2, tied at 3 and 4; patience 2 ends training after epoch 4 under both rules.
        // Had the ties at 3 and 4 reset patience, the "later" run would have trained epochs 5 and 6 (and kept 6).
        double[] scores = [0.5, 0.8, 0.8, 0.8, 0.7, 0.95];
        var run = Run("patience-" + ties);
        using (var m = new RegressionMethod(e => scores[e - 1]) { Ties = ties })
        {
            var r = Trainer(6, patience: 2).Fit(m, run);
            Assert.Equal(TrainingStopReason.EarlyStopping, r.StopReason);
            Assert.Equal(new[] { 1, 2, 3, 4 }, r.History.Select(h => h.Epoch));
            Assert.Equal(best, r.BestEpoch);
            Assert.Equal(m.WeightsAfter[best], m.Flat());
        }
        // A rerun into the same folder resumes after epoch 4 and trains nothing: patience is recounted from the history.
        using (var m = new RegressionMethod(e => scores[e - 1]) { Ties = ties })
        {
            var r = Trainer(6, patience: 2).Fit(m, run);
            Assert.Equal(TrainingStopReason.EarlyStopping, r.StopReason);
            Assert.Empty(m.WeightsAfter);
            Assert.Equal(best, r.BestEpoch);
        }
        // Patience 3 on resume: epoch 5 (2 + 3) is trained, is worse, and training stops there.
        using (var m = new RegressionMethod(e => scores[e - 1]) { Ties = ties })
        {
            var r = Trainer(6, patience: 3).Fit(m, run);
            Assert.Equal(new[] { 5 }, m.WeightsAfter.Keys);
            Assert.Equal(TrainingStopReason.EarlyStopping, r.StopReason);
            Assert.Equal(best, r.BestEpoch);
        }
    }

    [Fact]
    public void UnderLater_AStrictImprovementAfterATie_RestartsPatience()
    {
        // 0.8 at 2, tie at 3, 0.9 at 4 (strictly better), then worse: patience 2 stops after epoch 6, best 4.
        double[] scores = [0.5, 0.8, 0.8, 0.9, 0.6, 0.6, 0.99];
        using var m = new RegressionMethod(e => scores[e - 1]) { Ties = SelectionTieRule.Later };
        var r = Trainer(7, patience: 2).Fit(m, Run("restart"));
        Assert.Equal(TrainingStopReason.EarlyStopping, r.StopReason);
        Assert.Equal(6, r.History.Count);
        Assert.Equal(4, r.BestEpoch);
    }

    private sealed class DefaultTies : TrainingMethod
    {
        public override TrainingComponents Components => throw new NotSupportedException();
        public override string Fingerprint => "default";
        public override IReadOnlyList<string> MetricNames => ["score"];
        public override string SelectionMetric => "score";
        public override int BeginEpoch(int epoch) => 1;
        public override Tensor ComputeLoss(int epoch, int step) => throw new NotSupportedException();
        public override IReadOnlyDictionary<string, double> Evaluate(int epoch) => throw new NotSupportedException();
    }
}
