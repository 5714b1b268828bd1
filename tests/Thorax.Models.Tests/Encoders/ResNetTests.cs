using Thorax.Models.Encoders;
using static TorchSharp.torch;

namespace Thorax.Models.Tests.Encoders;

public class ResNetTests
{
    [Fact]
    public void StateDictKeys_AreTorchvisions()
    {
        // torchvision's resnet18 / resnet34 / resnet50 state dicts (with fc, num_batches_tracked included): 122 / 218 / 320.
        using (var r18 = ResNet.ResNet18(numClasses: 1000)) Assert.Equal(122, r18.state_dict().Count);
        using (var r50 = ResNet.ResNet50(numClasses: 1000)) Assert.Equal(320, r50.state_dict().Count);
        using var r34 = ResNet.ResNet34(numClasses: 1000);
        var keys = r34.state_dict().Keys.ToHashSet();
        Assert.Equal(218, keys.Count);
        foreach (var key in new[]
                 {
                     "conv1.weight", "bn1.running_mean", "bn1.num_batches_tracked", "layer1.0.conv1.weight",
                     "layer1.2.bn2.running_var", "layer2.0.downsample.0.weight", "layer2.0.downsample.1.bias",
                     "layer3.5.conv2.weight", "layer4.2.bn2.weight", "fc.weight", "fc.bias",
                 })
            Assert.Contains(key, keys);
        Assert.DoesNotContain("layer1.0.downsample.0.weight", keys);
        using var noFc = ResNet.ResNet34();
        Assert.Equal(216, noFc.state_dict().Count);
    }

    [Fact]
    public void Bottleneck_OneChannel_FeatureTapsAtStrides4To32()
    {
        using var scope = NewDisposeScope();
        using var net = ResNet.ResNet50(inChans: 1);
        net.eval();
        Assert.Equal(new[] { 256, 512, 1024, 2048 }, net.FeatureChannels);
        Assert.Equal(new[] { 4, 8, 16, 32 }, net.FeatureStrides);
        using var _ = no_grad();
        var x = randn(2, 1, 64, 96);
        var maps = net.forward_features(x);
        for (var i = 0; i < 4; i++)
            Assert.Equal(new long[] { 2, net.FeatureChannels[i], 64 / net.FeatureStrides[i], 96 / net.FeatureStrides[i] }, maps[i].shape);
        Assert.Equal(new long[] { 2, 2048 }, net.call(x).shape);
        Assert.Throws<ArgumentException>(() => net.call(randn(1, 3, 64, 64)));
    }

    [Fact]
    public void ExplicitTorchvisionPadding_EqualsTheDefault()
    {
        using var scope = NewDisposeScope();
        using var a = ResNet.ResNet18(numClasses: 10);
        using var b = ResNet.ResNet18(numClasses: 10, padding: ResNetPadding.Torchvision);
        b.load_state_dict(a.state_dict());
        a.eval();
        b.eval();
        using var _ = no_grad();
        var x = randn(1, 3, 67, 53);   // odd sizes too: the same pads written out explicitly
        Assert.True(allclose(a.call(x), b.call(x), rtol: 0, atol: 1e-5));
    }
}
