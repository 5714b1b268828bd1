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
    /// <summary>torchvision's DenseNet(memory_efficient=True) in training and eval mode
    /// (tools/golden/densenet/make_densenet_memory_efficient_golden.py): the checkpointed bottleneck gives torchvision's
    /// logits and gradients, and updates norm1's running statistics twice per training step as PyTorch's checkpoint does.</summary>
    [Theory]
    [InlineData("plain_train", false, true)]
    [InlineData("efficient_train", true, true)]
    [InlineData("efficient_eval", true, false)]
    public void MemoryEfficient_GradientsAndStatistics_MatchTorchvision(string key, bool memoryEfficient, bool train)
    {
        using var scope = NewDisposeScope();
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Golden.PathOf("densenet", "memory_efficient.json")));
        var g = doc.RootElement;
        var cfg = g.GetProperty("config");
        using var net = new DenseNet("reduced", cfg.GetProperty("growth_rate").GetInt32(),
            cfg.GetProperty("block_config").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
            cfg.GetProperty("num_init_features").GetInt32(), cfg.GetProperty("bn_size").GetInt32(),
            numClasses: cfg.GetProperty("num_classes").GetInt32(), memoryEfficient: memoryEfficient);
        Assert.Equal(memoryEfficient, net.MemoryEfficient);
        StateDicts.LoadFile(net, Golden.PathOf("densenet", g.GetProperty("weights").GetString()!));
        net.train(train);
        var e = g.GetProperty(key);
        var x = Golden.Decode(g.GetProperty("input")).requires_grad_(true);
        var logits = net.call(x);
        var loss = logits.mul(Golden.Decode(g.GetProperty("loss_weights"))).sum();
        loss.backward();
        Golden.AssertClose(Golden.Decode(e.GetProperty("logits")), logits, $"{key} logits", rtol: 1e-4, atol: 1e-5);
        var expectedInputGrad = Golden.Decode(e.GetProperty("input_grad"));
        var inputScale = expectedInputGrad.abs().max().item<float>();
        output.WriteLine($"{key}: input gradient {Golden.Diff(expectedInputGrad, x.grad!)} (scale {inputScale:G3})");
        // float32 through a training-mode backward of 8 dense layers: compared at 1e-4 of the gradient's scale
        Golden.AssertClose(expectedInputGrad, x.grad!, $"{key} input gradient", rtol: 1e-3, atol: 1e-4 * inputScale);
        var ps = net.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var p in e.GetProperty("grads").EnumerateObject())
        {
            var expected = Golden.Decode(p.Value);
            var scale = Math.Max(expected.abs().max().item<float>(), 1e-6f);
            Golden.AssertClose(expected, ps[p.Name].grad!, $"{key} gradient of {p.Name}", rtol: 1e-3, atol: 1e-4 * scale);
        }
        var buffers = net.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        foreach (var b in e.GetProperty("buffers").EnumerateObject())
            Golden.AssertClose(Golden.Decode(b.Value), buffers[b.Name].to_type(ScalarType.Float32), $"{key} buffer {b.Name}", rtol: 1e-4, atol: 1e-5);
        // the recomputation in backward updates norm1's statistics a second time in training (PyTorch's checkpoint),
        // never in eval mode; other norms (norm2, transitions, norm5) once
        // (the golden weights were saved with num_batches_tracked = 7)
        var tracked = buffers["features.denseblock2.denselayer2.norm1.num_batches_tracked"].item<long>();
        Assert.Equal(7 + (train ? (memoryEfficient ? 2L : 1L) : 0L), tracked);
        Assert.Equal(7 + (train ? 1L : 0L), buffers["features.denseblock2.denselayer2.norm2.num_batches_tracked"].item<long>());
    }

    [Fact]
    public void MemoryEfficient_SameAsPlain_OnEveryPath_AndSwitchable()
    {
        // Without gradients the checkpoint is not used; with gradients the values equal the plain path's; first-layer
        // inputs that do not require gradients (frozen stem) still give the parameters their gradients.
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var net = new DenseNet("tiny", 8, [2, 3, 2, 2], 16, numClasses: 3, inChans: 1);
        net.eval();
        var x = rand(2, 1, 64, 64);
        Tensor plainLogits, plainGrad;
        {
            var y = net.call(x);
            y.sum().backward();
            plainLogits = y.detach().clone();
            plainGrad = net.named_parameters().Single(p => p.name == "features.denseblock3.denselayer2.conv1.weight").parameter.grad!.clone();
        }
        net.zero_grad();
        net.MemoryEfficient = true;
        Assert.True(net.MemoryEfficient);
        var y2 = net.call(x);
        y2.sum().backward();
        Assert.True(allclose(plainLogits, y2.detach(), rtol: 1e-5, atol: 1e-6));
        var g2 = net.named_parameters().Single(p => p.name == "features.denseblock3.denselayer2.conv1.weight").parameter.grad!;
        Assert.True(allclose(plainGrad, g2, rtol: 1e-4, atol: 1e-6), "checkpointed gradient differs from the plain one");
        foreach (var (name, p) in net.named_parameters())
            Assert.True(p.grad is not null && p.grad.isfinite().all().item<bool>(), name);
        using (no_grad()) Assert.True(allclose(plainLogits, net.call(x), rtol: 1e-5, atol: 1e-6));
        net.MemoryEfficient = false;
        Assert.False(net.MemoryEfficient);
    }
}
