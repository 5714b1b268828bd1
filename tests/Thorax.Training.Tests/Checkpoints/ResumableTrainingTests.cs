using Thorax.Training.Tests.Support;

namespace Thorax.Training.Tests.Checkpoints;

/// <summary>
/// Resumability proof: training N epochs straight and training k epochs, checkpointing, rebuilding everything from
/// scratch (other seeds), restoring and training the remaining epochs end bit-identical (model, SWA average,
/// optimiser state, learning rate, step count and the next draws of every random source).
/// </summary>
/// <remarks>
/// TorchSharp 0.107 has no <c>use_deterministic_algorithms</c> (it throws NotImplementedException); on the CPU the
/// ops used here are deterministic given the thread count, so <see cref="TrainingRun.TrainEpoch"/> trains with one
/// intra-op thread.
/// </remarks>
public sealed class ResumableTrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("thorax-resume-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Dictionary<string, Tensor> TrainStraight(Tensor xs, Tensor ys)
    {
        using var run = new TrainingRun(seed: 11);
        for (var e = 1; e <= TrainingRun.Epochs; e++) run.TrainEpoch(e, xs, ys);
        Assert.Equal(2, run.Swa.NAveraged);
        return run.Fingerprint();
    }

    private static void AssertIdentical(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (k, t) in expected)
        {
            Assert.True(TestData.BitEqual(t, actual[k]), $"'{k}' differs after resuming: max |diff| {(t.to(ScalarType.Float64) - actual[k].to(ScalarType.Float64)).abs().max().item<double>():E3}, NaNs {t.isnan().any().item<bool>()}/{actual[k].isnan().any().item<bool>()}; differing keys: {string.Join(", ", expected.Keys.Where(x => !TestData.BitEqual(expected[x], actual[x])))}");
        }
    }

    private static void DisposeAll(Dictionary<string, Tensor> d)
    {
        foreach (var t in d.Values) t.Dispose();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ResumeFromCheckpointFile_AfterKEpochs_EndsBitIdenticalToStraightRun(int k)
    {
        var (xs, ys) = TrainingRun.Data();
        var straight = TrainStraight(xs, ys);
        var path = Path.Combine(_dir, $"after-{k}.ckpt.safetensors");
        using (var first = new TrainingRun(seed: 11))
        {
            for (var e = 1; e <= k; e++) first.TrainEpoch(e, xs, ys);
            using var ck = TrainingCheckpoint.Capture(first.Components, k, first.Step);
            ck.Save(path);
        }
        torch.manual_seed(4242); // a different process would start with another global generator state

        using var resumed = new TrainingRun(seed: 999);
        using (var ck = TrainingCheckpoint.Load(path))
        {
            ck.Restore(resumed.Components);
            resumed.Step = ck.Step;
            Assert.Equal(k, ck.Epoch);
            for (var e = ck.Epoch + 1; e <= TrainingRun.Epochs; e++) resumed.TrainEpoch(e, xs, ys);
        }
        var actual = resumed.Fingerprint();
        AssertIdentical(straight, actual);
        DisposeAll(straight);
        DisposeAll(actual);
        xs.Dispose();
        ys.Dispose();
    }

    [Fact]
    public void KilledAfterEpoch3_ResumesFromLatestCheckpointInFolder_EndsBitIdenticalToStraightRun()
    {
        var (xs, ys) = TrainingRun.Data();
        var straight = TrainStraight(xs, ys);
        var folder = new CheckpointDirectory(Path.Combine(_dir, "ckpts"), keepLast: 2);

        // The doomed process: checkpoints every epoch, then "dies" after epoch 3 (every object is dropped).
        using (var doomed = new TrainingRun(seed: 11))
        {
            for (var e = 1; e <= 3; e++)
            {
                doomed.TrainEpoch(e, xs, ys);
                using var ck = TrainingCheckpoint.Capture(doomed.Components, e, doomed.Step);
                folder.Save(ck);
            }
        }
        // A leftover temp file of a write that was interrupted must be ignored.
        File.WriteAllBytes(Path.Combine(folder.Path, ".epoch-0004.ckpt.safetensors.1234abcd.tmp"), new byte[] { 1, 2, 3 });
        torch.manual_seed(777);

        // The new process: same code path as a fresh start, but a checkpoint exists.
        var reopened = new CheckpointDirectory(folder.Path, keepLast: 2);
        Assert.Equal(new[] { 2, 3 }, reopened.List().Select(f => f.Epoch).ToArray());
        using var run = new TrainingRun(seed: 5);
        var start = 1;
        using (var latest = reopened.LoadLatest())
        {
            Assert.NotNull(latest);
            latest.Restore(run.Components);
            run.Step = latest.Step;
            start = latest.Epoch + 1;
        }
        Assert.Equal(4, start);
        for (var e = start; e <= TrainingRun.Epochs; e++) run.TrainEpoch(e, xs, ys);
        var actual = run.Fingerprint();
        AssertIdentical(straight, actual);
        DisposeAll(straight);
        DisposeAll(actual);
        xs.Dispose();
        ys.Dispose();
    }

    [Fact]
    public void ResumeWithoutRestoringRandomState_Diverges()
    {
        // Negative control: the proof above is sensitive to the RNG states it restores.
        var (xs, ys) = TrainingRun.Data();
        var straight = TrainStraight(xs, ys);
        var path = Path.Combine(_dir, "norng.ckpt.safetensors");
        using (var first = new TrainingRun(seed: 11))
        {
            for (var e = 1; e <= 2; e++) first.TrainEpoch(e, xs, ys);
            using var ck = TrainingCheckpoint.Capture(first.Components, 2, first.Step);
            ck.Save(path);
        }
        using var resumed = new TrainingRun(seed: 999);
        using (var ck = TrainingCheckpoint.Load(path))
        {
            ck.Restore(resumed.Components with { IncludeTorchRng = false, Generators = new Dictionary<string, Generator>(), Randoms = new Dictionary<string, SeededRandom>() }, strict: false);
            resumed.Step = ck.Step;
            for (var e = 3; e <= TrainingRun.Epochs; e++) resumed.TrainEpoch(e, xs, ys);
        }
        var actual = resumed.Fingerprint();
        Assert.False(TestData.BitEqual(straight["model.fc.weight"], actual["model.fc.weight"]), "weights should differ when the RNG states are not restored");
        Assert.True(TestData.BitEqual(straight["step"], actual["step"]));
        DisposeAll(straight);
        DisposeAll(actual);
        xs.Dispose();
        ys.Dispose();
    }
}
