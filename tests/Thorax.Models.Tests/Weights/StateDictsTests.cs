using System.IO.Compression;
using Thorax.Models.Weights;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Thorax.Models.Tests.Weights;

public sealed class StateDictsTests
{
    private const string NumBatchesTracked = "features.norm0.num_batches_tracked";

    /// <summary>net.pth with three kinds of misfit: a key removed, a key added, a weight of the wrong shape and a
    /// buffer of the wrong dtype kind.</summary>
    private static Dictionary<string, Tensor> MismatchedDict()
    {
        var sd = StateDicts.ReadFile(WeightGolden.PathOf("net.pth"));
        sd.Remove("classifier.bias", out var bias);
        bias!.Dispose();
        sd.Add("features.conv9.weight", torch.zeros(2, 2));
        sd["features.conv0.weight"].Dispose();
        sd["features.conv0.weight"] = torch.zeros(4, 1, 5, 5);
        sd[NumBatchesTracked].Dispose();
        sd[NumBatchesTracked] = torch.tensor(3.0f);
        return sd;
    }

    private static Dictionary<string, Tensor> Snapshot(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    [Fact]
    public void Load_StrictMismatch_ThrowsNamingEveryKeyAndTheFileAndChangesNothing()
    {
        using var net = new GoldenNet();
        var before = Snapshot(net);
        var sd = MismatchedDict();
        try
        {
            var ex = Assert.Throws<StateDictException>(() => StateDicts.Load(net, sd, strict: true, source: "/weights/net.pth"));
            Assert.Contains("/weights/net.pth", ex.Message);
            Assert.Contains("missing keys: \"classifier.bias\"", ex.Message);
            Assert.Contains("unexpected keys: \"features.conv9.weight\"", ex.Message);
            Assert.Contains("features.conv0.weight: expected [4, 1, 3, 3] torch.float32, got [4, 1, 5, 5] torch.float32", ex.Message);
            Assert.Contains(NumBatchesTracked + ": expected [] torch.int64, got [] torch.float32", ex.Message);
            Assert.Equal(new[] { "classifier.bias" }, ex.Result.MissingKeys);
            Assert.Equal(new[] { "features.conv9.weight" }, ex.Result.UnexpectedKeys);
            Assert.Equal(new[] { "features.conv0.weight", NumBatchesTracked }, ex.Result.Mismatches.Select(m => m.Key).Order(StringComparer.Ordinal));
            foreach (var (k, t) in net.state_dict()) WeightGolden.AssertIdentical(before[k], t, k + " (must be unchanged)");
        }
        finally
        {
            sd.DisposeAll();
            before.DisposeAll();
        }
    }

    [Fact]
    public void LoadFile_StrictMismatch_NamesTheFile()
    {
        var p = WeightGolden.TempPath(".safetensors");
        var sd = MismatchedDict();
        try
        {
            SafeTensors.Save(p, sd);
            using var net = new GoldenNet();
            var ex = Assert.Throws<StateDictException>(() => StateDicts.LoadFile(net, p));
            Assert.Contains(p, ex.Message);
            Assert.Contains("classifier.bias", ex.Message);
            Assert.Contains("features.conv9.weight", ex.Message);
            Assert.Contains("features.conv0.weight", ex.Message);
        }
        finally
        {
            sd.DisposeAll();
            File.Delete(p);
        }
    }

    [Fact]
    public void Load_NonStrict_ReportsTheMisfitsAndCopiesTheRest()
    {
        using var net = new GoldenNet();
        var before = Snapshot(net);
        var sd = MismatchedDict();
        try
        {
            var r = StateDicts.Load(net, sd, strict: false);
            Assert.False(r.IsComplete);
            Assert.Equal(new[] { "classifier.bias" }, r.MissingKeys);
            Assert.Equal(new[] { "features.conv9.weight" }, r.UnexpectedKeys);
            Assert.Equal(2, r.Mismatches.Count);
            var skipped = r.MissingKeys.Concat(r.Mismatches.Select(m => m.Key)).ToHashSet();
            var own = net.state_dict();
            Assert.Equal(9, own.Count);
            foreach (var (k, t) in own)
            {
                if (skipped.Contains(k)) WeightGolden.AssertIdentical(before[k], t, k + " (not loaded)");
                else WeightGolden.AssertIdentical(sd[k], t, k + " (loaded)");
            }
            Assert.Equal(0L, own[NumBatchesTracked].item<long>());
        }
        finally
        {
            sd.DisposeAll();
            before.DisposeAll();
        }
    }

    [Fact]
    public void Load_FloatValuesOfAnotherPrecision_AreConvertedInPlace()
    {
        using var net = new GoldenNet();
        var sd = StateDicts.ReadFile(WeightGolden.PathOf("net.pth"));
        var w = net.state_dict()["classifier.weight"];
        try
        {
            var old = sd["classifier.weight"];
            sd["classifier.weight"] = old.to(ScalarType.Float64);
            Assert.True(StateDicts.Load(net, sd).IsComplete);
            Assert.Same(w, net.state_dict()["classifier.weight"]);
            Assert.Equal(ScalarType.Float32, w.dtype);
            WeightGolden.AssertIdentical(old, w, "classifier.weight");
            old.Dispose();
        }
        finally
        {
            sd.DisposeAll();
        }
    }

    [Fact]
    public void LoadFile_NetPth_ReproducesPyTorchAndKeepsNumBatchesTrackedInt64()
    {
        using var net = new GoldenNet();
        Assert.True(StateDicts.LoadFile(net, WeightGolden.PathOf("net.pth")).IsComplete);
        var nbt = net.state_dict()[NumBatchesTracked];
        Assert.Equal(ScalarType.Int64, nbt.dtype);
        Assert.Equal(3L, nbt.item<long>());

        using var doc = WeightGolden.Json("net.json");
        net.eval();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var y = net.forward(WeightGolden.Decode(doc.RootElement.GetProperty("input")));
        WeightGolden.AssertClose(WeightGolden.Decode(doc.RootElement.GetProperty("output")), y, "net output");
    }

    [Fact]
    public void NumBatchesTracked_RoundTripsThroughSafetensorsAsInt64()
    {
        var p = WeightGolden.TempPath(".safetensors");
        try
        {
            using (var net = new GoldenNet())
            {
                StateDicts.LoadFile(net, WeightGolden.PathOf("net.pth"));
                SafeTensors.Save(p, net.state_dict());
            }
            var file = File.ReadAllBytes(p);
            var header = System.Text.Encoding.UTF8.GetString(file, 8, (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(file));
            Assert.Contains($"\"{NumBatchesTracked}\":{{\"dtype\":\"I64\",\"shape\":[]", header);
            var back = StateDicts.ReadFile(p);
            try
            {
                Assert.Equal(ScalarType.Int64, back[NumBatchesTracked].dtype);
                Assert.Equal(3L, back[NumBatchesTracked].item<long>());
            }
            finally
            {
                back.DisposeAll();
            }
            using var again = new GoldenNet();
            Assert.True(StateDicts.LoadFile(again, p).IsComplete);
            Assert.Equal(3L, again.state_dict()[NumBatchesTracked].item<long>());
        }
        finally
        {
            File.Delete(p);
        }
    }

    [Fact]
    public void ReadFile_SafetensorsAndTorchSave_GiveTheSameTensors()
    {
        var a = StateDicts.ReadFile(WeightGolden.PathOf("net.pth"));
        var b = StateDicts.ReadFile(WeightGolden.PathOf("net.safetensors"));
        try
        {
            Assert.Equal(a.Keys, b.Keys);
            foreach (var (k, t) in a) WeightGolden.AssertIdentical(t, b[k], k);
        }
        finally
        {
            a.DisposeAll();
            b.DisposeAll();
        }
    }

    [Fact]
    public void ReadFile_NestedCheckpoint_FindsTheStateDictUnderModel()
    {
        // nested.pth = {"model": state_dict (after one SGD step), "optimizer": {...}, "epoch": 3, "best", "name", ...}
        using var doc = WeightGolden.Json("nested.json");
        foreach (var key in new[] { null, "model" })
        {
            var sd = StateDicts.ReadFile(WeightGolden.PathOf("nested.pth"), key);
            try
            {
                Assert.Equal(doc.RootElement.GetProperty("model_keys").EnumerateArray().Select(k => k.GetString()), sd.Keys);
                Assert.Equal(doc.RootElement.GetProperty("conv0_weight").EnumerateArray().Select(v => v.GetDouble()),
                    WeightGolden.Doubles(sd["features.conv0.weight"]));
                Assert.Equal(ScalarType.Int64, sd[NumBatchesTracked].dtype);
                Assert.Equal(4L, sd[NumBatchesTracked].item<long>()); // three batches in make_nn_goldens.py, then one training step
                using var net = new GoldenNet();
                Assert.True(StateDicts.Load(net, sd).IsComplete);
            }
            finally
            {
                sd.DisposeAll();
            }
        }
    }

    [Theory]
    [InlineData("optimizer", "not a state dict")]
    [InlineData("epoch", "not a state dict")]
    [InlineData("weights", "no top-level key 'weights'")]
    public void ReadFile_NestedCheckpointWithAWrongKey_NamesFileAndKey(string key, string fragment)
    {
        var live = WeightGolden.LiveTensors;
        var ex = Assert.Throws<WeightFileException>(() => StateDicts.ReadFile(WeightGolden.PathOf("nested.pth"), key));
        Assert.Contains(fragment, ex.Message);
        Assert.Contains("nested.pth", ex.Message);
        Assert.Contains($"'{key}'", ex.Message);
        Assert.Equal(ex.Message.IndexOf("not a state dict", StringComparison.Ordinal), ex.Message.LastIndexOf("not a state dict", StringComparison.Ordinal));
        Assert.True(WeightGolden.LiveTensors <= live, "no tensor may outlive a refused checkpoint");
    }

    [Fact]
    public void ReadFile_PickledModuleObject_ThrowsNamingFileAndClass()
    {
        var path = WeightGolden.PathOf("module_object.pth");
        var ex = Assert.Throws<WeightFileException>(() => StateDicts.ReadFile(path));
        Assert.Equal(path, ex.FilePath);
        Assert.Contains(path, ex.Message);
        Assert.Contains("torch.nn.modules.linear.Linear", ex.Message);
        using var net = new GoldenNet();
        Assert.Equal(path, Assert.Throws<WeightFileException>(() => StateDicts.LoadFile(net, path)).FilePath);
    }

    [Fact]
    public void ReadFile_LegacyTorchSave_ThrowsNamingFileWithResaveAdvice()
    {
        var path = WeightGolden.PathOf("legacy.pth");
        var ex = Assert.Throws<WeightFileException>(() => StateDicts.ReadFile(path));
        Assert.Equal(path, ex.FilePath);
        Assert.Contains(path, ex.Message);
        Assert.Contains("legacy", ex.Message);
        Assert.Contains("_use_new_zipfile_serialization=True", ex.Message);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(500)]
    public void ReadFile_TruncatedSafetensors_NamesFileAndKey(int cut)
    {
        var p = WeightGolden.TempPath(".safetensors");
        var bytes = File.ReadAllBytes(WeightGolden.PathOf("net.safetensors"));
        File.WriteAllBytes(p, bytes[..^cut]);
        try
        {
            var live = WeightGolden.LiveTensors;
            var ex = Assert.Throws<WeightFileException>(() => StateDicts.ReadFile(p));
            Assert.Equal(p, ex.FilePath);
            Assert.Contains(p, ex.Message);
            Assert.Contains("truncated", ex.Message);
            Assert.NotNull(ex.TensorKey);
            Assert.Contains($"tensor '{ex.TensorKey}'", ex.Message);
            if (cut == 10) Assert.Equal("classifier.bias", ex.TensorKey);
            Assert.True(WeightGolden.LiveTensors <= live, "no tensor may outlive a refused file");
        }
        finally
        {
            File.Delete(p);
        }
    }

    [Fact]
    public void ReadFile_SafetensorsCutInsideTheHeader_NamesTheFile()
    {
        var p = WeightGolden.TempPath(".safetensors");
        File.WriteAllBytes(p, File.ReadAllBytes(WeightGolden.PathOf("net.safetensors"))[..100]);
        try
        {
            var ex = Assert.Throws<WeightFileException>(() => StateDicts.ReadFile(p));
            Assert.Equal(p, ex.FilePath);
            Assert.Contains("truncated", ex.Message);
        }
        finally
        {
            File.Delete(p);
        }
    }

    [Theory]
    [InlineData(10)]
    [InlineData(2000)]
    public void ReadFile_TruncatedTorchSave_NamesTheFile(int cut)
    {
        var p = WeightGolden.TempPath(".pth");
        var bytes = File.ReadAllBytes(WeightGolden.PathOf("net.pth"));
        File.WriteAllBytes(p, bytes[..^cut]);
        try
        {
            var ex = Assert.Throws<WeightFileException>(() => StateDicts.ReadFile(p));
            Assert.Equal(p, ex.FilePath);
            Assert.Contains(p, ex.Message);
        }
        finally
        {
            File.Delete(p);
        }
    }

    [Fact]
    public void ReadFile_TorchSaveWithAShortStorage_NamesFileAndStorage()
    {
        // net.pth re-zipped with the classifier weight's storage cut short: the zip is intact, the data is not.
        var p = WeightGolden.TempPath(".pth");
        var source = WeightGolden.PathOf("net.pth");
        long longest;
        using (var z = ZipFile.OpenRead(source)) longest = z.Entries.Where(e => e.FullName.Contains("/data/")).Max(e => e.Length);
        WeightGolden.RewriteZip(source, p, (name, data) => name.Contains("/data/") && data.Length == longest ? data[..(data.Length / 2)] : data);
        try
        {
            var live = WeightGolden.LiveTensors;
            var ex = Assert.Throws<WeightFileException>(() => StateDicts.ReadFile(p));
            Assert.Equal(p, ex.FilePath);
            Assert.Contains(p, ex.Message);
            Assert.Contains("truncated", ex.Message);
            Assert.NotNull(ex.TensorKey);
            Assert.Contains($"data/{ex.TensorKey}'", ex.Message); // the storage entry, e.g. 'net/data/7'
            Assert.True(WeightGolden.LiveTensors <= live, "no tensor may outlive a refused checkpoint");
        }
        finally
        {
            File.Delete(p);
        }
    }

    [Fact]
    public void ReadFile_MissingOrUnknownFile_NamesTheFile()
    {
        var missing = WeightGolden.TempPath(".pth");
        Assert.Equal(missing, Assert.Throws<WeightFileException>(() => StateDicts.ReadFile(missing)).FilePath);
        var p = WeightGolden.TempPath(".bin");
        File.WriteAllBytes(p, "abc"u8.ToArray());
        try
        {
            var ex = Assert.Throws<WeightFileException>(() => StateDicts.ReadFile(p));
            Assert.Equal(p, ex.FilePath);
            Assert.Contains("unknown weight format", ex.Message);
        }
        finally
        {
            File.Delete(p);
        }
    }

    [Fact]
    public void WithPrefixRemoved_KeepsTheSubtreeAsAliases()
    {
        var sd = StateDicts.ReadFile(WeightGolden.PathOf("net.pth"));
        var features = sd.WithPrefixRemoved("features.");
        try
        {
            Assert.Equal(new[] { "conv0.weight", "conv0.bias", "norm0.weight", "norm0.bias", "norm0.running_mean", "norm0.running_var", "norm0.num_batches_tracked" },
                features.Keys);
            WeightGolden.AssertIdentical(sd["features.conv0.weight"], features["conv0.weight"], "conv0.weight");
            features.DisposeAll();
            Assert.Empty(features);
            Assert.Equal(9, sd.Count); // the source tensors are still usable
            Assert.Equal(3L, sd[NumBatchesTracked].item<long>());
            features.DisposeAll(); // twice is harmless
        }
        finally
        {
            sd.DisposeAll();
        }
    }

    [Fact]
    public void PyBridgeLoadPy_OnNetPth_GivesTheSameTensorsAsOurReader()
    {
        // TorchSharp.PyBridge is the library path where it suffices (plain state dicts); our reader must agree with it.
        using var net = new GoldenNet();
        net.load_py(WeightGolden.PathOf("net.pth"));
        var ours = StateDicts.ReadFile(WeightGolden.PathOf("net.pth"));
        try
        {
            var theirs = net.state_dict();
            Assert.Equal(ours.Keys.Order(StringComparer.Ordinal), theirs.Keys.Order(StringComparer.Ordinal));
            foreach (var (k, t) in ours) WeightGolden.AssertIdentical(t, theirs[k], k);
        }
        finally
        {
            ours.DisposeAll();
        }
    }

    [Fact]
    public void ReadFile_SafetensorsWhoseHeaderSizeStartsWithThePickleOpcode()
    {
        // A header of 128 + 256k bytes makes the file's first byte 0x80, the first byte of a legacy torch.save pickle;
        // such a file (a training checkpoint happened to get one) must still be read as safetensors.
        var path = Path.Combine(Path.GetTempPath(), $"thorax-st80-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var w = torch.arange(6, dtype: ScalarType.Float32).reshape(2, 3);
            for (var pad = 0; pad < 300; pad++)
            {
                SafeTensors.Save(path, [new("w", w)], new Dictionary<string, string> { ["pad"] = new string('x', pad) });
                if (File.ReadAllBytes(path)[0] == 0x80) break;
            }
            Assert.Equal(0x80, File.ReadAllBytes(path)[0]);
            var sd = StateDicts.ReadFile(path);
            try { Assert.Equal(w.data<float>().ToArray(), sd["w"].data<float>().ToArray()); }
            finally { sd.DisposeAll(); }
            // Without the extension too (the content decides).
            var bare = path[..^".safetensors".Length];
            File.Move(path, bare);
            sd = StateDicts.ReadFile(bare);
            try { Assert.Equal(w.data<float>().ToArray(), sd["w"].data<float>().ToArray()); }
            finally { sd.DisposeAll(); File.Delete(bare); }
        }
        finally { if (File.Exists(path)) File.Delete(path); }
    }
}
