using Thorax.Models.Segmentation;
using TorchSharp.Modules;

namespace Thorax.Models.Tests.Segmentation;

public class SAUNetTests
{
    [Theory]
    [InlineData(1, 32, 32)]
    [InlineData(3, 19, 23)] // odd sizes: the transposed-conv output is padded to the skip's size
    [InlineData(3, 45, 30)]
    public void Forward_TrainingAndEval_ReturnLogitsOfTheInputSize(int channels, int h, int w)
    {
        using var scope = torch.NewDisposeScope();
        using var gen = new torch.Generator(3);
        using var net = new SAUNet(channels, 2, startChannels: 4, keepProb: 0.8, generator: gen);
        var x = torch.randn(2, channels, h, w);
        Assert.Equal(new long[] { 2, 2, h, w }, net.call(x).shape);
        net.eval();
        Assert.Equal(new long[] { 2, 2, h, w }, net.call(x).shape);
    }

    [Fact]
    public void StateDict_NamesAndWidths()
    {
        using var net = new SAUNet(3, 1);
        Assert.Equal(new long[] { 16, 32, 64, 128 }, net.Widths);
        var sd = net.state_dict();
        Assert.Equal(new long[] { 16, 3, 3, 3 }, sd["enc1.0.conv.weight"].shape);
        Assert.Equal(new long[] { 128, 64, 3, 3 }, sd["mid1.conv.weight"].shape);
        Assert.Equal(new long[] { 1, 2, 7, 7 }, sd["attention.conv.weight"].shape);
        Assert.Equal(new long[] { 128, 64, 3, 3 }, sd["up3.weight"].shape); // ConvTranspose2d: (in, out, k, k)
        Assert.Equal(new long[] { 64, 128, 3, 3 }, sd["dec3.0.conv.weight"].shape);
        Assert.Equal(new long[] { 1, 16, 1, 1 }, sd["out.weight"].shape);
        Assert.Contains("dec1.1.bn.num_batches_tracked", sd.Keys);
        Assert.DoesNotContain("attention.conv.bias", sd.Keys);
        var bn = (BatchNorm2d)Support.ModuleTree.Get(net, "enc1.0.bn");
        Assert.Equal(1e-3, bn.eps);
        Assert.Equal(0.01, bn.momentum);
    }

    [Theory]
    [InlineData(3, "sa_unet_3in_1cls_start16")]
    [InlineData(1, "sa_unet_1in_1cls_start16")]
    public void Parameters_ReferenceSize_EqualPyTorchTranslation(int channels, string key)
    {
        using var net = new SAUNet(channels, 1);
        Assert.Equal(SegmentationGolden.ReferenceParameters(key), SegmentationGolden.ParameterCount(net));
    }

    [Fact]
    public void Forward_Eval_MatchesPyTorchGolden()
    {
        var g = SegmentationGolden.Model("sa_unet");
        using var net = new SAUNet(g.GetProperty("in_channels").GetInt64(), g.GetProperty("classes").GetInt64(),
            g.GetProperty("start_channels").GetInt64(), g.GetProperty("levels").GetInt32(), keepProb: 0.82);
        Assert.Equal(g.GetProperty("parameters").GetInt64(), SegmentationGolden.ParameterCount(net));
        SegmentationGolden.LoadWeights(net, g);
        foreach (var c in SegmentationGolden.Cases(g))
        {
            using var scope = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            var y = net.call(SegmentationGolden.Decode(c.GetProperty("input")));
            SegmentationGolden.AssertClose(SegmentationGolden.Decode(c.GetProperty("output")), y, c.GetProperty("name").GetString()!);
        }
    }

    [Fact]
    public void Forward_Training_SameGeneratorSeed_IsReproducible()
    {
        using var scope = torch.NewDisposeScope();
        using var gen = new torch.Generator(0);
        using var net = new SAUNet(1, 1, startChannels: 2, keepProb: 0.7, generator: gen);
        var x = torch.randn(1, 1, 64, 64);
        float[] Run(long seed)
        {
            gen.manual_seed(seed); // every DropBlock of the network draws from this generator
            return Support.Golden.Floats(net.call(x));
        }
        Assert.Equal(Run(5), Run(5));
        Assert.NotEqual(Run(5), Run(6));
    }

    [Fact]
    public void Backward_ReachesEveryParameter()
    {
        using var scope = torch.NewDisposeScope();
        using var net = new SAUNet(1, 1, startChannels: 2);
        net.call(torch.randn(2, 1, 24, 24)).square().mean().backward();
        Assert.All(net.named_parameters(), p => Assert.True(p.parameter.grad is not null, p.name + " has no gradient"));
    }

    [Fact]
    public void Forward_WrongChannelCount_NamesTheExpectedShape()
    {
        using var scope = torch.NewDisposeScope();
        using var net = new SAUNet(3, 1, startChannels: 2);
        var ex = Assert.Throws<ArgumentException>(() => net.call(torch.zeros(1, 1, 16, 16)));
        Assert.Contains("(N, 3, H, W)", ex.Message);
    }
}
