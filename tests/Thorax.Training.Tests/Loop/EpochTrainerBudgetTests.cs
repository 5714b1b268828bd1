using Thorax.Training.Loop;
using TorchSharp.Modules;

namespace Thorax.Training.Tests.Loop;

/// <summary>A method whose every step sleeps a fixed time (loss 1, nothing learnt), so that time budgets have closed-form outcomes.</summary>
internal sealed class SleepyMethod : TrainingMethod, IDisposable
{
    private readonly Linear _model = torch.nn.Linear(2, 1);
    private readonly int _steps;
    private readonly TimeSpan _stepTime;

    public SleepyMethod(int stepsPerEpoch, TimeSpan stepTime)
    {
        _steps = stepsPerEpoch;
        _stepTime = stepTime;
        Components = new TrainingComponents { Model = _model };
    }

    public List<(int Epoch, int Step)> Trained { get; } = [];

    public List<int> Evaluated { get; } = [];

    public override TrainingComponents Components { get; }
    public override string Fingerprint => FormattableString.Invariant($"sleepy;steps={_steps}");
    public override IReadOnlyList<string> MetricNames { get; } = ["score"];
    public override string SelectionMetric => "score";

    public override int BeginEpoch(int epoch) => _steps;

    public override double TrainStep(int epoch, int step)
    {
        Thread.Sleep(_stepTime);
        Trained.Add((epoch, step));
        return 1.0;
    }

    public override Tensor ComputeLoss(int epoch, int step) => throw new InvalidOperationException("TrainStep is overridden");

    public override IReadOnlyDictionary<string, double> Evaluate(int epoch)
    {
        Evaluated.Add(epoch);
        return new Dictionary<string, double> { ["score"] = epoch };
    }

    public void Dispose() => _model.Dispose();
}

/// <summary>The time budget holds inside an epoch (checked after every step) and before one (mean epoch duration).</summary>
public sealed class EpochTrainerBudgetTests : IDisposable
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);
    private readonly string _dir = Directory.CreateTempSubdirectory("thorax-budget-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static EpochTrainer Trainer(int epochs, TimeSpan? budget) =>
        new(new EpochTrainerOptions { Epochs = epochs, TimeBudget = budget ?? TimeSpan.MaxValue });

    [Fact]
    public void ABudgetOfSixSteps_InsideATenStepEpoch_StopsWithinOneStep_EvaluatesAndCheckpointsThePartialEpoch_AndResumesAfterIt()
    {
        var run = Path.Combine(_dir, "partial");
        var budget = 6 * Step;
        EpochTrainerResult r;
        using (var m = new SleepyMethod(10, Step))
        {
            r = Trainer(3, budget).Fit(m, run);
            // Steps sleep at least 100 ms, so the budget is reached after step 6 at the latest; one step of slack below.
            Assert.InRange(m.Trained.Count, 5, 6);
            Assert.All(m.Trained, t => Assert.Equal(1, t.Epoch));
            Assert.Equal([1], m.Evaluated);
        }
        Assert.Equal(TrainingStopReason.TimeBudget, r.StopReason);
        var row = Assert.Single(r.History);
        Assert.True(row.Partial);
        Assert.Equal((int?)r.Steps, row.Steps);
        Assert.Equal(1, r.BestEpoch);
        Assert.InRange(r.TrainSeconds, budget.TotalSeconds, budget.TotalSeconds + Step.TotalSeconds + 1.0);
        Assert.Contains($"ran out in epoch 1 after {r.Steps} of 10 steps", r.StopDetail);
        Assert.Equal(1, new CheckpointDirectory(Path.Combine(run, "checkpoints")).List().Single().Epoch);
        var csv = File.ReadAllLines(Path.Combine(run, EpochTrainer.HistoryFile));
        Assert.Equal("epoch,train_loss,score,lr,seconds,steps,partial", csv[0]);
        Assert.EndsWith($",{r.Steps},1", csv[1]);

        // The same budget again trains nothing; a larger one resumes after the partial epoch, which counts as done.
        using (var m = new SleepyMethod(10, Step))
        {
            var again = Trainer(3, budget).Fit(m, run);
            Assert.Empty(m.Trained);
            Assert.Equal(TrainingStopReason.TimeBudget, again.StopReason);
        }
        using (var m = new SleepyMethod(10, Step))
        {
            var more = Trainer(2, null).Fit(m, run);
            Assert.Equal(1, more.ResumedAfterEpoch);
            Assert.Equal(Enumerable.Range(0, 10).Select(s => (2, s)), m.Trained);
            Assert.Equal(TrainingStopReason.Epochs, more.StopReason);
            Assert.Null(more.StopDetail);
            Assert.Equal([(1, true), (2, false)], more.History.Select(h => (h.Epoch, h.Partial)));
            Assert.Equal(new int?[] { (int)r.Steps, 10 }, more.History.Select(h => h.Steps));
            Assert.Equal(r.Steps + 10, more.Steps);
        }
        csv = File.ReadAllLines(Path.Combine(run, EpochTrainer.HistoryFile));
        Assert.Equal(3, csv.Length);
        Assert.EndsWith(",10,0", csv[2]);
    }

    [Fact]
    public void TheMeanEpochDuration_StopsBeforeAnEpochThatWouldOverrunTheBudget()
    {
        // Epochs of 4 x 100 ms; budget 1 s: after epoch 1 (0.4 s) another fits, after epoch 2 (0.8 s) a third would end
        // at 1.2 s, so it is not started (without the prediction it would start and be cut short at 1 s).
        using var m = new SleepyMethod(4, Step);
        var r = Trainer(10, TimeSpan.FromSeconds(1)).Fit(m, Path.Combine(_dir, "mean"));
        Assert.Equal(TrainingStopReason.TimeBudget, r.StopReason);
        Assert.Equal([1, 2], r.History.Select(h => h.Epoch));
        Assert.All(r.History, h => Assert.False(h.Partial));
        Assert.Equal(8, m.Trained.Count);
        Assert.True(r.TrainSeconds < 1.0, $"{r.TrainSeconds} s");
        Assert.Contains("epoch 3 was not started", r.StopDetail);
        Assert.InRange(EpochTrainer.ExpectedEpochSeconds(r.History)!.Value, 0.4, 0.5);
    }

    [Fact]
    public void ExpectedEpochSeconds_IsTheMeanOfTheFullEpochs()
    {
        var m = new Dictionary<string, double>();
        Assert.Null(EpochTrainer.ExpectedEpochSeconds([]));
        Assert.Null(EpochTrainer.ExpectedEpochSeconds([new EpochResult(1, 0, m, 0, 5, 3, Partial: true)]));
        Assert.Equal(15.0, EpochTrainer.ExpectedEpochSeconds([new EpochResult(1, 0, m, 0, 10), new EpochResult(2, 0, m, 0, 1, 1, true), new EpochResult(3, 0, m, 0, 20)]));
    }
}
