using Thorax.Models.Weights;
using Thorax.Training.Tests.Support;
using TorchSharp.Modules;
using static TorchSharp.torch.nn;

namespace Thorax.Training.Tests.Swa;

public sealed class StochasticWeightAveragingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("thorax-swa-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AverageCheckpointFiles_PlainAndTrainingCheckpoints_EqualPyTorchAveragedModelWithBuffers()
    {
        var g = SwaAveragedModelTests.Golden();
        using var scope = torch.NewDisposeScope();
        var epochs = g.GetProperty("epochs").EnumerateArray().Select(SwaAveragedModelTests.ReadState).ToArray();
        var paths = new List<string>();
        for (var i = 0; i < epochs.Length; i++)
        {
            var path = Path.Combine(_dir, $"best{i}.safetensors");
            if (i == 1)
            {
                // One of them is a full training checkpoint: its model part is used.
                using var net = new SwaGoldenNet();
                StateDicts.Load(net, epochs[i]);
                using var ck = TrainingCheckpoint.Capture(new TrainingComponents { Model = net, IncludeTorchRng = false }, epoch: 14);
                ck.Save(path);
            }
            else
            {
                SafeTensors.Save(path, epochs[i]);
            }
            paths.Add(path);
        }
        var avg = StochasticWeightAveraging.AverageCheckpointFiles(paths);
        var expected = g.GetProperty("averaged_use_buffers");
        Assert.Equal(epochs[0].Keys.Order(), avg.Keys.Order());
        foreach (var (k, t) in avg) TestData.AssertClose(expected.GetProperty("module." + k), t, k, rtol: 1e-6, atol: 1e-7);
        avg.DisposeAll();
    }

    [Fact]
    public void AverageStateDicts_MatchesSwaAveragedModelWithBuffersExactly()
    {
        var g = SwaAveragedModelTests.Golden();
        using var scope = torch.NewDisposeScope();
        var epochs = g.GetProperty("epochs").EnumerateArray().Select(SwaAveragedModelTests.ReadState).ToArray();
        var avg = StochasticWeightAveraging.AverageStateDicts(epochs);
        using var net = new SwaGoldenNet();
        StateDicts.Load(net, epochs[0]);
        using var swa = new SwaAveragedModel<SwaGoldenNet>(net, () => new SwaGoldenNet(), useBuffers: true);
        foreach (var sd in epochs)
        {
            StateDicts.Load(net, sd);
            swa.UpdateParameters(net);
        }
        foreach (var (k, t) in swa.Averaged.state_dict()) Assert.True(TestData.BitEqual(t, avg[k]), k);
        avg.DisposeAll();
    }

    [Fact]
    public void AverageCheckpointFiles_MismatchedShape_ThrowsNamingFileAndKey()
    {
        using var scope = torch.NewDisposeScope();
        var a = Path.Combine(_dir, "a.safetensors");
        var b = Path.Combine(_dir, "b.safetensors");
        SafeTensors.Save(a, new Dictionary<string, Tensor> { ["w"] = torch.zeros(2, 2), ["b"] = torch.zeros(2) });
        SafeTensors.Save(b, new Dictionary<string, Tensor> { ["w"] = torch.zeros(2, 3), ["b"] = torch.zeros(2) });
        var e = Assert.Throws<TrainingCheckpointException>(() => StochasticWeightAveraging.AverageCheckpointFiles(new[] { a, b }));
        Assert.Equal(b, e.FilePath);
        Assert.Equal("w", e.Key);
        Assert.Contains("[2, 3]", e.Message);

        SafeTensors.Save(b, new Dictionary<string, Tensor> { ["w"] = torch.zeros(2, 2) });
        e = Assert.Throws<TrainingCheckpointException>(() => StochasticWeightAveraging.AverageCheckpointFiles(new[] { a, b }));
        Assert.Equal("b", e.Key);
        Assert.Throws<ArgumentException>(() => StochasticWeightAveraging.AverageCheckpointFiles(Array.Empty<string>()));
    }

    [Fact]
    public void UpdateBatchNorm_EvalModelWithUnequalBatches_IsPlainAverageOfBatchStatsAndRestoresEvalMode()
    {
        using var scope = torch.NewDisposeScope();
        using var bn = BatchNorm2d(1, momentum: 0.1);
        bn.eval();
        // Batch 1: values {0, 2} -> mean 1, unbiased var 2; batch 2: {4, 4, 4, 8} -> mean 5, unbiased var 4.
        var b1 = torch.tensor(new[] { 0f, 2f }, new long[] { 2, 1, 1, 1 });
        var b2 = torch.tensor(new[] { 4f, 4f, 4f, 8f }, new long[] { 4, 1, 1, 1 });
        Assert.Equal(2, StochasticWeightAveraging.UpdateBatchNorm(bn, new[] { b1, b2 }));
        Assert.False(bn.training);
        Assert.Equal(3f, bn.running_mean!.item<float>(), 6);
        Assert.Equal(3f, bn.running_var!.item<float>(), 6);
        Assert.Equal(2, bn.num_batches_tracked!.item<long>());
        Assert.Equal(0.1, bn.momentum);
    }

    [Fact]
    public void UpdateBatchNorm_NoBatchNorm_ReturnsZeroWithoutRunning()
    {
        using var scope = torch.NewDisposeScope();
        using var lin = Linear(2, 2);
        Assert.Equal(0, StochasticWeightAveraging.UpdateBatchNorm(lin, NeverEnumerated()));

        static IEnumerable<Tensor> NeverEnumerated()
        {
            throw new InvalidOperationException("the batches must not be read when there is no BatchNorm layer");
#pragma warning disable CS0162 // unreachable: makes this an iterator, so the throw happens on enumeration
            yield break;
#pragma warning restore CS0162
        }
    }

    [Fact]
    public void UpdateBatchNorm_FreesEveryTensorItCreates()
    {
        using var bn = BatchNorm2d(3);
        var x = torch.randn(4, 3, 5, 5);
        var before = Tensor.TotalCount;
        StochasticWeightAveraging.UpdateBatchNorm(bn, new[] { x, x });
        GC.KeepAlive(bn);
        Assert.Equal(before, Tensor.TotalCount);
        x.Dispose();
    }
}
