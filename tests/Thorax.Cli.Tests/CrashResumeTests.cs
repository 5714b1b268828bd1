using Thorax.Cli.CrashResume;
using TorchSharp;

namespace Thorax.Cli.Tests;

/// <summary>The fast version of <c>thorax crash-resume</c> (tools/crash-resume.sh runs every trainer): the lung
/// trainer at 32 px, killed twice (once at a random time, once the instant an atomic write begins) and resumed.</summary>
public sealed class CrashResumeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("thorax-crash-resume-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void LungTrainer_KilledTwiceAndResumed_EndsOnTheUninterruptedRunsWeights_WithoutPartialFiles()
    {
        var runner = new CrashResumeRunner { WorkDirectory = _dir, Kills = 2, Seed = 3, CliAssembly = CliAssembly() };
        var tiny = new CrashTrainer("lungs", ["lungs", "train", "--data", "{data}", "--out", "{run}", "--size", "32", "--epochs", "4", "--batch", "4",
            "--base-channels", "4", "--plateau-patience", "1", "--deterministic"]);
        var r = runner.Run(tiny);
        Assert.True(r.Passed, string.Join("\n", r.Problems));
        Assert.Equal(2, r.Kills);
        Assert.True(r.Equal);
        Assert.Equal(0, r.Partial);
        Assert.Equal(1, r.WeightFiles);
        Assert.Contains("| lungs | 2 (", CrashResumeRunner.Table([r]));
    }

    [Fact]
    public void Scan_FlagsATruncatedWeightFile_AndListsTempFiles_AndCompareNamesTheTensorsThatDiffer()
    {
        var run = Path.Combine(_dir, "scan");
        Directory.CreateDirectory(run);
        var a = Path.Combine(run, "model.safetensors");
        var b = Path.Combine(_dir, "other.safetensors");
        using (var x = torch.arange(6, dtype: torch.ScalarType.Float32))
        using (var y = torch.ones(2))
            Thorax.Models.Weights.SafeTensors.Save(a, new Dictionary<string, torch.Tensor> { ["w"] = x, ["b"] = y });
        using (var x = torch.arange(6, dtype: torch.ScalarType.Float32) * 2)
        using (var y = torch.ones(2))
            Thorax.Models.Weights.SafeTensors.Save(b, new Dictionary<string, torch.Tensor> { ["w"] = x, ["b"] = y });
        Assert.Null(CrashResumeRunner.Compare(a, a));
        Assert.Contains("1 of 2 tensors differ", CrashResumeRunner.Compare(a, b));
        Assert.Contains("first w", CrashResumeRunner.Compare(a, b));

        var bytes = File.ReadAllBytes(a);
        File.WriteAllBytes(Path.Combine(run, "swa.safetensors"), bytes[..^4]);
        File.WriteAllText(Path.Combine(run, "metrics.json"), "{\"version\": 1, \"dice\": 0.");
        File.WriteAllText(Path.Combine(run, "history.csv"), "epoch,loss\n1,0.5\n");
        File.WriteAllBytes(Path.Combine(run, ".model.safetensors.1a2b3c4d.tmp"), bytes[..10]);
        var scan = RunFolderScan.Of(run);
        Assert.Equal([".model.safetensors.1a2b3c4d.tmp"], scan.Temporary);
        Assert.Equal(2, scan.Broken.Count);
        Assert.Contains(scan.Broken, s => s.StartsWith("swa.safetensors", StringComparison.Ordinal));
        Assert.Contains(scan.Broken, s => s.StartsWith("metrics.json", StringComparison.Ordinal));
        Assert.Equal(2, scan.Checked);
    }

    /// <summary>The thorax.dll beside the tests when it can run there (its runtimeconfig copied), else the CLI project's
    /// own build output of the same configuration.</summary>
    private static string CliAssembly()
    {
        var here = typeof(CrashResumeRunner).Assembly.Location;
        if (File.Exists(Path.ChangeExtension(here, ".runtimeconfig.json"))) return here;
        var config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Parent!.Name; // bin/<Config>/net10.0/
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "src", "Thorax.Cli", "bin", config, "net10.0", "thorax.dll");
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"no runnable thorax.dll beside {here} or under src/Thorax.Cli/bin/{config}");
    }
}
