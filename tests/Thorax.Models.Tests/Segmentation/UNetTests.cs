using Thorax.Models.Segmentation;

namespace Thorax.Models.Tests.Segmentation;

public class UNetTests
{
    [Theory]
    [InlineData(1, 64, 64)]
    [InlineData(3, 50, 70)] // sizes that are not multiples of 2^depth are padded back to the skip size
    public void Forward_ReturnsLogitsOfTheInputSize(int channels, int h, int w)
    {
        using var scope = Torch.NewScope();
        using var net = new UNet(channels, 2, new long[] { 4, 8, 16 });
        var y = net.Forward(Torch.Randn(2, channels, h, w));
        Assert.Equal(new long[] { 2, 2, h, w }, y.Shape);
    }

    [Fact]
    public void StateDict_UsesThePyTorchUNetNames_AndParameterCountMatchesClosedForm()
    {
        using var net = new UNet(1, 1, new long[] { 8, 16 });
        var names = net.StateDict().Keys.ToList();
        Assert.Contains("inc.double_conv.0.weight", names);
        Assert.Contains("inc.double_conv.1.running_mean", names);
        Assert.Contains("down1.maxpool_conv.1.double_conv.3.weight", names);
        Assert.Contains("up1.up.weight", names);
        Assert.Contains("up1.conv.double_conv.4.num_batches_tracked", names);
        Assert.Contains("outc.conv.bias", names);
        // inc: 1*8*9 + 8*8*9 + 2*(8+8); down1: 8*16*9 + 16*16*9 + 2*(16+16); up1: 16*8*4 + 8 + 16*8*9 + 8*8*9 + 2*(8+8); outc: 8 + 1
        long expected = (72 + 576 + 32) + (1152 + 2304 + 64) + (512 + 8 + 1152 + 576 + 32) + 9;
        Assert.Equal(expected, net.Parameters().Sum(p => p.NumEl));
    }

    [Fact]
    public void Forward_WrongChannelCount_NamesTheExpectedShape()
    {
        using var scope = Torch.NewScope();
        using var net = new UNet(1, 1, new long[] { 4, 8 });
        var ex = Assert.Throws<TorchException>(() => net.Forward(Torch.Zeros(1, 3, 32, 32)));
        Assert.Contains("(N, 1, H, W)", ex.Message);
    }
}
