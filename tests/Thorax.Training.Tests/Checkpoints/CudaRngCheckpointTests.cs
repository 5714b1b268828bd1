using Thorax.Models.Weights;

namespace Thorax.Training.Tests.Checkpoints;

/// <summary>
/// CUDA generator states in checkpoints (<c>rng.cuda.{device}</c>). TorchSharp 0.107 exposes no CUDA generator state,
/// so checkpoints never capture one; files from the old engine that hold one still load (keys validated) and restore
/// their CPU stream.
/// </summary>
public sealed class CudaRngCheckpointTests
{
    private static byte[] WithExtraTensor(TrainingCheckpoint ck, string key, Tensor value)
    {
        var (tensors, meta) = SafeTensors.Read(ck.ToBytes(), "<test>");
        tensors.Add(key, value.clone());
        var bytes = SafeTensors.Serialize(tensors, meta.ToDictionary(kv => kv.Key, kv => kv.Value));
        tensors.DisposeAll();
        return bytes;
    }

    [Fact]
    public void Capture_HasNoCudaStates()
    {
        using var run = new TrainingRun(3);
        using var ck = TrainingCheckpoint.Capture(run.Components, 0);
        Assert.Empty(ck.CudaRngDevices);
        Assert.True(ck.HasTorchRng);
    }

    [Fact]
    public void Restore_CheckpointWithACudaState_LoadsAndRestoresTheCpuStream()
    {
        using var run = new TrainingRun(3);
        using var ck = TrainingCheckpoint.Capture(run.Components, 0);
        var expected = torch.rand(5).data<float>().ToArray(); // drawn after the capture
        // A CUDA Philox state is 16 bytes (seed + offset).
        using var cudaState = torch.zeros(new long[] { 16 }, ScalarType.Byte);
        var bytes = WithExtraTensor(ck, "rng.cuda.0", cudaState);
        using var gpuCk = TrainingCheckpoint.FromBytes(bytes, "gpu.ckpt");
        Assert.Equal(new[] { 0 }, gpuCk.CudaRngDevices);
        torch.rand(7).Dispose(); // move the CPU stream on
        gpuCk.Restore(run.Components);
        Assert.Equal(expected, torch.rand(5).data<float>().ToArray());
    }

    [Theory]
    [InlineData("rng.cuda.x")]
    [InlineData("rng.cuda.")]
    [InlineData("rng.cuda.-1")]
    public void FromBytes_MalformedCudaKey_NamesIt(string key)
    {
        using var run = new TrainingRun(3);
        using var ck = TrainingCheckpoint.Capture(run.Components, 0);
        using var state = torch.zeros(new long[] { 16 }, ScalarType.Byte);
        var e = Assert.Throws<TrainingCheckpointException>(() => TrainingCheckpoint.FromBytes(WithExtraTensor(ck, key, state), "crafted"));
        Assert.Equal(key, e.Key);
        Assert.Contains("device index", e.Message);
    }

    [Fact]
    public void FromBytes_CudaStateOfWrongType_NamesIt()
    {
        using var run = new TrainingRun(3);
        using var ck = TrainingCheckpoint.Capture(run.Components, 0);
        using var state = torch.zeros(new long[] { 4 }, ScalarType.Float32);
        var e = Assert.Throws<TrainingCheckpointException>(() => TrainingCheckpoint.FromBytes(WithExtraTensor(ck, "rng.cuda.1", state), "crafted"));
        Assert.Equal("rng.cuda.1", e.Key);
        Assert.Contains("uint8", e.Message);
    }
}
