using Thorax.Models.Segmentation;
using Thorax.Models.Tests.Support;
using TorchSharp.Modules;

namespace Thorax.Models.Tests.Segmentation;

public class SpatialAttentionTests
{
    [Fact]
    public void Forward_ZeroKernel_HalvesTheInput()
    {
        using var scope = torch.NewDisposeScope();
        using var sa = new SpatialAttention();
        using (torch.no_grad()) ((Conv2d)ModuleTree.Get(sa, "conv")).weight.zero_();
        var x = torch.randn(2, 5, 9, 11);
        SegmentationGolden.AssertClose(x * 0.5, sa.call(x), "x / 2", 1e-6, 1e-7);
    }

    [Theory]
    [InlineData(0)] // centre tap on channel 0 reads the channel mean
    [InlineData(1)] // centre tap on channel 1 reads the channel maximum
    public void AttentionMap_CentreTap_IsSigmoidOfMeanOrMax(int channel)
    {
        using var scope = torch.NewDisposeScope();
        using var sa = new SpatialAttention(7);
        var w = ((Conv2d)ModuleTree.Get(sa, "conv")).weight;
        Assert.Equal(new long[] { 1, 2, 7, 7 }, w.shape);
        using (torch.no_grad())
        {
            w.zero_();
            w[0, channel, 3, 3].fill_(2.0);
        }
        var x = torch.randn(1, 3, 4, 5);
        var v = Golden.Floats(x);
        var map = Golden.Floats(sa.AttentionMap(x));
        for (var p = 0; p < 20; p++)
        {
            var cs = new[] { v[p], v[20 + p], v[40 + p] };
            var s = channel == 0 ? cs.Average() : cs.Max();
            Assert.Equal(1 / (1 + Math.Exp(-2 * s)), map[p], 1e-5); // absolute tolerance: rounding to 5 places can split values 2e-8 apart
        }
        Assert.Null(((Conv2d)ModuleTree.Get(sa, "conv")).bias);
    }

    [Fact]
    public void Constructor_EvenKernel_Throws() => Assert.Throws<ArgumentOutOfRangeException>(() => new SpatialAttention(4));
}
