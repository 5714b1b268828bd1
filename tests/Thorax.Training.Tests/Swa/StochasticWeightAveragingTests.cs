using System.Text.Json;
using Thorax.Nn;
using Thorax.TorchTests.Golden;

namespace Thorax.Training.Tests.Swa;

public sealed class StochasticWeightAveragingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("thorax-swa-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AverageCheckpointFiles_PlainAndTrainingCheckpoints_EqualPyTorchAveragedModelWithBuffers()
    {
        var g = SwaAveragedModelTests.Golden();
        using var scope = Torch.NewScope();
        var epochs = g.GetProperty("epochs").EnumerateArray().Select(SwaAveragedModelTests.ReadState).ToArray();
        var paths = new List<string>();
        for (var i = 0; i < epochs.Length; i++)
        {
            var path = Path.Combine(_dir, $"best{i}.safetensors");
            if (i == 1)
            {
                // One of them is a full training checkpoint: its model part is used.
                using var net = new SwaGoldenNet();
                net.LoadStateDict(epochs[i]);
                using var ck = TrainingCheckpoint.Capture(new TrainingComponents { Model = net, IncludeTorchRng = false }, epoch: 14);
                ck.Save(path);
            }
            else
            {
                SafeTensors.Save(path, epochs[i]);
            }
            paths.Add(path);
        }
        using var avg = StochasticWeightAveraging.AverageCheckpointFiles(paths);
        var expected = g.GetProperty("averaged_use_buffers");
        Assert.Equal(epochs[0].Keys.ToArray(), avg.Keys.ToArray());
        foreach (var (k, t) in avg) GoldenTensor.AssertClose(expected.GetProperty("module." + k), t, k, rtol: 1e-6, atol: 1e-7);
    }

    [Fact]
    public void AverageStateDicts_MatchesSwaAveragedModelWithBuffersExactly()
    {
        var g = SwaAveragedModelTests.Golden();
        using var scope = Torch.NewScope();
        var epochs = g.GetProperty("epochs").EnumerateArray().Select(SwaAveragedModelTests.ReadState).ToArray();
        using var avg = StochasticWeightAveraging.AverageStateDicts(epochs);
        using var net = new SwaGoldenNet();
        net.LoadStateDict(epochs[0]);
        using var swa = new SwaAveragedModel<SwaGoldenNet>(net, () => new SwaGoldenNet(), useBuffers: true);
        foreach (var sd in epochs)
        {
            net.LoadStateDict(sd);
            swa.UpdateParameters(net);
        }
        using var state = swa.Averaged.StateDict();
        foreach (var (k, t) in state) Assert.True(t.Equal(avg[k]), k);
    }

    [Fact]
    public void AverageCheckpointFiles_MismatchedShape_ThrowsNamingFileAndKey()
    {
        using var scope = Torch.NewScope();
        var a = Path.Combine(_dir, "a.safetensors");
        var b = Path.Combine(_dir, "b.safetensors");
        SafeTensors.Save(a, new Dictionary<string, Tensor> { ["w"] = Torch.Zeros(2, 2), ["b"] = Torch.Zeros(2) });
        SafeTensors.Save(b, new Dictionary<string, Tensor> { ["w"] = Torch.Zeros(2, 3), ["b"] = Torch.Zeros(2) });
        var e = Assert.Throws<TrainingCheckpointException>(() => StochasticWeightAveraging.AverageCheckpointFiles(new[] { a, b }));
        Assert.Equal(b, e.FilePath);
        Assert.Equal("w", e.Key);
        Assert.Contains("[2, 3]", e.Message);

        SafeTensors.Save(b, new Dictionary<string, Tensor> { ["w"] = Torch.Zeros(2, 2) });
        e = Assert.Throws<TrainingCheckpointException>(() => StochasticWeightAveraging.AverageCheckpointFiles(new[] { a, b }));
        Assert.Equal("b", e.Key);
        Assert.Throws<ArgumentException>(() => StochasticWeightAveraging.AverageCheckpointFiles(Array.Empty<string>()));
    }

    [Fact]
    public void UpdateBatchNorm_EvalModelWithUnequalBatches_IsPlainAverageOfBatchStatsAndRestoresEvalMode()
    {
        using var scope = Torch.NewScope();
        using var bn = new BatchNorm2d(1, momentum: 0.1);
        bn.Eval();
        // Batch 1: values {0, 2} -> mean 1, unbiased var 2; batch 2: {4, 4, 4, 8} -> mean 5, unbiased var 4.
        var b1 = Torch.FromArray(new[] { 0f, 2f }, 2, 1, 1, 1);
        var b2 = Torch.FromArray(new[] { 4f, 4f, 4f, 8f }, 4, 1, 1, 1);
        Assert.Equal(2, StochasticWeightAveraging.UpdateBatchNorm(bn, new[] { b1, b2 }));
        Assert.False(bn.IsTraining);
        Assert.Equal(3f, bn.RunningMean!.Item(), 6);
        Assert.Equal(3f, bn.RunningVar!.Item(), 6);
        Assert.Equal(2, bn.NumBatchesTracked!.ItemInt64());
        Assert.Equal(0.1, bn.Momentum);
    }

    [Fact]
    public void UpdateBatchNorm_NoBatchNorm_ReturnsZeroWithoutRunning()
    {
        using var scope = Torch.NewScope();
        using var lin = new Linear(2, 2);
        var runs = 0;
        using var hook = lin.RegisterForwardHook((_, _, _) => runs++);
        Assert.Equal(0, StochasticWeightAveraging.UpdateBatchNorm(lin, new[] { Torch.Zeros(1, 2) }));
        Assert.Equal(0, runs);
    }

    [Fact]
    public void UpdateBatchNorm_FreesEveryTensorItCreates()
    {
        using var bn = new BatchNorm2d(3);
        var x = Torch.Randn(4, 3, 5, 5).DetachFromScope();
        var before = Tensor.LiveCount;
        StochasticWeightAveraging.UpdateBatchNorm(bn, new[] { x, x });
        GC.KeepAlive(bn);
        Assert.Equal(before, Tensor.LiveCount);
        x.Dispose();
    }
}
