using Thorax.Models.Segmentation;
using Thorax.Nn;

namespace Thorax.Models.Tests.Segmentation;

public class SpatialAttentionTests
{
    [Fact]
    public void Forward_ZeroKernel_HalvesTheInput()
    {
        using var scope = Torch.NewScope();
        using var sa = new SpatialAttention();
        using (Torch.NoGrad()) ((Conv2d)sa.GetSubmodule("conv")).Weight.Zero_();
        var x = Torch.Randn(2, 5, 9, 11);
        SegmentationGolden.AssertClose(x * 0.5, sa.Forward(x), "x / 2", 1e-6, 1e-7);
    }

    [Theory]
    [InlineData(0)] // centre tap on channel 0 reads the channel mean
    [InlineData(1)] // centre tap on channel 1 reads the channel maximum
    public void AttentionMap_CentreTap_IsSigmoidOfMeanOrMax(int channel)
    {
        using var scope = Torch.NewScope();
        using var sa = new SpatialAttention(7);
        var w = ((Conv2d)sa.GetSubmodule("conv")).Weight;
        Assert.Equal(new long[] { 1, 2, 7, 7 }, w.Shape);
        using (Torch.NoGrad())
        {
            w.Zero_();
            w.Select(1, channel).Select(1, 3).Select(1, 3).Fill_(2.0);
        }
        var x = Torch.Randn(1, 3, 4, 5);
        var v = x.ToArray<float>();
        var map = sa.AttentionMap(x).ToArray<float>();
        for (var p = 0; p < 20; p++)
        {
            var cs = new[] { v[p], v[20 + p], v[40 + p] };
            var s = channel == 0 ? cs.Average() : cs.Max();
            Assert.Equal(1 / (1 + Math.Exp(-2 * s)), map[p], 1e-5); // absolute tolerance: rounding to 5 places can split values 2e-8 apart
        }
        Assert.Null(((Conv2d)sa.GetSubmodule("conv")).Bias);
    }

    [Fact]
    public void Constructor_EvenKernel_Throws() => Assert.Throws<ArgumentOutOfRangeException>(() => new SpatialAttention(4));
}
