using System.Text.Json.Nodes;
using Thorax.Training.Loop;

namespace Thorax.Training.Tests.Loop;

/// <summary>The trainers' shared base (events forwarded from the loop, options validated once) and <see cref="RunConfig"/>.</summary>
public sealed class LoopTrainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("thorax-looptrainer-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private sealed record TinyOptions(int Epochs) : ITrainerOptions
    {
        public void Validate()
        {
            if (Epochs < 1) throw new ArgumentException($"epochs must be at least 1, got {Epochs}");
        }
    }

    /// <summary>Reports epochs as their number, so that <see cref="LoopTrainer{TOptions, TEpoch}.ToEpoch"/> is seen.</summary>
    private sealed class TinyTrainer(TinyOptions options) : LoopTrainer<TinyOptions, int>(options)
    {
        protected override int ToEpoch(EpochResult epoch) => epoch.Epoch * 10;

        public EpochTrainerResult Train(TrainingMethod method, string runDir)
        {
            var fit = CreateLoop(new EpochTrainerOptions { Epochs = Options.Epochs, Deterministic = true }).Fit(method, runDir);
            RunConfig.Write(runDir, new JsonObject { ["epochs"] = Options.Epochs });
            OnFinished();
            return fit;
        }
    }

    [Fact]
    public void Events_AreForwardedFromTheLoop_InOrder_AndFinishedComesAfterTheConfig()
    {
        var run = Path.Combine(_dir, "run");
        var log = new List<string>();
        var t = new TinyTrainer(new TinyOptions(2));
        t.StepCompleted += (e, s, n, _) => log.Add($"step {e}.{s}/{n}");
        t.EpochCompleted += e => log.Add($"epoch {e}");
        t.Resumed += e => log.Add($"resumed {e}");
        t.Finished += () => log.Add("finished " + File.Exists(RunConfig.PathOf(run)));
        using (var m = new RegressionMethod()) t.Train(m, run);
        var steps = 48 / RegressionMethod.BatchSize;
        var expected = new List<string>();
        for (var e = 1; e <= 2; e++)
        {
            for (var s = 1; s <= steps; s++) expected.Add($"step {e}.{s}/{steps}");
            expected.Add($"epoch {e * 10}");
        }
        expected.Add("finished True");
        Assert.Equal(expected, log);

        log.Clear();
        var more = new TinyTrainer(new TinyOptions(3));
        more.Resumed += e => log.Add($"resumed {e}");
        more.EpochCompleted += e => log.Add($"epoch {e}");
        using (var m = new RegressionMethod()) more.Train(m, run);
        Assert.Equal(["resumed 2", "epoch 30"], log);
        Assert.Equal("{\n  \"epochs\": 3\n}\n", File.ReadAllText(RunConfig.PathOf(run)));
    }

    [Fact]
    public void Options_AreValidatedWhenTheTrainerIsCreated()
    {
        var e = Assert.Throws<ArgumentException>(() => new TinyTrainer(new TinyOptions(0)));
        Assert.Contains("got 0", e.Message);
        Assert.Throws<ArgumentNullException>(() => new TinyTrainer(null!));
    }

    [Fact]
    public void WriteOrCheck_WritesOnce_ThenChecksTheStoredConfig_AndPassesOnARefusal()
    {
        var run = Path.Combine(_dir, "cfg");
        var created = 0;
        JsonObject Create()
        {
            created++;
            return new JsonObject { ["network"] = "small", ["seed"] = 1 };
        }
        void Check(JsonNode? c, string path)
        {
            if (c?["network"]?.GetValue<string>() != "small") throw new InvalidDataException($"{path}: holds {c?["network"]}, not small");
        }
        RunConfig.WriteOrCheck(run, Create, Check);
        var first = File.ReadAllText(RunConfig.PathOf(run));
        Assert.Equal("{\n  \"network\": \"small\",\n  \"seed\": 1\n}\n", first);
        RunConfig.WriteOrCheck(run, Create, Check);
        Assert.Equal(1, created);

        File.WriteAllText(RunConfig.PathOf(run), "{\"network\": \"reference\"}");
        var e = Assert.Throws<InvalidDataException>(() => RunConfig.WriteOrCheck(run, Create, Check));
        Assert.Contains("config.json: holds reference", e.Message);
        Assert.Equal(1, created);

        File.WriteAllText(RunConfig.PathOf(run), "{\"network\": ");
        e = Assert.Throws<InvalidDataException>(() => RunConfig.WriteOrCheck(run, Create, Check));
        Assert.Contains("config.json: not valid JSON", e.Message);
        Assert.Empty(Directory.GetFiles(run, "*.tmp", SearchOption.AllDirectories));
    }
}
