using System.Text.Json.Nodes;
using Thorax.Models.Weights;
using Thorax.Training.Tests.Support;
using TorchSharp.Modules;

namespace Thorax.Training.Tests.Checkpoints;

public sealed class TrainingCheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("thorax-ckpt-").FullName;
    private readonly Tensor _xs;
    private readonly Tensor _ys;

    public TrainingCheckpointTests() => (_xs, _ys) = TrainingRun.Data();

    public void Dispose()
    {
        _xs.Dispose();
        _ys.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string P(string name) => Path.Combine(_dir, name);

    private string SaveAfterOneEpoch(TrainingRun run, string name, JsonObject? user = null)
    {
        run.TrainEpoch(1, _xs, _ys);
        using var ck = TrainingCheckpoint.Capture(run.Components, 1, run.Step, user);
        ck.Save(P(name));
        return P(name);
    }

    [Fact]
    public void SaveLoad_RoundTripsCountersUserStateAndEveryPart()
    {
        using var run = new TrainingRun(3);
        var path = SaveAfterOneEpoch(run, "a.ckpt", new JsonObject { ["best_dice"] = 0.625, ["note"] = "fold 0" });
        using var ck = TrainingCheckpoint.Load(path);
        Assert.Equal(path, ck.SourceName);
        Assert.Equal(1, ck.Epoch);
        Assert.Equal(4, ck.Step);
        Assert.Equal(0.625, ck.User["best_dice"]!.GetValue<double>());
        Assert.Equal("fold 0", ck.User["note"]!.GetValue<string>());
        Assert.Equal("ResumeNet", ck.ModelType);
        Assert.Equal("AdamW", ck.OptimizerType);
        Assert.Equal("CosineAnnealingLR", ck.SchedulerType);
        Assert.True(ck.HasPlateauScheduler);
        Assert.True(ck.HasTorchRng);
        Assert.Equal(new[] { "swa" }, ck.ExtraModuleNames);
        Assert.Equal(new[] { "noise" }, ck.GeneratorNames);
        Assert.Equal(new[] { "augment", "shuffle" }, ck.RandomNames.Order());
        var saved = ck.ModelState();
        var live = run.Model.state_dict();
        Assert.Equal(live.Keys, saved.Keys);
        foreach (var (k, t) in live) Assert.True(TestData.BitEqual(t, saved[k]), k);
        saved.DisposeAll();
        var swa = ck.ExtraModuleState("swa");
        Assert.Contains("n_averaged", swa.Keys);
        Assert.Contains("module.fc.weight", swa.Keys);
        swa.DisposeAll();
        Assert.Throws<KeyNotFoundException>(() => ck.ExtraModuleState("ema"));
    }

    [Fact]
    public void Capture_IsASnapshot_LaterTrainingDoesNotChangeIt_AndEqualStatesGiveIdenticalBytes()
    {
        using var run = new TrainingRun(3);
        run.TrainEpoch(1, _xs, _ys);
        var rng = torch.random.get_rng_state();
        using var ck = TrainingCheckpoint.Capture(run.Components, 1, run.Step);
        torch.random.set_rng_state(rng);
        using var again = TrainingCheckpoint.Capture(run.Components, 1, run.Step);
        Assert.Equal(ck.ToBytes(), again.ToBytes());
        var bytes = ck.ToBytes();
        run.TrainEpoch(2, _xs, _ys);
        Assert.Equal(bytes, ck.ToBytes());
        rng.Dispose();
    }

    [Fact]
    public void Save_WritesAtomically_LeavesNoTempFileAndReplacesOlderFile()
    {
        using var run = new TrainingRun(3);
        var path = SaveAfterOneEpoch(run, "same.ckpt");
        run.TrainEpoch(2, _xs, _ys);
        using (var ck2 = TrainingCheckpoint.Capture(run.Components, 2, run.Step)) ck2.Save(path);
        Assert.Equal(new[] { "same.ckpt" }, Directory.GetFiles(_dir).Select(Path.GetFileName));
        using var back = TrainingCheckpoint.Load(path);
        Assert.Equal(2, back.Epoch);
    }

    [Fact]
    public void Load_TruncatedFile_ThrowsNamingFileAndTensor()
    {
        using var run = new TrainingRun(3);
        var path = SaveAfterOneEpoch(run, "t.ckpt");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        var e = Assert.Throws<TrainingCheckpointException>(() => TrainingCheckpoint.Load(path));
        Assert.Equal(path, e.FilePath);
        Assert.NotNull(e.Key); // the tensor whose data runs past the end
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);

        File.WriteAllBytes(path, bytes[..20]);
        e = Assert.Throws<TrainingCheckpointException>(() => TrainingCheckpoint.Load(path));
        Assert.Contains("truncated", e.Message);
        Assert.Throws<TrainingCheckpointException>(() => TrainingCheckpoint.Load(P("missing.ckpt")));
    }

    [Fact]
    public void Load_PlainWeightFile_ThrowsNotATrainingCheckpoint()
    {
        using var net = new ResumeNet();
        SafeTensors.Save(P("w.safetensors"), net.state_dict());
        var e = Assert.Throws<TrainingCheckpointException>(() => TrainingCheckpoint.Load(P("w.safetensors")));
        Assert.Equal("__metadata__.format", e.Key);
        Assert.Contains("not a Thorax training checkpoint", e.Message);
    }

    [Theory]
    [InlineData("format_version", "99", "__metadata__.format_version")]
    [InlineData("epoch", "x", "__metadata__.epoch")]
    [InlineData("scheduler", "{not json", "__metadata__.scheduler")]
    [InlineData("randoms", "{\"shuffle\":\"00-00-00-00\"}", "__metadata__.randoms.shuffle")]
    public void FromBytes_MalformedMetadata_ThrowsNamingTheEntry(string key, string value, string expectedKey)
    {
        using var run = new TrainingRun(3);
        using var ck = TrainingCheckpoint.Capture(run.Components, 0);
        var (tensors, meta) = SafeTensors.Read(ck.ToBytes(), "<test>");
        var m = meta.ToDictionary(kv => kv.Key, kv => kv.Value);
        m[key] = value;
        var bytes = SafeTensors.Serialize(tensors, m);
        tensors.DisposeAll();
        var e = Assert.Throws<TrainingCheckpointException>(() => TrainingCheckpoint.FromBytes(bytes, "crafted"));
        Assert.Equal(expectedKey, e.Key);
        Assert.Equal("crafted", e.FilePath);
    }

    [Fact]
    public void FromBytes_UnknownTensorEntry_Throws()
    {
        using var run = new TrainingRun(3);
        using var ck = TrainingCheckpoint.Capture(run.Components, 0);
        var (tensors, meta) = SafeTensors.Read(ck.ToBytes(), "<test>");
        tensors.Add("weird.x", torch.zeros(1));
        var bytes = SafeTensors.Serialize(tensors, meta);
        tensors.DisposeAll();
        var e = Assert.Throws<TrainingCheckpointException>(() => TrainingCheckpoint.FromBytes(bytes));
        Assert.Equal("weird.x", e.Key);
    }

    [Fact]
    public void Restore_OtherArchitecture_ThrowsNamingKeyAndShapes_AndChangesNothing()
    {
        using var run = new TrainingRun(3);
        var path = SaveAfterOneEpoch(run, "arch.ckpt");
        using var ck = TrainingCheckpoint.Load(path);
        using var other = new ResumeNet(classes: 5);
        var snapshot = other.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var e = Assert.Throws<TrainingCheckpointException>(() => ck.Restore(new TrainingComponents { Model = other }, strict: false));
        Assert.Equal("model.fc.weight", e.Key);
        Assert.Contains("[3, 32]", e.Message);
        Assert.Contains("[5, 32]", e.Message);
        foreach (var (k, t) in other.state_dict()) Assert.True(TestData.BitEqual(t, snapshot[k]), k);
        foreach (var t in snapshot.Values) t.Dispose();
    }

    [Fact]
    public void Restore_OptimizerOfAnotherType_ThrowsBeforeChangingTheModel()
    {
        using var run = new TrainingRun(3);
        var path = SaveAfterOneEpoch(run, "opt.ckpt");
        using var ck = TrainingCheckpoint.Load(path);
        using var fresh = new ResumeNet();
        using var sgd = new SGD(fresh.parameters(), 0.1);
        using var w = fresh.state_dict()["fc.weight"].clone();
        var e = Assert.Throws<TrainingCheckpointException>(() => ck.Restore(new TrainingComponents { Model = fresh, Optimizer = sgd }, strict: false));
        Assert.Equal("__metadata__.optimizer_type", e.Key);
        Assert.Contains("AdamW", e.Message);
        Assert.True(TestData.BitEqual(w, fresh.state_dict()["fc.weight"]));
    }

    [Fact]
    public void Restore_Strictness_UnclaimedStateThrowsUnlessNotStrict_MissingStateAlwaysThrows()
    {
        using var run = new TrainingRun(3);
        var path = SaveAfterOneEpoch(run, "strict.ckpt");
        using var ck = TrainingCheckpoint.Load(path);
        using var fresh = new ResumeNet();
        var e = Assert.Throws<TrainingCheckpointException>(() => ck.Restore(new TrainingComponents { Model = fresh }));
        Assert.Contains("strict: false", e.Message);
        ck.Restore(new TrainingComponents { Model = fresh, IncludeTorchRng = false }, strict: false);
        var b = run.Model.state_dict();
        foreach (var (k, t) in fresh.state_dict()) Assert.True(TestData.BitEqual(t, b[k]), k);

        using var g = new Generator(1);
        e = Assert.Throws<TrainingCheckpointException>(() => ck.Restore(new TrainingComponents
        {
            Model = fresh, Generators = new Dictionary<string, Generator> { ["dropblock"] = g },
        }, strict: false));
        Assert.Equal("rng.generator.dropblock", e.Key);
        e = Assert.Throws<TrainingCheckpointException>(() => ck.Restore(new TrainingComponents
        {
            Model = fresh, Randoms = new Dictionary<string, SeededRandom> { ["mixup"] = new SeededRandom(1L) },
        }, strict: false));
        Assert.Equal("__metadata__.randoms.mixup", e.Key);
    }

    [Fact]
    public void Capture_InvalidNames_Throw()
    {
        using var net = new ResumeNet();
        Assert.Throws<ArgumentException>(() => TrainingCheckpoint.Capture(new TrainingComponents
        {
            Model = net, Randoms = new Dictionary<string, SeededRandom> { ["a.b"] = new SeededRandom(1L) },
        }, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingCheckpoint.Capture(new TrainingComponents { Model = net }, -1));
    }
}
