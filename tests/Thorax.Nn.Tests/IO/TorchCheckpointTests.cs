using System.Text.Json;
using Thorax.Nn.Tests.Support;

namespace Thorax.Nn.Tests.IO;

public sealed class TorchCheckpointTests
{
    internal sealed class Net : Module<Tensor, Tensor>
    {
        private readonly Sequential _features;
        private readonly Linear _classifier;

        public Net()
        {
            _features = RegisterModule("features", new Sequential(
                ("conv0", new Conv2d(1, 4, 3, padding: 1)), ("norm0", new BatchNorm2d(4)), ("relu0", new Relu()), ("pool0", new MaxPool2d(2))));
            _classifier = RegisterModule("classifier", new Linear(4 * 4 * 4, 3));
        }

        protected override Tensor ForwardCore(Tensor input)
        {
            using var f = _features.Forward(input);
            using var flat = f.Flatten(1);
            return _classifier.Forward(flat);
        }
    }

    internal static void AssertNetMatchesPyTorch(StateDict sd)
    {
        using var doc = Golden.Json("net.json");
        using var scope = Torch.NewScope();
        using var net = new Net();
        Assert.Equal(doc.RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetString()).ToArray(), sd.Keys.ToArray());
        net.LoadStateDict(sd);
        net.Eval();
        using var noGrad = Torch.NoGrad();
        var y = net.Forward(Golden.Decode(doc.RootElement.GetProperty("input")));
        Golden.AssertClose(Golden.Decode(doc.RootElement.GetProperty("output")), y, "net output");
    }

    [Fact]
    public void LoadStateDict_PyTorchNet_LoadsByNameAndReproducesOutput()
    {
        using var sd = TorchCheckpoint.LoadStateDict(Golden.PathOf("net.pth"));
        Assert.Equal(DType.Int64, sd["features.norm0.num_batches_tracked"].DType);
        Assert.Equal(3, sd["features.norm0.num_batches_tracked"].ItemInt64());
        AssertNetMatchesPyTorch(sd);
    }

    public static TheoryData<string> TensorKeys()
    {
        using var doc = Golden.Json("tensors.json");
        var d = new TheoryData<string>();
        foreach (var p in doc.RootElement.EnumerateObject()) d.Add(p.Name);
        return d;
    }

    [Theory]
    [MemberData(nameof(TensorKeys))]
    public void Load_TensorsFile_MatchesExactly(string key)
    {
        using var doc = Golden.Json("tensors.json");
        var e = doc.RootElement.GetProperty(key);
        using var root = TorchCheckpoint.Load(Golden.PathOf("tensors.pth"));
        var t = root[key].AsTensor();
        AssertExact(e, t, key);
    }

    internal static void AssertExact(JsonElement e, Tensor t, string key)
    {
        Assert.Equal(e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray(), t.Shape);
        Assert.Equal(e.GetProperty("dtype").GetString(), t.DType.TorchName());
        var values = e.GetProperty("values").EnumerateArray().ToArray();
        if (t.DType.IsFloatingPoint())
        {
            using var d = t.To(DType.Float64);
            var a = d.ToArray<double>();
            Assert.Equal(values.Select(v => v.GetDouble()).ToArray(), a);
        }
        else
        {
            using var d = t.To(DType.Int64);
            Assert.Equal(values.Select(v => v.GetInt64()).ToArray(), d.ToArray<long>());
        }
    }

    [Fact]
    public void Load_NestedCheckpoint_ReturnsTypedTree()
    {
        using var doc = Golden.Json("nested.json");
        var exp = doc.RootElement;
        using var root = TorchCheckpoint.Load(Golden.PathOf("nested.pth"));
        Assert.Equal(CheckpointValueKind.Dict, root.Kind);
        Assert.Multiple(
            () => Assert.Equal(3, root["epoch"].AsInt64()),
            () => Assert.Equal(0.875, root["best"].AsDouble()),
            () => Assert.Equal("tiny", root["name"].AsString()),
            () => Assert.Equal(1L << 40, root["big"].AsInt64()),
            () => Assert.Equal(-5, root["neg"].AsInt64()),
            () => Assert.Equal(new[] { CheckpointValueKind.Bool, CheckpointValueKind.Bool, CheckpointValueKind.None },
                root["flags"].AsList().Select(v => v.Kind).ToArray()),
            () => Assert.Equal(CheckpointValueKind.Tuple, root["shape"].Kind),
            () => Assert.Equal(new long[] { 2, 3 }, root["shape"].AsList().Select(v => v.AsInt64()).ToArray()));

        var model = root["model"];
        Assert.Equal(exp.GetProperty("model_keys").EnumerateArray().Select(k => k.GetString()).ToArray(),
            model.AsDict().Select(kv => kv.Key.AsString()).ToArray());
        using (var w = model["features.conv0.weight"].AsTensor().Flatten())
        using (var wd = w.To(DType.Float64))
            Assert.Equal(exp.GetProperty("conv0_weight").EnumerateArray().Select(v => v.GetDouble()).ToArray(), wd.ToArray<double>());

        var opt = root["optimizer"];
        var state0 = opt["state"].AsDict().Single(kv => kv.Key.Kind == CheckpointValueKind.Int && kv.Key.AsInt64() == 0).Value;
        using (var mb = state0["momentum_buffer"].AsTensor().Flatten())
        using (var mbd = mb.To(DType.Float64))
            Assert.Equal(exp.GetProperty("momentum_buffer_0").EnumerateArray().Select(v => v.GetDouble()).ToArray(), mbd.ToArray<double>());
        var group = opt["param_groups"].AsList()[0];
        Assert.Equal(0.1, group["lr"].AsDouble());
        Assert.Equal(0.9, group["momentum"].AsDouble());
        Assert.False(group["nesterov"].AsBool());
        Assert.Equal(exp.GetProperty("num_params").GetInt32(), group["params"].AsList().Count);
    }

    [Fact]
    public void LoadStateDict_NestedCheckpointWithKey_ReturnsTheModelDict()
    {
        using var sd = TorchCheckpoint.LoadStateDict(Golden.PathOf("nested.pth"), "model");
        Assert.Equal(9, sd.Count);
        var ex = Assert.Throws<WeightFileException>(() => TorchCheckpoint.LoadStateDict(Golden.PathOf("nested.pth"), "missing"));
        Assert.Contains("missing", ex.Message);
    }

    [Fact]
    public void LoadStateDict_RootIsNotAStateDict_ThrowsWeightFileException()
    {
        var ex = Assert.Throws<WeightFileException>(() => TorchCheckpoint.LoadStateDict(Golden.PathOf("nested.pth")));
        Assert.Contains("nested.pth", ex.Message);
    }

    [Fact]
    public void Load_LegacyFormat_ThrowsWithResaveAdvice()
    {
        var ex = Assert.Throws<WeightFileException>(() => TorchCheckpoint.Load(Golden.PathOf("legacy.pth")));
        Assert.Contains("_use_new_zipfile_serialization=True", ex.Message);
        Assert.EndsWith("legacy.pth", ex.FilePath);
    }

    [Fact]
    public void Load_PickledModuleObject_RefusesTheClassByName()
    {
        var live = Tensor.LiveCount;
        var ex = Assert.Throws<WeightFileException>(() => TorchCheckpoint.Load(Golden.PathOf("module_object.pth")));
        Assert.Contains("torch.nn.modules.linear.Linear", ex.Message);
        Assert.Contains("module_object.pth", ex.Message);
        Assert.True(Tensor.LiveCount <= live, "no tensor may outlive a refused checkpoint");
    }

    [Fact]
    public void Load_NotAZipFile_Throws()
    {
        var p = Path.Combine(Path.GetTempPath(), $"thorax-nn-{Guid.NewGuid():N}.pth");
        File.WriteAllBytes(p, "hello world"u8.ToArray());
        try
        {
            var ex = Assert.Throws<WeightFileException>(() => TorchCheckpoint.Load(p));
            Assert.Contains("zip", ex.Message);
        }
        finally
        {
            File.Delete(p);
        }
    }

    [Fact]
    public void Load_SharedStorageViews_AreIndependentCopies()
    {
        using var root = TorchCheckpoint.Load(Golden.PathOf("tensors.pth"));
        var b = root["base"].AsTensor();
        var s = root["slice"].AsTensor();
        using (Torch.NoGrad()) s.Fill_(100);
        Assert.Equal(-3.0, b.Select(0, 0).Item());
        Assert.True(root["mat_t"].AsTensor().IsContiguous);
    }
}
