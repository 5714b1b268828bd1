using Thorax.Models.Segmentation;

namespace Thorax.Models.Tests.Segmentation;

public class AttentionUNetTests
{
    [Theory]
    [InlineData(1, 32, 32)]
    [InlineData(3, 19, 23)] // odd sizes: nearest up-sampling follows the skip's size
    [InlineData(3, 33, 18)]
    public void Forward_ReturnsLogitsOfTheInputSize(int channels, int h, int w)
    {
        using var scope = torch.NewDisposeScope();
        using var net = new AttentionUNet(channels, 2, new long[] { 2, 4, 6, 8, 10 });
        Assert.Equal(new long[] { 2, 2, h, w }, net.call(torch.randn(2, channels, h, w)).shape);
    }

    [Fact]
    public void StateDict_UsesLeeJunHyunAttUNetNames()
    {
        using var net = new AttentionUNet(3, 1, new long[] { 2, 4, 6, 8, 10 });
        var names = net.state_dict().Keys.ToHashSet();
        foreach (var key in new[]
                 {
                     "Conv1.conv.0.weight", "Conv1.conv.1.running_mean", "Conv5.conv.4.num_batches_tracked", "Up5.up.1.weight",
                     "Up5.up.2.running_var", "Att5.W_g.0.weight", "Att5.W_x.1.bias", "Att5.psi.0.bias", "Att2.psi.1.running_mean",
                     "Up_conv5.conv.3.weight", "Up_conv2.conv.0.bias", "Conv_1x1.weight", "Conv_1x1.bias",
                 })
            Assert.Contains(key, names);
        Assert.DoesNotContain(names, n => n.StartsWith("Up1.", StringComparison.Ordinal) || n.StartsWith("Conv6.", StringComparison.Ordinal));
        Assert.DoesNotContain(names, n => n.Contains('_') && n.Split('.')[0].StartsWith('_')); // no reflected private fields
    }

    [Theory]
    [InlineData(3, "attention_unet_3in_1cls_64_to_1024")]
    [InlineData(1, "attention_unet_1in_1cls_64_to_1024")]
    public void Parameters_ReferenceSize_EqualPyTorchAttUNet(int channels, string key)
    {
        using var net = new AttentionUNet(channels, 1);
        Assert.Equal(SegmentationGolden.ReferenceParameters(key), SegmentationGolden.ParameterCount(net));
    }

    [Fact]
    public void Forward_Eval_MatchesPyTorchGolden()
    {
        var g = SegmentationGolden.Model("attention_unet");
        using var net = new AttentionUNet(g.GetProperty("in_channels").GetInt64(), g.GetProperty("classes").GetInt64(),
            SegmentationGolden.Longs(g.GetProperty("widths")));
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
    public void Backward_ReachesEveryParameter()
    {
        using var scope = torch.NewDisposeScope();
        using var net = new AttentionUNet(1, 1, new long[] { 2, 4, 6 });
        net.call(torch.randn(2, 1, 12, 12)).square().mean().backward();
        Assert.All(net.named_parameters(), p => Assert.True(p.parameter.grad is not null, p.name + " has no gradient"));
    }

    [Fact]
    public void Forward_WrongChannelCount_NamesTheExpectedShape()
    {
        using var scope = torch.NewDisposeScope();
        using var net = new AttentionUNet(3, 1, new long[] { 2, 4 });
        var ex = Assert.Throws<ArgumentException>(() => net.call(torch.zeros(1, 1, 8, 8)));
        Assert.Contains("(N, 3, H, W)", ex.Message);
        Assert.Contains("[1, 1, 8, 8]", ex.Message);
    }
}
