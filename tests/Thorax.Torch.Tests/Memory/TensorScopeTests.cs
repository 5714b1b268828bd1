using F = Thorax.Functional;

namespace Thorax.TorchTests.Memory;

[Collection("LiveCount")]
public class TensorScopeTests
{
    [Fact]
    public void Scope_DisposesEveryTemporary_ExceptMovedOut()
    {
        Settle();
        var before = Tensor.LiveCount;
        Tensor kept;
        using (var scope = Torch.NewScope())
        {
            var a = Torch.Ones(3, 3);
            var b = a * 2 + 1;
            kept = b.Sum().MoveToOuterScope();
            Assert.True(scope.Count >= 3);
        }
        Assert.Equal(before + 1, Tensor.LiveCount);
        Assert.Equal(27.0, kept.Item());
        kept.Dispose();
        Assert.Equal(before, Tensor.LiveCount);
    }

    [Fact]
    public void DisposedTensor_ThrowsObjectDisposed_NotACrash()
    {
        Tensor t;
        using (Torch.NewScope()) t = Torch.Ones(2);
        Assert.True(t.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => t.Sum());
        t.Dispose(); // second dispose is harmless
    }

    [Fact]
    public void NestedScopes_MoveToOuter_LandsInEnclosingScope()
    {
        Settle();
        var before = Tensor.LiveCount;
        using (var outer = Torch.NewScope())
        {
            Tensor inner;
            using (Torch.NewScope()) inner = Torch.Zeros(4).MoveToOuterScope();
            Assert.False(inner.IsDisposed);
            Assert.Equal(1, outer.Count);
        }
        Assert.Equal(before, Tensor.LiveCount);
    }

    [Fact]
    public void TenThousandTrainingSteps_LeaveNoLiveTensorsAndBoundedNativeMemory()
    {
        Torch.ManualSeed(0);
        var w = Torch.Randn(new long[] { 16, 8 }).Mul_(0.1).DetachFromScope().RequiresGrad_();
        var b = Torch.Zeros(new long[] { 16 }, requiresGrad: true);
        var x = Torch.Randn(32, 8);
        var y = Torch.Randn(32, 16);
        Settle(); // tensors other tests leaked to the finalizer must not change the count mid-test
        var baseline = Tensor.LiveCount;
        long rssAfterWarmup = 0;
        for (var step = 0; step < 10_000; step++)
        {
            using (var scope = Torch.NewScope())
            {
                var loss = F.MseLoss(F.Linear(x, w, b).Relu(), y);
                loss.Backward();
                using (Torch.NoGrad())
                {
                    foreach (var p in new[] { w, b })
                    {
                        var g = p.Grad!;
                        p.Add_(g, -0.01);
                        p.ZeroGrad();
                    }
                }
            }
            if (step == 1000) rssAfterWarmup = ResidentBytes();
        }
        Settle();
        Assert.Equal(baseline, Tensor.LiveCount);
        var growth = ResidentBytes() - rssAfterWarmup;
        Assert.True(growth < 32L << 20, $"resident memory grew by {growth >> 20} MiB over 9,000 steps");
        foreach (var t in new[] { w, b, x, y }) t.Dispose();
    }

    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static long ResidentBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var statm = File.ReadAllText("/proc/self/statm").Split(' ');
        return long.Parse(statm[1]) * Environment.SystemPageSize;
    }
}

[CollectionDefinition("LiveCount", DisableParallelization = true)]
public class LiveCountCollection
{
}
