using System.Text.Json;
using Thorax.Models.Encoders;
using Thorax.Models.Tests.Support;
using Thorax.Models.Weights;
using TorchSharp.Modules;
using Xunit.Abstractions;

namespace Thorax.Models.Tests.Encoders;

/// <summary>
/// The zoo encoders against their PyTorch peers (tools/golden/zoo/make_zoo_golden.py): full-size models with hashed
/// weights rebuilt from the peer's key list (strict load: names, shapes, parameter counts), narrow variants from the
/// peer's torch.save files, fp32 outputs to 1e-4 relative.
/// </summary>
public class EncoderZooTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, Lazy<JsonDocument>> Docs = new[] { "xception", "seresnext", "efficientnet", "inceptionresnetv2" }
        .ToDictionary(n => n, n => new Lazy<JsonDocument>(() => JsonDocument.Parse(File.ReadAllBytes(Golden.PathOf("zoo", n + ".json")))));

    private static JsonElement Entry(string family, string section, string name) =>
        Docs[family].Value.RootElement.GetProperty(section).EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);

    internal static nn.Module<Tensor, Tensor> FullSize(string name) => name switch
    {
        "legacy_xception" => Xception.Create(3, 1000),
        "legacy_xception_same_1ch" => Xception.Create(1, 1000, samePadding: true),
        "seresnext50_32x4d" => SeResNeXt.SeResNeXt50_32x4d(),
        "inception_resnet_v2" => new InceptionResNetV2(),
        "inception_resnet_v2_same_1ch" => new InceptionResNetV2(1, 1000, 0, samePadding: true),
        _ when name.StartsWith("efficientnet_b", StringComparison.Ordinal) => EfficientNet.B(name[^1] - '0'),
        _ => throw new ArgumentException(name),
    };

    private static double Scale(Tensor t) => Math.Max(1.0, t.abs().max().item<float>());

    /// <summary>For the logs: max |actual - expected| and that divided by max |expected| (the scale-relative error).</summary>
    internal static string Err(Tensor expected, Tensor actual)
    {
        using var scope = NewDisposeScope();
        var d = (actual.detach().to_type(ScalarType.Float64) - expected.detach().to_type(ScalarType.Float64)).abs().max().item<double>();
        var m = expected.detach().abs().max().item<float>();
        return $"max |diff| {d:G3} = {d / Math.Max(m, 1e-30):G3} of max |expected| {m:G3}";
    }

    /// <summary>1e-4 relative, with an absolute floor of 1e-5 of the tensor's largest magnitude (for values near 0).</summary>
    internal static void AssertMatch(Tensor expected, Tensor actual, string what) =>
        Golden.AssertClose(expected, actual, what, rtol: 1e-4, atol: 1e-5 * Scale(expected));

    [Theory]
    [InlineData("xception", "legacy_xception")]
    [InlineData("xception", "legacy_xception_same_1ch")]
    [InlineData("seresnext", "seresnext50_32x4d")]
    [InlineData("efficientnet", "efficientnet_b0")]
    [InlineData("efficientnet", "efficientnet_b1")]
    [InlineData("efficientnet", "efficientnet_b2")]
    [InlineData("efficientnet", "efficientnet_b3")]
    [InlineData("efficientnet", "efficientnet_b4")]
    [InlineData("inceptionresnetv2", "inception_resnet_v2")]
    [InlineData("inceptionresnetv2", "inception_resnet_v2_same_1ch")]
    public void FullSize_PeerKeyList_LoadsStrictly_ParameterCount_AndOutputsMatch(string family, string name)
    {
        using var scope = NewDisposeScope();
        var e = Entry(family, "full", name);
        using var net = FullSize(name);
        var keys = e.GetProperty("keys");
        Assert.Equal(keys.GetArrayLength(), net.state_dict().Count);
        Assert.Equal(e.GetProperty("params").GetInt64(), net.parameters().Sum(p => p.numel()));
        var sd = HashedWeights.FromKeyList(keys);
        StateDicts.Load(net, sd, strict: true, source: $"{family}.json {name} key list");
        net.eval();
        using var _ = no_grad();
        var x = Golden.Decode(e.GetProperty("input"));
        var logits = net.call(x);
        output.WriteLine($"{name}: logits {Err(Golden.Decode(e.GetProperty("logits")), logits)}");
        AssertMatch(Golden.Decode(e.GetProperty("logits")), logits, name + " logits");
        var taps = ((IStemFeatureEncoder)net).forward_features_with_stem(x);
        var golden = e.GetProperty("taps").EnumerateArray().ToArray();
        Assert.Equal(golden.Length, taps.Length);
        for (var i = 0; i < taps.Length; i++)
        {
            var g = golden[i];
            Assert.Equal(g.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray(), taps[i].shape);
            var mean = taps[i].mean([0, 2, 3]);
            var sample = taps[i].flatten().index_select(0, Golden.Decode(g.GetProperty("index")));
            output.WriteLine($"  tap {i} {string.Join("x", taps[i].shape)}: channel means {Err(Golden.Decode(g.GetProperty("channel_mean")), mean)}, sample {Err(Golden.Decode(g.GetProperty("sample")), sample)}");
            AssertMatch(Golden.Decode(g.GetProperty("channel_mean")), mean, $"{name} tap {i} channel means");
            AssertMatch(Golden.Decode(g.GetProperty("sample")), sample, $"{name} tap {i} sample");
        }
        // forward_features is the same computation without the stride-2 map
        var fe = (IFeatureEncoder)net;
        var four = fe.forward_features(x);
        Assert.Equal(4, four.Length);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(fe.FeatureChannels[i], four[i].shape[1]);
            AssertMatch(taps[i + 1], four[i], $"{name} forward_features[{i}]");
        }
    }

    internal static nn.Module<Tensor, Tensor> Narrow(string name) => name switch
    {
        "xception_narrow_1ch" => new Xception(1, 5, 0, new XceptionWidths(8, 16, 16, 24, 32, 2, 48, 64, 96)),
        "seresnext_narrow" => new SeResNeXt([1, 2, 1, 1], 4, 16, 3, 4, 0, 16, [8, 16, 16, 24]),
        "efficientnet_narrow_1ch" => new EfficientNet(0.25, 0.25, 1, 3),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("xception", "xception_narrow_1ch")]
    [InlineData("seresnext", "seresnext_narrow")]
    [InlineData("efficientnet", "efficientnet_narrow_1ch")]
    public void Narrow_PeerTorchSaveFile_LoadsStrictly_AndMatchesInFull(string family, string name)
    {
        using var scope = NewDisposeScope();
        var e = Entry(family, "narrow", name);
        using var net = Narrow(name);
        Assert.Equal(e.GetProperty("keys").GetInt32(), net.state_dict().Count);
        Assert.Equal(e.GetProperty("params").GetInt64(), net.parameters().Sum(p => p.numel()));
        var result = StateDicts.LoadFile(net, Golden.PathOf("zoo", e.GetProperty("file").GetString()!), strict: true);
        Assert.True(result.IsComplete);
        net.eval();
        using var _ = no_grad();
        var x = Golden.Decode(e.GetProperty("input"));
        var y = net.call(x);
        output.WriteLine($"{name}: output {Err(Golden.Decode(e.GetProperty("output")), y)}");
        AssertMatch(Golden.Decode(e.GetProperty("output")), y, name + " output");
        var taps = ((IStemFeatureEncoder)net).forward_features_with_stem(x);
        var golden = e.GetProperty("taps").EnumerateArray().ToArray();
        Assert.Equal(golden.Length, taps.Length);
        for (var i = 0; i < taps.Length; i++) AssertMatch(Golden.Decode(golden[i]), taps[i], $"{name} tap {i}");
    }

    [Fact]
    public void Zoo_NamesCreateEveryEncoder_WithTheDocumentedCountsAndTaps()
    {
        using var scope = NewDisposeScope();
        foreach (var spec in EncoderZoo.All)
        {
            if (spec.ParamsWithHead > 0)
            {
                using var withHead = EncoderZoo.Create(spec.Name, 3, 1000);
                Assert.Equal(spec.ParamsWithHead, withHead.parameters().Sum(p => p.numel()));
                Assert.Contains(withHead.state_dict().Keys, k => k.StartsWith(spec.HeadPrefix, StringComparison.Ordinal));
            }
            using var net = EncoderZoo.Create(spec.Name, inChans: 1, samePadding: true);
            var fe = Assert.IsAssignableFrom<IFeatureEncoder>(net);
            Assert.Equal(1, fe.InChans);
            Assert.Equal(new[] { 4, 8, 16, 32 }, fe.FeatureStrides);
            Assert.Equal(spec.Channels.Skip(1), fe.FeatureChannels);
            Assert.Equal(spec.Channels[0], Assert.IsAssignableFrom<IStemFeatureEncoder>(net).StemChannels);
            Assert.Equal(1, net.state_dict()[spec.StemConvKey].shape[1]);
            Assert.DoesNotContain(net.state_dict().Keys, k => k.StartsWith(spec.HeadPrefix, StringComparison.Ordinal));
            output.WriteLine($"{spec.Name}: {spec.KeySource}, channels {string.Join(",", fe.FeatureChannels)}");
        }
        Assert.Equal("xception", EncoderZoo.Spec("legacy_xception").Name);
        Assert.Equal("inception_resnet_v2", EncoderZoo.Spec("InceptionResNetV2").Name);
        var ex = Assert.Throws<ArgumentException>(() => EncoderZoo.Create("vgg16"));
        Assert.Contains("efficientnet_b4", ex.Message);
        Assert.Throws<ArgumentException>(() => EncoderZoo.Create("resnet34", dropRate: 0.2));
    }

    [Fact]
    public void Taps_AreStrideExact_ForEveryEncoderAtSamePadding()
    {
        using var scope = NewDisposeScope();
        foreach (var name in new[] { "resnet18", "densenet121", "xception", "seresnext50_32x4d", "efficientnet_b0", "inception_resnet_v2" })
        {
            using var net = EncoderZoo.Create(name, inChans: 1, samePadding: true);
            net.eval();
            using var _ = no_grad();
            var fe = (IFeatureEncoder)net;
            var taps = fe.forward_features(rand(1, 1, 64, 96));
            for (var i = 0; i < 4; i++)
                Assert.Equal(new long[] { 1, fe.FeatureChannels[i], 64 / fe.FeatureStrides[i], 96 / fe.FeatureStrides[i] }, taps[i].shape);
            if (fe is IStemFeatureEncoder s)
                Assert.Equal(new long[] { 1, s.StemChannels, 32, 48 }, s.forward_features_with_stem(rand(1, 1, 64, 96))[0].shape);
        }
    }

    [Fact]
    public void LoadWeights_TorchSavePlainNestedAndSafetensors_AdaptsTheStem_AndDropsTheHead()
    {
        using var scope = NewDisposeScope();
        var spec = new EncoderSpec("seresnext_narrow", "test", SeResNeXt.StemConvKey, "fc.", 0, [16, 32, 64, 64, 96], _ => throw new NotSupportedException());
        var plain = Golden.PathOf("zoo", "seresnext_narrow.pt");
        var nested = Golden.PathOf("zoo", "seresnext_narrow_nested.pt");
        var file = StateDicts.ReadFile(plain);
        var tmp = Path.Combine(Path.GetTempPath(), $"thorax-zoo-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(tmp, file);
            foreach (var path in new[] { plain, nested, tmp })
            {
                // the file's 3-channel stem into a 1-channel encoder without classifier: timm's rule (sum over channels)
                using var net = new SeResNeXt([1, 2, 1, 1], 4, 16, inChans: 1, numClasses: 0, stemWidth: 16, planes: [8, 16, 16, 24]);
                var sd = path.EndsWith(".safetensors") ? SafeTensors.Load(path) : StateDicts.ReadFile(path);
                var report = EncoderZoo.LoadStateDict(net, spec, sd, strict: true, source: path);
                Assert.True(report.AdaptedStem);
                Assert.Equal(new[] { "fc.weight", "fc.bias" }, report.DroppedHeadKeys.OrderByDescending(k => k));
                Golden.AssertClose(file["conv1.weight"].sum(1, keepdim: true), net.state_dict()["conv1.weight"], "summed stem", rtol: 1e-6, atol: 1e-6);
                Golden.AssertClose(file["layer4.0.se.fc2.weight"], net.state_dict()["layer4.0.se.fc2.weight"], "a deep weight", rtol: 0, atol: 0);
                sd.DisposeAll();
            }
        }
        finally
        {
            File.Delete(tmp);
        }

        // 3 -> 2 channels: repeated and scaled by 3/2
        var w = Golden.Decode(JsonDocument.Parse("""{"shape":[1,3,1,1],"dtype":"float32","b64":"AACAPwAAAEAAAEBA"}""").RootElement);
        Golden.AssertClose(tensor(new float[] { 1.5f, 3f }, [1, 2, 1, 1]), EncoderZoo.AdaptInputConv(w, 2), "3 -> 2 channels");
        Golden.AssertClose(tensor(new float[] { 6f }, [1, 1, 1, 1]), EncoderZoo.AdaptInputConv(w, 1), "3 -> 1 channel");

        // strict loading names every missing, unexpected and mis-shaped key
        using var wrong = new SeResNeXt([1, 1, 1, 1], 4, 16, inChans: 3, numClasses: 4, stemWidth: 16, planes: [8, 16, 16, 32]);
        var err = Assert.Throws<StateDictException>(() => EncoderZoo.LoadStateDict(wrong, spec, file, strict: true, source: plain));
        Assert.Contains("layer2.1.conv1.weight", err.Message); // unexpected (the file has two layer2 blocks)
        Assert.Contains("layer4.0.conv3.weight", err.Message); // mis-shaped
        Assert.Contains("seresnext_narrow.pt", err.Message);
        var lenient = EncoderZoo.LoadStateDict(wrong, spec, file, strict: false, source: plain);
        Assert.Contains("layer2.1.conv1.weight", lenient.Result.UnexpectedKeys);
        Assert.Contains(lenient.Result.Mismatches, m => m.Key == "layer4.0.conv3.weight");
        file.DisposeAll();
    }

    [Fact]
    public void LoadWeights_ByZooName_FromAFile_WithPrefix()
    {
        using var scope = NewDisposeScope();
        var path = Golden.PathOf("zoo", "unet_xception_narrow.pt"); // encoder.* of a narrow Xception U-Net
        using var net = new Xception(1, 0, 0, new XceptionWidths(8, 16, 16, 24, 32, 2, 48, 64, 96), samePadding: true);
        var report = EncoderZoo.LoadWeights(net, "xception", path, strict: true, prefix: "encoder.");
        Assert.True(report.Result.IsComplete);
        Assert.False(report.AdaptedStem);
        var missingPrefix = Assert.Throws<WeightFileException>(() => EncoderZoo.LoadWeights(net, "xception", path, prefix: "backbone."));
        Assert.Contains("backbone.", missingPrefix.Message);
    }

    [Fact]
    public void Training_BackwardReachesEveryParameter()
    {
        using var scope = NewDisposeScope();
        foreach (var name in new[] { "xception_narrow_1ch", "seresnext_narrow", "efficientnet_narrow_1ch" })
        {
            using var net = Narrow(name);
            net.train();
            var inChans = name.EndsWith("1ch") ? 1 : 3;
            var y = net.call(rand(2, inChans, 64, 64));
            y.square().mean().backward();
            foreach (var (n, p) in net.named_parameters())
            {
                Assert.True(p.grad is not null, $"{name}: {n}");
                Assert.True(p.grad!.isfinite().all().item<bool>(), $"{name}: {n}");
            }
        }
    }
}
