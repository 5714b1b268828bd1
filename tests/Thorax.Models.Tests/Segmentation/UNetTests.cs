using Thorax.Models.Segmentation;

namespace Thorax.Models.Tests.Segmentation;

public class UNetTests
{
    [Theory]
    [InlineData(1, 64, 64)]
    [InlineData(3, 50, 70)] // sizes that are not multiples of 2^depth are padded back to the skip size
    public void Forward_ReturnsLogitsOfTheInputSize(int channels, int h, int w)
    {
        using var scope = torch.NewDisposeScope();
        using var net = new UNet(channels, 2, new long[] { 4, 8, 16 });
        var y = net.call(torch.randn(2, channels, h, w));
        Assert.Equal(new long[] { 2, 2, h, w }, y.shape);
    }

    [Fact]
    public void StateDict_UsesThePyTorchUNetNames_AndParameterCountMatchesClosedForm()
    {
        using var net = new UNet(1, 1, new long[] { 8, 16 });
        var names = net.state_dict().Keys.ToList();
        Assert.Contains("inc.double_conv.0.weight", names);
        Assert.Contains("inc.double_conv.1.running_mean", names);
        Assert.Contains("down1.maxpool_conv.1.double_conv.3.weight", names);
        Assert.Contains("up1.up.weight", names);
        Assert.Contains("up1.conv.double_conv.4.num_batches_tracked", names);
        Assert.Contains("outc.conv.bias", names);
        Assert.Equal(names.Count, names.Distinct().Count());
        // inc: 1*8*9 + 8*8*9 + 2*(8+8); down1: 8*16*9 + 16*16*9 + 2*(16+16); up1: 16*8*4 + 8 + 16*8*9 + 8*8*9 + 2*(8+8); outc: 8 + 1
        long expected = (72 + 576 + 32) + (1152 + 2304 + 64) + (512 + 8 + 1152 + 576 + 32) + 9;
        Assert.Equal(expected, SegmentationGolden.ParameterCount(net));
    }

    [Fact]
    public void StateDict_NestedInAnotherModule_KeepsItsKeys()
    {
        // TorchSharp's register_module reflects over a child's fields; the networks register their children explicitly,
        // so nesting must not add keys named after private fields.
        using var outer = new Holder(new UNet(1, 1, new long[] { 4, 8 }));
        using var alone = new UNet(1, 1, new long[] { 4, 8 });
        Assert.Equal(alone.state_dict().Keys.Select(k => "net." + k), outer.state_dict().Keys);
    }

    [Fact]
    public void Forward_WrongChannelCount_NamesTheExpectedShape()
    {
        using var scope = torch.NewDisposeScope();
        using var net = new UNet(1, 1, new long[] { 4, 8 });
        var ex = Assert.Throws<ArgumentException>(() => net.call(torch.zeros(1, 3, 32, 32)));
        Assert.Contains("(N, 1, H, W)", ex.Message);
    }

    private sealed class Holder : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> _inner;

        public Holder(nn.Module<Tensor, Tensor> inner) : base(nameof(Holder))
        {
            _inner = inner;
            register_module("net", inner); // runs inner.RegisterComponents()
        }

        public override Tensor forward(Tensor input) => _inner.call(input);
    }
}
