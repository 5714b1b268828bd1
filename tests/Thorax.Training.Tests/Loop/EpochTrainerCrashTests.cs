using System.Text.Json.Nodes;
using Thorax.Models.Weights;
using Thorax.Training.Loop;

namespace Thorax.Training.Tests.Loop;

/// <summary>
/// A method whose next epoch depends on state outside the checkpointed components, as the saliency trainer's stages:
/// when the rate dropped since the previous epoch's start, the epoch starts from the best weights. Selection and the
/// plateau scheduler (patience 0, factor 0.5) both follow the validation loss, so a drop means the last epoch was worse
/// and the reload changes the weights.
/// </summary>
internal sealed class ReloadOnDropMethod : TrainingMethod, IDisposable
{
    private readonly string _bestPath;
    private readonly bool _keepState;
    private double? _lastLr;

    public ReloadOnDropMethod(string runDir, bool keepState, long initSeed = 7)
    {
        Inner = new RegressionMethod(initSeed: initSeed) { SelectOn = "val_loss", Goal = MetricGoal.Minimize };
        _bestPath = Path.Combine(runDir, "checkpoints", EpochTrainer.BestWeightsFile);
        _keepState = keepState;
    }

    public RegressionMethod Inner { get; }

    /// <summary>Epochs that started with a reload of the best weights.</summary>
    public List<int> Reloads { get; } = [];

    public override TrainingComponents Components => Inner.Components;
    public override string Fingerprint => Inner.Fingerprint;
    public override IReadOnlyList<string> MetricNames => Inner.MetricNames;
    public override string SelectionMetric => "val_loss";
    public override MetricGoal SelectionGoal => MetricGoal.Minimize;
    public override string? PlateauMetric => "val_loss";

    public override JsonNode? CaptureState() => _keepState && _lastLr is { } lr ? new JsonObject { ["last_lr"] = lr } : null;

    public override void RestoreState(JsonNode state) => _lastLr = state["last_lr"]!.GetValue<double>();

    public override int BeginEpoch(int epoch)
    {
        var lr = Components.Optimizer!.ParamGroups.First().LearningRate;
        if (_lastLr is { } last && lr < last && File.Exists(_bestPath))
        {
            StateDicts.LoadFile(Inner.Model, _bestPath, strict: true);
            Reloads.Add(epoch);
        }
        _lastLr = lr;
        return Inner.BeginEpoch(epoch);
    }

    public override Tensor ComputeLoss(int epoch, int step) => Inner.ComputeLoss(epoch, step);

    public override IReadOnlyDictionary<string, double> Evaluate(int epoch) => Inner.Evaluate(epoch);

    public void Dispose() => Inner.Dispose();
}

/// <summary>What a killed and resumed run needs beyond the components: the method's own state, and no stale temp files.</summary>
public sealed class EpochTrainerCrashTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("thorax-epochtrainer-crash-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Run(string name) => Path.Combine(_dir, name);

    private static EpochTrainer Trainer(int epochs) => new(new EpochTrainerOptions { Epochs = epochs, Deterministic = true });

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MethodState_TravelsInTheCheckpoint_SoAResumeRightAfterARateDropReloadsAsTheUninterruptedRun(bool keepState)
    {
        const int epochs = 12;
        float[] straight;
        int drop;
        using (var m = new ReloadOnDropMethod(Run("straight"), keepState))
        {
            Trainer(epochs).Fit(m, Run("straight"));
            Assert.NotEmpty(m.Reloads);
            drop = m.Reloads[0];
            straight = m.Inner.WeightsAfter[epochs];
        }
        // Killed at the first step of the epoch that reloaded: the folder holds the previous epoch's checkpoint, whose
        // optimiser already has the lowered rate.
        var run = Run("resumed-" + keepState);
        using (var m = new ReloadOnDropMethod(run, keepState))
        {
            using var cts = new CancellationTokenSource();
            m.Inner.OnStep = (e, s) => { if (e == drop && s == 0) cts.Cancel(); };
            Assert.Throws<OperationCanceledException>(() => Trainer(epochs).Fit(m, run, cts.Token));
            Assert.Contains(drop, m.Reloads);
        }
        using (var m = new ReloadOnDropMethod(run, keepState, initSeed: 99))
        {
            var r = Trainer(epochs).Fit(m, run);
            Assert.Equal(drop - 1, r.ResumedAfterEpoch);
            if (keepState)
            {
                Assert.Equal(drop, m.Reloads.FirstOrDefault());
                Assert.Equal(straight, m.Inner.WeightsAfter[epochs]);
            }
            else
            {
                // Without the state the resumed run misses the reload: the failure the crash-resume check found in the saliency trainer.
                Assert.DoesNotContain(drop, m.Reloads);
                Assert.NotEqual(straight, m.Inner.WeightsAfter[epochs]);
            }
        }
    }

    [Fact]
    public void TempFilesOfAKilledWrite_AreRecognised_AndDeletedWhenTheRunResumes_OtherFilesKept()
    {
        var run = Run("temps");
        using (var m = new RegressionMethod()) Trainer(1).Fit(m, run);
        var checkpoints = Path.Combine(run, "checkpoints");
        string[] temps =
        [
            Path.Combine(checkpoints, ".epoch-0002.ckpt.safetensors.1a2b3c4d.tmp"),   // RunFiles.Write
            Path.Combine(run, ".history.csv.0f0f0f0f.tmp"),
            Path.Combine(run, "eval-test", ".overlay.png." + Guid.NewGuid().ToString("N") + ".tmp"), // the imaging codecs' atomic writes
            Path.Combine(checkpoints, ".best.safetensors.1a2b3c4d.tmp." + Guid.NewGuid().ToString("N") + ".tmp"), // SafeTensors.Save inside RunFiles.Write
            Path.Combine(checkpoints, ".best.safetensors.1a2b3c4d.tmp.tmp-" + Guid.NewGuid().ToString("N")), // the same from older builds
        ];
        string[] kept = [Path.Combine(run, ".notes.tmp"), Path.Combine(run, "epoch.1a2b3c4d.tmp"), Path.Combine(run, ".model.safetensors.xyz12345.tmp")];
        foreach (var f in temps.Concat(kept))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(f)!);
            File.WriteAllBytes(f, [1, 2, 3]);
        }
        Assert.All(temps, f => Assert.True(RunFiles.IsTemporary(f), f));
        Assert.All(kept, f => Assert.False(RunFiles.IsTemporary(f), f));
        string? seen = null;
        RunFiles.WriteText(Path.Combine(run, "probe.txt"), "x");
        RunFiles.Write(Path.Combine(run, "probe.bin"), tmp => { seen = tmp; File.WriteAllBytes(tmp, [7]); });
        Assert.True(RunFiles.IsTemporary(seen!), seen);

        using (var m = new RegressionMethod())
        {
            var r = Trainer(2).Fit(m, run);
            Assert.Equal(1, r.ResumedAfterEpoch);
        }
        Assert.All(temps, f => Assert.False(File.Exists(f), f));
        Assert.All(kept, f => Assert.True(File.Exists(f), f));
        Assert.Equal([7], File.ReadAllBytes(Path.Combine(run, "probe.bin")));
    }
}
