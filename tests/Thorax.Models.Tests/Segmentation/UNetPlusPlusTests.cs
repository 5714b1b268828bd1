using Thorax.Models.Segmentation;

namespace Thorax.Models.Tests.Segmentation;

public class UNetPlusPlusTests
{
    private static UNetPlusPlus GoldenModel()
    {
        var g = SegmentationGolden.Model("unetpp");
        var net = new UNetPlusPlus(g.GetProperty("in_channels").GetInt64(), g.GetProperty("classes").GetInt64(),
            SegmentationGolden.Longs(g.GetProperty("widths")), deepSupervision: true);
        SegmentationGolden.LoadWeights(net, g);
        return net;
    }

    [Theory]
    [InlineData(1, 32, 32)]
    [InlineData(3, 19, 23)] // odd sizes: up-sampling follows the skip's size
    [InlineData(3, 17, 40)]
    public void Forward_BothModes_ReturnLogitsOfTheInputSize(int channels, int h, int w)
    {
        using var scope = torch.NewDisposeScope();
        using var net = new UNetPlusPlus(channels, 2, new long[] { 2, 4, 6, 8, 10 });
        var x = torch.randn(2, channels, h, w);
        Assert.Equal(new long[] { 2, 2, h, w }, net.call(x).shape);
        net.Mode = UNetPlusPlusMode.Fast;
        net.FastHead = 2;
        Assert.Equal(new long[] { 2, 2, h, w }, net.call(x).shape);
        var heads = net.ForwardHeads(x);
        Assert.Equal(4, heads.Length);
        Assert.All(heads, t => Assert.Equal(new long[] { 2, 2, h, w }, t.shape));
    }

    [Fact]
    public void StateDict_UsesNestedUNetNames()
    {
        using var ds = new UNetPlusPlus(3, 1, new long[] { 2, 4, 6, 8, 10 });
        var names = ds.state_dict().Keys.ToHashSet();
        Assert.Contains("conv0_0.conv1.weight", names);
        Assert.Contains("conv4_0.bn2.running_var", names);
        Assert.Contains("conv0_4.conv2.bias", names);
        Assert.Contains("conv1_3.bn1.num_batches_tracked", names);
        Assert.Contains("final4.weight", names);
        Assert.DoesNotContain("conv1_4.conv1.weight", names); // i + j <= L - 1 only
        Assert.DoesNotContain("final.weight", names);
        using var single = new UNetPlusPlus(3, 1, new long[] { 2, 4, 6 }, deepSupervision: false);
        var keys = single.state_dict().Keys.ToHashSet();
        Assert.Contains("final.bias", keys);
        Assert.DoesNotContain("final1.weight", keys);
    }

    [Theory]
    [InlineData(false, "unetpp_3in_1cls_32_to_512")]
    [InlineData(true, "unetpp_3in_1cls_32_to_512_deep_supervision")]
    public void Parameters_ReferenceSize_EqualPyTorchNestedUNet(bool deepSupervision, string key)
    {
        using var net = new UNetPlusPlus(3, 1, deepSupervision: deepSupervision);
        Assert.Equal(SegmentationGolden.ReferenceParameters(key), SegmentationGolden.ParameterCount(net));
    }

    [Fact]
    public void Parameters_GoldenModel_EqualPyTorch()
    {
        using var net = GoldenModel();
        Assert.Equal(SegmentationGolden.Model("unetpp").GetProperty("parameters").GetInt64(), SegmentationGolden.ParameterCount(net));
    }

    [Fact]
    public void ForwardHeads_Eval_MatchesPyTorchGolden()
    {
        using var net = GoldenModel();
        foreach (var c in SegmentationGolden.Cases(SegmentationGolden.Model("unetpp")))
        {
            using var scope = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            var heads = net.ForwardHeads(SegmentationGolden.Decode(c.GetProperty("input")));
            var expected = c.GetProperty("heads").EnumerateArray().ToArray();
            Assert.Equal(expected.Length, heads.Length);
            for (var k = 0; k < heads.Length; k++)
                SegmentationGolden.AssertClose(SegmentationGolden.Decode(expected[k]), heads[k], $"{c.GetProperty("name")} head {k + 1}");
        }
    }

    [Fact]
    public void Forward_AccurateMode_IsTheMeanOfAllHeads_MatchingGolden()
    {
        using var net = GoldenModel();
        net.Mode = UNetPlusPlusMode.Accurate;
        foreach (var c in SegmentationGolden.Cases(SegmentationGolden.Model("unetpp")))
        {
            using var scope = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            var y = net.call(SegmentationGolden.Decode(c.GetProperty("input")));
            SegmentationGolden.AssertClose(SegmentationGolden.Decode(c.GetProperty("accurate")), y, $"{c.GetProperty("name")} accurate");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Forward_FastMode_PrunedNetworkEqualsThatHeadOfTheFullNetwork(int head)
    {
        using var net = GoldenModel();
        net.Mode = UNetPlusPlusMode.Fast;
        net.FastHead = head;
        var c = SegmentationGolden.Cases(SegmentationGolden.Model("unetpp")).Last();
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var y = net.call(SegmentationGolden.Decode(c.GetProperty("input")));
        var expected = c.GetProperty("heads").EnumerateArray().ElementAt(head - 1);
        SegmentationGolden.AssertClose(SegmentationGolden.Decode(expected), y, $"fast head {head}");
    }

    [Fact]
    public void FastHead_OutOfRangeOrMissingHead_Throws()
    {
        using var ds = new UNetPlusPlus(1, 1, new long[] { 2, 4, 6 });
        Assert.Throws<ArgumentOutOfRangeException>(() => ds.FastHead = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => ds.FastHead = 3);
        using var single = new UNetPlusPlus(1, 1, new long[] { 2, 4, 6 }, deepSupervision: false);
        Assert.Equal(2, single.FastHead);
        Assert.Equal(1, single.HeadCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => single.FastHead = 1);
    }

    [Fact]
    public void Forward_WithoutDeepSupervision_BothModesUseTheSingleHead()
    {
        using var scope = torch.NewDisposeScope();
        using var net = new UNetPlusPlus(1, 1, new long[] { 2, 4, 6 }, deepSupervision: false);
        net.eval();
        using var _ = torch.no_grad();
        var x = torch.randn(1, 1, 12, 12);
        var accurate = net.call(x);
        net.Mode = UNetPlusPlusMode.Fast;
        SegmentationGolden.AssertClose(accurate, net.call(x), "fast == accurate", 0, 0);
    }

    [Fact]
    public void Backward_DeepSupervisionLoss_ReachesEveryParameter()
    {
        using var scope = torch.NewDisposeScope();
        using var net = new UNetPlusPlus(1, 1, new long[] { 2, 3, 4 });
        var heads = net.ForwardHeads(torch.randn(2, 1, 8, 8));
        var loss = heads.Select(h => h.square().mean()).Aggregate((a, b) => a + b);
        loss.backward();
        Assert.All(net.named_parameters(), p => Assert.True(p.parameter.grad is not null, p.name + " has no gradient"));
    }

    [Fact]
    public void Forward_WrongChannelCount_NamesTheExpectedShape()
    {
        using var scope = torch.NewDisposeScope();
        using var net = new UNetPlusPlus(1, 1, new long[] { 2, 4 });
        var ex = Assert.Throws<ArgumentException>(() => net.call(torch.zeros(1, 3, 8, 8)));
        Assert.Contains("(N, 1, H, W)", ex.Message);
    }
}
