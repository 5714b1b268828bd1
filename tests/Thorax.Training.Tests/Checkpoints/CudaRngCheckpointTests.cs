using Thorax.Nn;

namespace Thorax.Training.Tests.Checkpoints;

/// <summary>
/// CUDA generator states in checkpoints (<c>rng.cuda.{device}</c>). On a machine without CUDA (CI) a checkpoint has none;
/// a checkpoint made on a GPU machine still loads and restores its CPU stream here.
/// </summary>
public sealed class CudaRngCheckpointTests
{
    private static byte[] WithExtraTensor(TrainingCheckpoint ck, string key, Tensor value)
    {
        var (tensors, meta) = SafeTensors.Read(ck.ToBytes());
        tensors.Add(key, value.Clone());
        var bytes = SafeTensors.Serialize(tensors, meta.ToDictionary(kv => kv.Key, kv => kv.Value));
        tensors.Dispose();
        return bytes;
    }

    [SkippableFact]
    public void Capture_WithoutCuda_HasNoCudaStates()
    {
        Skip.If(Torch.CudaIsAvailable, "this machine has CUDA: the checkpoint holds its devices' states");
        using var run = new TrainingRun(3);
        using var ck = TrainingCheckpoint.Capture(run.Components, 0);
        Assert.Empty(ck.CudaRngDevices);
        Assert.True(ck.HasTorchRng);
    }

    [SkippableFact]
    public void Restore_CheckpointFromAGpuMachine_LoadsAndRestoresTheCpuStream()
    {
        using var run = new TrainingRun(3);
        using var ck = TrainingCheckpoint.Capture(run.Components, 0);
        var expected = Torch.Rand(new long[] { 5 }, null, DType.Float32).ToArray<float>(); // drawn after the capture
        // A CUDA Philox state is 16 bytes (seed + offset); a foreign device index stays unrestored without that device.
        using var cudaState = Torch.Zeros(new long[] { 16 }, DType.UInt8);
        var bytes = WithExtraTensor(ck, "rng.cuda.0", cudaState);
        using var gpuCk = TrainingCheckpoint.FromBytes(bytes, "gpu.ckpt");
        Assert.Equal(new[] { 0 }, gpuCk.CudaRngDevices);
        Skip.If(Torch.CudaIsAvailable, "CUDA present: restoring would set device 0's generator (covered on GPU machines)");
        Torch.Rand(new long[] { 7 }, null, DType.Float32).Dispose(); // move the CPU stream on
        gpuCk.Restore(run.Components);
        Assert.Equal(expected, Torch.Rand(new long[] { 5 }, null, DType.Float32).ToArray<float>());
    }

    [Theory]
    [InlineData("rng.cuda.x")]
    [InlineData("rng.cuda.")]
    [InlineData("rng.cuda.-1")]
    public void FromBytes_MalformedCudaKey_NamesIt(string key)
    {
        using var run = new TrainingRun(3);
        using var ck = TrainingCheckpoint.Capture(run.Components, 0);
        using var state = Torch.Zeros(new long[] { 16 }, DType.UInt8);
        var e = Assert.Throws<TrainingCheckpointException>(() => TrainingCheckpoint.FromBytes(WithExtraTensor(ck, key, state), "crafted"));
        Assert.Equal(key, e.Key);
        Assert.Contains("device index", e.Message);
    }

    [Fact]
    public void FromBytes_CudaStateOfWrongType_NamesIt()
    {
        using var run = new TrainingRun(3);
        using var ck = TrainingCheckpoint.Capture(run.Components, 0);
        using var state = Torch.Zeros(new long[] { 4 }, DType.Float32);
        var e = Assert.Throws<TrainingCheckpointException>(() => TrainingCheckpoint.FromBytes(WithExtraTensor(ck, "rng.cuda.1", state), "crafted"));
        Assert.Equal("rng.cuda.1", e.Key);
        Assert.Contains("uint8", e.Message);
    }

    [SkippableFact]
    public void GetCudaRngState_WithoutCuda_ThrowsATorchExceptionSayingSo()
    {
        Skip.If(Torch.CudaIsAvailable, "this machine has CUDA");
        var e = Assert.Throws<TorchException>(() => Torch.GetCudaRngState(0).Dispose());
        Assert.Contains("cuda", e.Message, StringComparison.OrdinalIgnoreCase);
    }
}
