using Thorax.Models.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Models.Tests.Weights;

public sealed class TorchCheckpointTests
{
    [Fact]
    public void LoadStateDict_PyTorchNet_LoadsByNameAndReproducesOutput()
    {
        var sd = TorchCheckpoint.LoadStateDict(WeightGolden.PathOf("net.pth"));
        try
        {
            var nbt = sd["features.norm0.num_batches_tracked"];
            Assert.Equal(ScalarType.Int64, nbt.dtype);
            Assert.Empty(nbt.shape);
            Assert.Equal(3L, nbt.item<long>());
            GoldenNet.AssertMatchesPyTorch(sd);
        }
        finally
        {
            sd.DisposeAll();
        }
    }

    public static TheoryData<string> TensorKeys()
    {
        using var doc = WeightGolden.Json("tensors.json");
        var d = new TheoryData<string>();
        foreach (var p in doc.RootElement.EnumerateObject()) d.Add(p.Name);
        return d;
    }

    [Theory]
    [MemberData(nameof(TensorKeys))]
    public void Load_TensorsFile_MatchesExactly(string key)
    {
        using var doc = WeightGolden.Json("tensors.json");
        using var root = TorchCheckpoint.Load(WeightGolden.PathOf("tensors.pth"));
        WeightGolden.AssertExact(doc.RootElement.GetProperty(key), root[key].AsTensor(), key);
    }

    [Fact]
    public void Load_NestedCheckpoint_ReturnsTypedTree()
    {
        using var doc = WeightGolden.Json("nested.json");
        var exp = doc.RootElement;
        using var root = TorchCheckpoint.Load(WeightGolden.PathOf("nested.pth"));
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
        Assert.Equal(exp.GetProperty("conv0_weight").EnumerateArray().Select(v => v.GetDouble()).ToArray(),
            WeightGolden.Doubles(model["features.conv0.weight"].AsTensor()));

        var opt = root["optimizer"];
        var state0 = opt["state"].AsDict().Single(kv => kv.Key.Kind == CheckpointValueKind.Int && kv.Key.AsInt64() == 0).Value;
        Assert.Equal(exp.GetProperty("momentum_buffer_0").EnumerateArray().Select(v => v.GetDouble()).ToArray(),
            WeightGolden.Doubles(state0["momentum_buffer"].AsTensor()));
        var group = opt["param_groups"].AsList()[0];
        Assert.Equal(exp.GetProperty("lr").GetDouble(), group["lr"].AsDouble());
        Assert.Equal(exp.GetProperty("momentum").GetDouble(), group["momentum"].AsDouble());
        Assert.False(group["nesterov"].AsBool());
        Assert.Equal(exp.GetProperty("num_params").GetInt32(), group["params"].AsList().Count);
    }

    [Fact]
    public void LoadStateDict_NestedCheckpointWithKey_ReturnsTheModelDict()
    {
        var sd = TorchCheckpoint.LoadStateDict(WeightGolden.PathOf("nested.pth"), "model");
        try
        {
            Assert.Equal(9, sd.Count);
        }
        finally
        {
            sd.DisposeAll();
        }
        var ex = Assert.Throws<WeightFileException>(() => TorchCheckpoint.LoadStateDict(WeightGolden.PathOf("nested.pth"), "missing"));
        Assert.Contains("'missing'", ex.Message);
        Assert.Contains("nested.pth", ex.Message);
    }

    [Fact]
    public void LoadStateDict_RootIsNotAStateDict_ThrowsWeightFileException()
    {
        var live = WeightGolden.LiveTensors;
        var ex = Assert.Throws<WeightFileException>(() => TorchCheckpoint.LoadStateDict(WeightGolden.PathOf("nested.pth")));
        Assert.Contains("nested.pth", ex.Message);
        Assert.Contains("not a state dict", ex.Message);
        Assert.True(WeightGolden.LiveTensors <= live, "no tensor may outlive a refused checkpoint");
    }

    [Fact]
    public void Load_LegacyFormat_ThrowsWithResaveAdvice()
    {
        var ex = Assert.Throws<WeightFileException>(() => TorchCheckpoint.Load(WeightGolden.PathOf("legacy.pth")));
        Assert.Contains("_use_new_zipfile_serialization=True", ex.Message);
        Assert.EndsWith("legacy.pth", ex.FilePath);
    }

    [Fact]
    public void Load_PickledModuleObject_RefusesTheClassByName()
    {
        var live = WeightGolden.LiveTensors;
        var ex = Assert.Throws<WeightFileException>(() => TorchCheckpoint.Load(WeightGolden.PathOf("module_object.pth")));
        Assert.Contains("torch.nn.modules.linear.Linear", ex.Message);
        Assert.Contains("module_object.pth", ex.Message);
        Assert.True(WeightGolden.LiveTensors <= live, "no tensor may outlive a refused checkpoint");
    }

    [Fact]
    public void Load_BoolStorageWithAByteOtherThan0Or1_ThrowsNamingFileAndStorage()
    {
        // tensors.pth's only bool tensor is [True, False, True, True]: its storage is the entry holding 01 00 01 01.
        var p = WeightGolden.TempPath(".pth");
        WeightGolden.RewriteZip(WeightGolden.PathOf("tensors.pth"), p,
            (name, data) => name.Contains("/data/") && data.SequenceEqual(new byte[] { 1, 0, 1, 1 }) ? new byte[] { 1, 0, 7, 1 } : data);
        try
        {
            var live = WeightGolden.LiveTensors;
            var ex = Assert.Throws<WeightFileException>(() => TorchCheckpoint.Load(p));
            Assert.Equal(p, ex.FilePath);
            Assert.Contains("byte value 7", ex.Message);
            Assert.NotNull(ex.TensorKey);
            Assert.True(WeightGolden.LiveTensors <= live, "no tensor may outlive a refused checkpoint");
        }
        finally
        {
            File.Delete(p);
        }
    }

    [Fact]
    public void Load_NotAZipFile_Throws()
    {
        var p = WeightGolden.TempPath(".pth");
        File.WriteAllBytes(p, "hello world"u8.ToArray());
        try
        {
            var ex = Assert.Throws<WeightFileException>(() => TorchCheckpoint.Load(p));
            Assert.Contains("zip", ex.Message);
            Assert.Equal(p, ex.FilePath);
        }
        finally
        {
            File.Delete(p);
        }
    }

    [Fact]
    public void Load_SharedStorageViews_AreIndependentCopies()
    {
        using var root = TorchCheckpoint.Load(WeightGolden.PathOf("tensors.pth"));
        var b = root["base"].AsTensor();
        var s = root["slice"].AsTensor();
        using (torch.no_grad()) s.fill_(100);
        Assert.Equal(-3.0f, b[0].item<float>());
        Assert.Equal(-0.5f, b[5].item<float>()); // slice starts at base[5] in the file; writing the copy leaves base alone
        Assert.True(root["mat_t"].AsTensor().is_contiguous());
        Assert.True(root["strided"].AsTensor().is_contiguous());
    }
}
