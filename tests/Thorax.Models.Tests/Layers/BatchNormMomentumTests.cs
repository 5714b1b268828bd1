using Thorax.Models.Tests.Support;

namespace Thorax.Models.Tests.Layers;

/// <summary>BatchNorm's settable momentum (PyTorch's <c>bn.momentum</c>), which SA-UNet and SegmentationModels.Create rely on: closed-form running-statistics updates.</summary>
public sealed class BatchNormMomentumTests
{
    [Theory]
    [InlineData(0.1)]
    [InlineData(0.01)]
    [InlineData(0.5)]
    public void Momentum_SetAfterConstruction_GovernsTheRunningMeanAndVariance(double m)
    {
        using var scope = torch.NewDisposeScope();
        using var bn = nn.BatchNorm2d(2, momentum: 0.9);
        bn.momentum = m;
        // Channel 0 holds 1 and 3 (mean 2, unbiased variance 4/3 over 4 values 1,1,3,3), channel 1 holds 5 everywhere.
        var x = torch.tensor(new float[] { 1, 3, 5, 5, 1, 3, 5, 5 }, new long[] { 2, 2, 1, 2 });
        bn.call(x);
        var mean = Golden.Floats(bn.running_mean!);
        var var = Golden.Floats(bn.running_var!);
        Assert.Equal(m * 2, mean[0], 6);
        Assert.Equal(m * 5, mean[1], 6);
        Assert.Equal((1 - m) * 1 + m * 4.0 / 3.0, var[0], 6);
        Assert.Equal(1 - m, var[1], 6);
    }

    [Fact]
    public void Momentum_NullMeansCumulativeAverage()
    {
        // PyTorch momentum=None: running = mean over the batches seen (factor 1 / num_batches_tracked).
        using var scope = torch.NewDisposeScope();
        using var bn = nn.BatchNorm2d(1);
        Assert.Equal(0.1, bn.momentum);
        bn.momentum = null;
        bn.call(torch.full(new long[] { 2, 1, 1, 2 }, 4f));
        bn.call(torch.full(new long[] { 2, 1, 1, 2 }, 2f));
        Assert.Equal(3.0, Golden.Floats(bn.running_mean!)[0], 6);
        Assert.Equal(2L, bn.num_batches_tracked!.item<long>());
    }
}
