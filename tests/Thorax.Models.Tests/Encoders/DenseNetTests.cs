using System.Text.Json;
using Thorax.Models.Encoders;
using Thorax.Models.Tests.Support;
using Thorax.Models.Weights;
using Xunit.Abstractions;

namespace Thorax.Models.Tests.Encoders;

/// <summary>DenseNet against torchvision 0.14 (tools/golden/densenet/make_densenet_golden.py).</summary>
public class DenseNetTests(ITestOutputHelper output)
{
    private static readonly Lazy<JsonDocument> Doc = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Golden.PathOf("densenet", "densenet.json"))));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void ReducedConfig_TorchSaveFile_LoadsStrictly_AndMatchesTorchvision(int index)
    {
        using var scope = NewDisposeScope();
        var e = Doc.Value.RootElement.GetProperty("reduced")[index];
        var cfg = e.GetProperty("config");
        var inChans = e.GetProperty("in_chans").GetInt32();
        using var net = new DenseNet("reduced", cfg.GetProperty("growth_rate").GetInt32(),
            cfg.GetProperty("block_config").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
            cfg.GetProperty("num_init_features").GetInt32(), cfg.GetProperty("bn_size").GetInt32(),
            numClasses: cfg.GetProperty("num_classes").GetInt32(), inChans: inChans);
        Assert.Equal(e.GetProperty("keys").GetInt32(), net.state_dict().Count);
        var result = StateDicts.LoadFile(net, Golden.PathOf("densenet", e.GetProperty("file").GetString()!));
        Assert.True(result.IsComplete);
        net.eval();
        using var _ = no_grad();
        var x = Golden.Decode(e.GetProperty("input"));
        using var cap = net.ForwardWithCapture(x);
        output.WriteLine($"reduced {index}: logits {Golden.Diff(Golden.Decode(e.GetProperty("logits")), cap.Logits)}; norm5 hooked {Golden.Diff(Golden.Decode(e.GetProperty("norm5_hooked")), cap.Norm5Hooked)}");
        Golden.AssertClose(Golden.Decode(e.GetProperty("logits")), cap.Logits, "logits", rtol: 1e-4, atol: 1e-5);
        for (var i = 0; i < 4; i++)
            Golden.AssertClose(Golden.Decode(e.GetProperty($"denseblock{i + 1}")), cap.Blocks[i], $"denseblock{i + 1}", rtol: 1e-4, atol: 1e-5);
        Golden.AssertClose(Golden.Decode(e.GetProperty("norm5_bn")), cap.Norm5, "norm5", rtol: 1e-4, atol: 1e-5);
        Golden.AssertClose(Golden.Decode(e.GetProperty("norm5_hooked")), cap.Norm5Hooked, "norm5 as hooked", rtol: 1e-4, atol: 1e-5);
        // the plain forward and the stride taps are the same computation
        Golden.AssertClose(Golden.Decode(e.GetProperty("logits")), net.call(x), "forward", rtol: 1e-4, atol: 1e-5);
        var taps = net.forward_features(x);
        Golden.AssertClose(Golden.Decode(e.GetProperty("denseblock2")), taps[1], "forward_features[1]", rtol: 1e-4, atol: 1e-5);
    }

    [Theory]
    [InlineData("densenet121")]
    [InlineData("densenet169")]
    [InlineData("densenet201")]
    public void FullSize_TorchvisionKeyList_LoadsStrictly_AndOutputsMatch(string arch)
    {
        using var scope = NewDisposeScope();
        var e = Doc.Value.RootElement.GetProperty("full").EnumerateArray().Single(x => x.GetProperty("arch").GetString() == arch);
        using var net = arch switch
        {
            "densenet121" => DenseNet.DenseNet121(),
            "densenet169" => DenseNet.DenseNet169(),
            _ => DenseNet.DenseNet201(),
        };
        var sd = HashedWeights.FromKeyList(e.GetProperty("keys"));
        StateDicts.Load(net, sd, strict: true, source: $"densenet.json {arch} key list");
        net.eval();
        using var _ = no_grad();
        using var cap = net.ForwardWithCapture(Golden.Decode(e.GetProperty("input")));
        output.WriteLine($"{arch}: logits {Golden.Diff(Golden.Decode(e.GetProperty("logits")), cap.Logits)}; denseblock4 {Golden.Diff(Golden.Decode(e.GetProperty("denseblock4")), cap.DenseBlock4)}");
        Golden.AssertClose(Golden.Decode(e.GetProperty("logits")), cap.Logits, "logits", rtol: 1e-4, atol: 1e-5);
        Golden.AssertClose(Golden.Decode(e.GetProperty("denseblock4")), cap.DenseBlock4, "denseblock4", rtol: 1e-4, atol: 1e-5);
        Golden.AssertClose(Golden.Decode(e.GetProperty("norm5_hooked")), cap.Norm5Hooked, "norm5 as hooked", rtol: 1e-4, atol: 1e-5);
    }

    [Fact]
    public void KeyNames_Channels_AndTaps()
    {
        using var scope = NewDisposeScope();
        using var net = DenseNet.DenseNet121(inChans: 1, numClasses: 3);
        var keys = net.state_dict().Keys.ToHashSet();
        foreach (var key in new[]
                 {
                     "features.conv0.weight", "features.norm0.running_var", "features.denseblock1.denselayer1.norm1.weight",
                     "features.denseblock1.denselayer6.conv2.weight", "features.transition1.conv.weight",
                     "features.transition3.norm.num_batches_tracked", "features.denseblock4.denselayer16.conv1.weight",
                     "features.norm5.bias", "classifier.weight", "classifier.bias",
                 })
            Assert.Contains(key, keys);
        Assert.DoesNotContain("features.transition4.conv.weight", keys);
        Assert.Equal(new[] { 256, 512, 1024, 1024 }, net.FeatureChannels);
        Assert.Equal(new long[] { 64, 1, 7, 7 }, net.state_dict()["features.conv0.weight"].shape);
        net.eval();
        using var _ = no_grad();
        var x = rand(2, 1, 96, 64);
        var taps = net.forward_features(x);
        for (var i = 0; i < 4; i++)
            Assert.Equal(new long[] { 2, net.FeatureChannels[i], 96 / net.FeatureStrides[i], 64 / net.FeatureStrides[i] }, taps[i].shape);
        Assert.Equal(new long[] { 2, 3 }, net.call(x).shape);
        Assert.Throws<ArgumentException>(() => net.call(rand(1, 3, 64, 64)));
        using var noHead = DenseNet.DenseNet201(numClasses: 0);
        Assert.Equal(1920, noHead.NumFeatures);
        Assert.DoesNotContain("classifier.weight", noHead.state_dict().Keys);
    }

    [Fact]
    public void Training_BackwardReachesEveryParameter()
    {
        using var scope = NewDisposeScope();
        using var net = new DenseNet("tiny", 8, [1, 2, 1, 1], 16, numClasses: 3, inChans: 1, dropRate: 0.2);
        net.train();
        var loss = nn.functional.cross_entropy(net.call(rand(2, 1, 64, 64)), tensor(new long[] { 0, 2 }));
        loss.backward();
        foreach (var (name, p) in net.named_parameters())
        {
            Assert.True(p.grad is not null, name);
            Assert.True(p.grad!.isfinite().all().item<bool>(), name);
        }
    }
}
