using F = Thorax.Functional;

namespace Thorax.TorchTests.Runtime;

public class RuntimeTests
{
    [Fact]
    public void Initialize_SetsThreadsToCoreCount()
    {
        Torch.Initialize();
        var expected = int.TryParse(Environment.GetEnvironmentVariable("THORAX_NUM_THREADS"), out var n) && n > 0 ? n : Environment.ProcessorCount;
        Assert.Equal(expected, Torch.NumThreads);
        Assert.StartsWith("1.", Torch.Version.Length > 0 ? Torch.Version : "?");
    }

    [Fact]
    public void Generator_SameSeed_SameSamples_DifferentSeed_Different()
    {
        using var scope = Torch.NewScope();
        using var g1 = new Generator(42);
        using var g2 = new Generator(42);
        using var g3 = new Generator(43);
        var a = Torch.Randn(new long[] { 5 }, g1);
        var b = Torch.Randn(new long[] { 5 }, g2);
        var c = Torch.Randn(new long[] { 5 }, g3);
        Assert.True(a.Equal(b));
        Assert.False(a.Equal(c));
    }

    [Fact]
    public void Generator_StateRoundTrip_ReplaysTheSameSequence()
    {
        using var scope = Torch.NewScope();
        using var g = new Generator(7);
        var state = g.GetState();
        var first = Torch.Rand(new long[] { 4 }, g);
        g.SetState(state);
        var again = Torch.Rand(new long[] { 4 }, g);
        Assert.True(first.Equal(again));
    }

    [Fact]
    public void DeterministicMode_TwoTrainingRuns_AreBitIdentical()
    {
        var previous = Torch.Deterministic;
        Torch.Deterministic = true;
        try
        {
            var w1 = Train();
            var w2 = Train();
            Assert.Equal(w1, w2);
        }
        finally
        {
            Torch.Deterministic = previous;
        }

        static float[] Train()
        {
            using var scope = Torch.NewScope();
            Torch.ManualSeed(123);
            var w = (Torch.Randn(8, 1, 3, 3) * 0.1).Detach().RequiresGrad_();
            var x = Torch.Randn(4, 1, 16, 16);
            for (var i = 0; i < 20; i++)
            {
                var y = F.Dropout(F.Conv2d(x, w, padding: new long[] { 1, 1 }).Relu(), 0.2);
                y.Mean().Backward();
                using (Torch.NoGrad()) { w.Add_(w.Grad!, -0.1); w.ZeroGrad(); }
            }
            return w.ToArray<float>();
        }
    }

    [Fact]
    public void ShapeMismatch_RaisesTorchException_WithPyTorchsMessage()
    {
        using var scope = Torch.NewScope();
        var a = Torch.Ones(2, 3);
        var b = Torch.Ones(4, 5);
        var ex = Assert.Throws<TorchException>(() => a.MatMul(b));
        Assert.Contains("shapes cannot be multiplied", ex.Message);
        Assert.Equal("matmul", ex.Operation);
        var conv = Assert.Throws<TorchException>(() => F.Conv2d(Torch.Ones(1, 3, 8, 8), Torch.Ones(4, 2, 3, 3)));
        Assert.Contains("conv2d", conv.Message);
        // the process survives and keeps working
        Assert.Equal(6.0, a.Sum().Item());
    }

    [Fact]
    public void DTypeMismatch_InToArray_NamesBothTypes()
    {
        using var scope = Torch.NewScope();
        var ex = Assert.Throws<TorchException>(() => Torch.Ones(2).ToArray<long>());
        Assert.Contains("torch.float32", ex.Message);
        Assert.Contains("Int64", ex.Message);
    }

    [SkippableFact]
    public void CudaRequest_WithoutCuda_GivesClearError()
    {
        Skip.If(Torch.CudaIsAvailable, "this machine has CUDA");
        var ex = Assert.ThrowsAny<TorchException>(() => Torch.Zeros(new long[] { 2 }, device: Device.Cuda()));
        Assert.Contains("CUDA", ex.Message, StringComparison.OrdinalIgnoreCase);
    }
}
