using System.Text.Json;
using Thorax.Models.Encoders;
using Thorax.Models.Segmentation.Zoo;
using Thorax.Models.Tests.Encoders;
using Thorax.Models.Tests.Support;
using Thorax.Models.Weights;
using Xunit.Abstractions;

namespace Thorax.Models.Tests.Segmentation;

/// <summary>U-Net / SCSE-U-Net decoders and AlbuNet against their PyTorch peers (tools/golden/zoo/make_zoo_golden.py).</summary>
public class SegmentationZooTests(ITestOutputHelper output)
{
    private static readonly Lazy<JsonDocument> Doc = new(() => JsonDocument.Parse(File.ReadAllBytes(Golden.PathOf("zoo", "decoders.json"))));

    private static readonly XceptionWidths NarrowX = new(8, 16, 16, 24, 32, 2, 48, 64, 96);

    private static JsonElement Narrow(string name) =>
        Doc.Value.RootElement.GetProperty("narrow").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);

    private static EncoderDecoder Build(string name) => name switch
    {
        "unet_xception_narrow" => new EncoderDecoder(new Xception(1, 0, 0, NarrowX, samePadding: true),
            new UnetDecoder([16, 16, 24, 32, 96], [32, 16, 16, 8, 8]), 2, auxClasses: 3, auxDropout: 0.2),
        "scse_unet_seresnext_narrow" => new EncoderDecoder(new SeResNeXt([1, 2, 1, 1], 4, 16, 3, 0, 0, 16, [8, 16, 16, 24]),
            new UnetDecoder([16, 32, 64, 64, 96], [32, 32, 16, 16, 16], scse: true), 1),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("unet_xception_narrow")]
    [InlineData("scse_unet_seresnext_narrow")]
    public void Narrow_PeerTorchSaveFile_LoadsStrictly_AndLogitsMatch(string name)
    {
        using var scope = NewDisposeScope();
        var e = Narrow(name);
        using var net = Build(name);
        Assert.Equal(e.GetProperty("keys").GetInt32(), net.state_dict().Count);
        Assert.Equal(e.GetProperty("params").GetInt64(), net.parameters().Sum(p => p.numel()));
        Assert.True(StateDicts.LoadFile(net, Golden.PathOf("zoo", e.GetProperty("file").GetString()!), strict: true).IsComplete);
        net.eval();
        using var _ = no_grad();
        var y = net.call(Golden.Decode(e.GetProperty("input")));
        output.WriteLine($"{name}: logits {EncoderZooTests.Err(Golden.Decode(e.GetProperty("output")), y)}");
        EncoderZooTests.AssertMatch(Golden.Decode(e.GetProperty("output")), y, name);
        if (e.TryGetProperty("labels", out var labels))
        {
            // segmentation_models' aux_params head (classification_head.3.*) from the same encoder pass
            var (masks, l) = net.ForwardWithLabels(Golden.Decode(e.GetProperty("input")));
            output.WriteLine($"{name}: labels {EncoderZooTests.Err(Golden.Decode(labels), l)}");
            EncoderZooTests.AssertMatch(Golden.Decode(labels), l, name + " labels");
            EncoderZooTests.AssertMatch(Golden.Decode(e.GetProperty("output")), masks, name + " masks with labels");
        }
        else Assert.Throws<InvalidOperationException>(() => net.ForwardWithLabels(Golden.Decode(e.GetProperty("input"))));
    }

    [Fact]
    public void UnetResNet34_HasSegmentationModelsKeysShapesAndParameterCount()
    {
        using var scope = NewDisposeScope();
        var e = Doc.Value.RootElement.GetProperty("unet_resnet34");
        using var net = SegmentationZoo.Create("resnet34", "unet", inChans: 3, classes: 1);
        Assert.Equal(24_436_369, e.GetProperty("params").GetInt64()); // segmentation_models' Unet("resnet34")
        Assert.Equal(e.GetProperty("params").GetInt64(), net.parameters().Sum(p => p.numel()));
        var sd = HashedWeights.FromKeyList(e.GetProperty("keys"));
        Assert.True(StateDicts.Load(net, sd, strict: true, source: "decoders.json unet_resnet34").IsComplete);
        Assert.Contains("decoder.blocks.0.conv1.0.weight", sd.Keys);
        Assert.Contains("segmentation_head.0.weight", sd.Keys);
        Assert.Contains("encoder.layer4.2.bn2.running_var", sd.Keys);
        net.eval();
        using var _ = no_grad();
        Assert.Equal(new long[] { 1, 1, 64, 96 }, net.call(rand(1, 3, 64, 96)).shape);
    }

    [Fact]
    public void AlbuNet_PeerKeyListWithAliases_LoadsStrictly_AndOutputMatches()
    {
        using var scope = NewDisposeScope();
        var e = Doc.Value.RootElement.GetProperty("albunet");
        using var net = new AlbuNet();
        var keys = e.GetProperty("keys");
        Assert.Equal(keys.GetArrayLength(), net.state_dict().Count);
        Assert.Equal(e.GetProperty("params").GetInt64(), net.parameters().Sum(p => p.numel()));
        var sd = HashedWeights.FromKeyList(keys);
        foreach (var alias in e.GetProperty("aliases").EnumerateObject())
        {
            sd[alias.Name].Dispose();
            sd[alias.Name] = sd[alias.Value.GetString()!].clone();
        }
        StateDicts.Load(net, sd, strict: true, source: "decoders.json albunet");
        Assert.Contains("conv2.0.conv1.weight", sd.Keys);
        Assert.Contains("encoder.fc.weight", sd.Keys);
        Assert.Contains("center.block.1.conv.weight", sd.Keys);
        net.eval();
        using var _ = no_grad();
        var y = net.call(Golden.Decode(e.GetProperty("input")));
        output.WriteLine($"albunet: logits {EncoderZooTests.Err(Golden.Decode(e.GetProperty("output")), y)}");
        EncoderZooTests.AssertMatch(Golden.Decode(e.GetProperty("output")), y, "albunet");
        Assert.Throws<ArgumentException>(() => net.call(rand(1, 3, 96, 96)));
    }

    [Fact]
    public void Zoo_EveryEncoderWithUnetAndScse_GivesInputSizedLogits()
    {
        using var scope = NewDisposeScope();
        Assert.Contains("unet", SegmentationZoo.DecoderNames);
        Assert.Contains("scse-unet", SegmentationZoo.DecoderNames);
        Assert.Contains("albunet", SegmentationZoo.DecoderNames);
        foreach (var enc in new[] { "resnet18", "densenet121", "xception", "seresnext50_32x4d", "efficientnet_b0", "inception_resnet_v2" })
        {
            using var net = SegmentationZoo.Create(enc, enc == "xception" ? "scse-unet" : "unet", inChans: 1, classes: 2);
            net.eval();
            using var _ = no_grad();
            Assert.Equal(new long[] { 1, 2, 64, 64 }, net.call(rand(1, 1, 64, 64)).shape);
        }
        using var albu = SegmentationZoo.Create("resnet34", "albunet", inChans: 1, classes: 1);
        Assert.IsType<AlbuNet>(albu);
        Assert.Throws<ArgumentException>(() => SegmentationZoo.Create("resnet18", "albunet"));
        var unknown = Assert.Throws<ArgumentException>(() => SegmentationZoo.Create("resnet18", "pspnet"));
        Assert.Contains("scse-unet", unknown.Message);
        Assert.Throws<ArgumentException>(() => SegmentationZoo.Create("vgg", "unet"));
    }

    [Fact]
    public void Register_AddsADecoderByName()
    {
        using var scope = NewDisposeScope();
        SegmentationZoo.Register("unet-narrow-test", "a narrow U-Net for this test",
            r => SegmentationZoo.Build(r, "unet-narrow-test", fe => new UnetDecoder(SegmentationZoo.EncoderChannels(fe, withStem: false), [16, 16, 8, 8, 8])));
        using var net = SegmentationZoo.Create("resnet18", "unet-narrow-test", inChans: 1, classes: 1);
        var ed = Assert.IsType<EncoderDecoder>(net);
        Assert.Equal(8, ed.Decoder.OutChannels);
        // without the stride-2 map the decoder has no skip at its last two blocks: 16 + 0 input channels at block 4
        Assert.Equal(new long[] { 8, 8, 3, 3 }, net.state_dict()["decoder.blocks.4.conv1.0.weight"].shape);
        net.eval();
        using var _ = no_grad();
        Assert.Equal(new long[] { 2, 1, 64, 64 }, net.call(rand(2, 1, 64, 64)).shape);
    }

    [Fact]
    public void Training_BackwardReachesEveryParameter()
    {
        using var scope = NewDisposeScope();
        using var net = Build("scse_unet_seresnext_narrow");
        net.train();
        var y = net.call(rand(2, 3, 64, 64));
        nn.functional.binary_cross_entropy_with_logits(y, rand(2, 1, 64, 64).gt(0.5).to_type(ScalarType.Float32)).backward();
        foreach (var (n, p) in net.named_parameters())
        {
            // as in segmentation_models, attention1 of the last block (which has no skip) exists but is not applied
            if (n.StartsWith("decoder.blocks.4.attention1.", StringComparison.Ordinal))
            {
                Assert.True(p.grad is null, n);
                continue;
            }
            Assert.True(p.grad is not null, n);
            Assert.True(p.grad!.isfinite().all().item<bool>(), n);
        }
    }
}
