namespace Thorax.Nn.Tests.Layers;

public sealed class ScopeLeakTests
{
    [Fact]
    public void ForwardBackward_InsideScope_LeavesOnlyModuleTensorsAlive()
    {
        using var mha = new MultiheadAttention(8, 2, batchFirst: true);
        using var net = new Sequential(new Conv2d(1, 2, 3, padding: 1), new BatchNorm2d(2), new Relu(), new MaxPool2d(2), new Flatten(), new Linear(8, 3));
        using (var warm = Torch.NewScope()) net.Forward(Torch.Randn(1, 1, 4, 4)).Sum().Backward();
        net.ZeroGrad();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var live = Tensor.LiveCount;
        using (var scope = Torch.NewScope())
        {
            net.Forward(Torch.Randn(2, 1, 4, 4)).Sum().Backward();
            var x = Torch.Randn(2, 3, 8);
            var (o, w) = mha.Forward(x, x, x);
            o.Sum().Add(w!.Sum()).Backward();
        }
        net.ZeroGrad();
        mha.ZeroGrad();
        GC.KeepAlive(net);
        Assert.True(Tensor.LiveCount <= live, $"{Tensor.LiveCount - live} tensors leaked"); // finalizers of other tests' garbage may only lower it
    }
}
