namespace Thorax.Nn.Tests.Layers;

/// <summary>BatchNorm's settable momentum (PyTorch's <c>bn.momentum</c>): closed-form running-statistics updates.</summary>
public sealed class BatchNormMomentumTests
{
    [Theory]
    [InlineData(0.1)]
    [InlineData(0.01)]
    [InlineData(0.5)]
    public void Momentum_SetAfterConstruction_GovernsTheRunningMeanAndVariance(double m)
    {
        using var scope = Torch.NewScope();
        using var bn = new BatchNorm2d(2, momentum: 0.9);
        bn.Momentum = m;
        // Channel 0 holds 1 and 3 (mean 2, unbiased variance 4/3 over 4 values 1,1,3,3), channel 1 holds 5 everywhere.
        var x = Torch.FromArray(new float[] { 1, 3, 5, 5, 1, 3, 5, 5 }, 2, 2, 1, 2);
        bn.Forward(x);
        var mean = bn.RunningMean!.ToArray<float>();
        var var = bn.RunningVar!.ToArray<float>();
        Assert.Equal(m * 2, mean[0], 6);
        Assert.Equal(m * 5, mean[1], 6);
        Assert.Equal((1 - m) * 1 + m * 4.0 / 3.0, var[0], 6);
        Assert.Equal(1 - m, var[1], 6);
    }

    [Fact]
    public void Momentum_OutsideZeroOne_IsRejected_NullMeansCumulativeAverage()
    {
        using var bn = new BatchNorm2d(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => bn.Momentum = 1.5);
        Assert.Throws<ArgumentOutOfRangeException>(() => bn.Momentum = double.NaN);
        Assert.Equal(0.1, bn.Momentum);
        bn.Momentum = null;
        Assert.Null(bn.Momentum);
    }
}
