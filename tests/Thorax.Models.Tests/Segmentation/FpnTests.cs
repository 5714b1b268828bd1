using System.Text.Json;
using Thorax.Models.Encoders;
using Thorax.Models.Segmentation;
using Thorax.Models.Tests.Support;
using Thorax.Models.Weights;
using Xunit.Abstractions;

namespace Thorax.Models.Tests.Segmentation;

/// <summary>FPN against tools/ptx/ptx_peer.py (segmentation_models_pytorch keys), golden tests/data/golden/ptx/fpn.json
/// from tools/golden/ptx/make_fpn_golden.py.</summary>
public class FpnTests(ITestOutputHelper output)
{
    private static readonly Lazy<JsonDocument> Doc = new(() => JsonDocument.Parse(File.ReadAllBytes(Golden.PathOf("ptx", "fpn.json"))));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void HashedWeights_LoadStrictly_AndLogitsMatchThePyTorchPeer(int index)
    {
        using var scope = torch.NewDisposeScope();
        var e = Doc.Value.RootElement.GetProperty("cases")[index];
        var net = new Fpn(ResNet.ResNet18(inChans: e.GetProperty("in_chans").GetInt32()), 1,
            e.GetProperty("pyramid_channels").GetInt32(), e.GetProperty("segmentation_channels").GetInt32());
        var sd = HashedWeights.FromKeyList(e.GetProperty("keys"));
        Assert.Equal(sd.Keys.OrderBy(k => k, StringComparer.Ordinal), net.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal));
        StateDicts.Load(net, sd, strict: true, "fpn.json");
        net.eval();
        using var noGrad = torch.no_grad();
        var y = net.call(Golden.Decode(e.GetProperty("input")));
        var expected = Golden.Decode(e.GetProperty("logits"));
        output.WriteLine($"{e.GetProperty("name").GetString()}: {Golden.Diff(expected, y)}");
        Golden.AssertClose(expected, y, "logits", rtol: 1e-4, atol: 1e-5);
    }

    [Fact]
    public void StateDict_HasSegmentationModelsKeys()
    {
        using var net = new Fpn(ResNet.ResNet18(), 1, 64, 32);
        var keys = net.state_dict().Keys.ToHashSet();
        foreach (var k in new[] { "encoder.conv1.weight", "encoder.layer4.1.bn2.running_var", "decoder.p5.weight", "decoder.p4.skip_conv.bias",
                     "decoder.seg_blocks.0.block.2.block.1.weight", "decoder.seg_blocks.3.block.0.block.0.weight", "segmentation_head.0.bias" })
            Assert.Contains(k, keys);
        Assert.DoesNotContain(keys, k => k.StartsWith("encoder.fc", StringComparison.Ordinal));
        // seg_blocks.3 (p2) has no upsampling: one block only
        Assert.DoesNotContain("decoder.seg_blocks.3.block.1.block.0.weight", keys);
    }

    [Fact]
    public void Forward_GivesInputResolution_AndRejectsSizesOffTheStride()
    {
        using var scope = torch.NewDisposeScope();
        using var net = new Fpn(ResNet.ResNet18(inChans: 1), 2, 32, 32);
        net.eval();
        Assert.Equal(new long[] { 2, 2, 64, 96 }, net.call(torch.rand(2, 1, 64, 96)).shape);
        var ex = Assert.Throws<ArgumentException>(() => net.call(torch.rand(1, 1, 60, 64)));
        Assert.Contains("multiples of 32", ex.Message);
    }

    [Fact]
    public void FreshNetwork_IsInitialisedLikeSegmentationModels_SoLogitsAreModerate()
    {
        // TorchSharp's GroupNorm leaves weight/bias uninitialised; the FPN sets them to 1/0 (a fresh net once gave 1e33 logits).
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        using var net = new Fpn(ResNet.ResNet18(), 1, 32, 32);
        foreach (var (n, p) in net.named_parameters())
        {
            if (n.EndsWith("block.1.weight", StringComparison.Ordinal)) Assert.True(p.eq(1).all().item<bool>(), n);
            if (n.EndsWith("block.1.bias", StringComparison.Ordinal) || n == "segmentation_head.0.bias") Assert.True(p.eq(0).all().item<bool>(), n);
        }
        net.train();
        var y = net.call(torch.randn(4, 3, 64, 64));
        Assert.True(y.abs().max().item<float>() < 100, $"max |logit| {y.abs().max().item<float>()}");
    }

    [Fact]
    public void Constructor_RejectsAnEncoderWithoutFeatureTaps_AndBadWidths()
    {
        Assert.Throws<ArgumentException>(() => new Fpn(torch.nn.Identity(), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Fpn(ResNet.ResNet18(), 1, 64, 48));
    }

    [Theory]
    [InlineData("efficientnet_b0")]
    [InlineData("seresnext50_32x4d")]
    public void Zoo_Fpn_OverAnyZooEncoder_GivesFullResolutionLogits_WithEncoderKeys(string encoder)
    {
        Assert.Contains("fpn", Thorax.Models.Segmentation.Zoo.SegmentationZoo.DecoderNames);
        using var scope = torch.NewDisposeScope();
        using var net = Thorax.Models.Segmentation.Zoo.SegmentationZoo.Create(encoder, "fpn", inChans: 1, classes: 2, decoderChannels: [64, 32]);
        net.eval();
        using var noGrad = torch.no_grad();
        var y = net.call(torch.rand(1, 1, 64, 64));
        Assert.Equal(new long[] { 1, 2, 64, 64 }, y.shape);
        Assert.True(torch.isfinite(y).all().item<bool>());
        var keys = net.state_dict().Keys.ToList();
        Assert.Contains(keys, k => k.StartsWith("encoder.", StringComparison.Ordinal));
        Assert.Contains("segmentation_head.0.weight", keys);
        Assert.Throws<ArgumentException>(() => Thorax.Models.Segmentation.Zoo.SegmentationZoo.Create(encoder, "fpn", 1, 1, decoderChannels: [32]));
    }
}
