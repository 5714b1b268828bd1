using System.Diagnostics;
using System.Text.Json.Nodes;
using Thorax.Synthetic;

namespace Thorax.Pipelines.Saliency;

/// <summary>Settings of <see cref="SaliencyDemo"/>.</summary>
public sealed record SaliencyDemoOptions
{
    /// <summary>Wall-clock budget of the whole demo (data, both trainings, evaluation) in minutes.</summary>
    public double Minutes { get; init; } = 15;

    /// <summary>Output folder (data/, dual/, mtunet/, table.md, table.json, report.html).</summary>
    public string OutDirectory { get; init; } = "saliency-demo";

    /// <summary>Studies to generate.</summary>
    public int Studies { get; init; } = 240;

    /// <summary>Generated image size (px).</summary>
    public int ImageSize { get; init; } = 256;

    /// <summary>Subsampling stride (256 px images: 2 gives the network 160 x 128, 4 gives 96 x 64).</summary>
    public int Stride { get; init; } = 2;

    /// <summary>Real X-rays with lung masks for <c>synth --background</c>; procedural studies when absent.</summary>
    public string? Background { get; init; } = Path.Combine("..", "shared", "data", "lungs");

    /// <summary>Seed of the studies and the trainings.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>What the demo measured.</summary>
public sealed record SaliencyDemoResult(SaliencyComparison Comparison, int Studies, bool RealBackgrounds, double Seconds, string OutDirectory)
{
    /// <summary>The demo's JSON (snake_case, version 1).</summary>
    public JsonObject ToJson()
    {
        var m = Comparison.Rows[0];
        var b = Comparison.Rows.Count > 1 ? Comparison.Rows[1] : null;
        return new JsonObject
        {
            ["version"] = 1,
            ["accuracy"] = SaliencySummary.J(m.Accuracy),
            ["auc_macro"] = SaliencySummary.J(m.AucMacro),
            ["auc_normal"] = SaliencySummary.J(m.AucPerClass[0]),
            ["auc_heart_failure"] = SaliencySummary.J(m.AucPerClass[1]),
            ["auc_pneumonia"] = SaliencySummary.J(m.AucPerClass[2]),
            ["auc_micro"] = SaliencySummary.J(m.AucMicro),
            ["kl"] = SaliencySummary.J(m.Kl.Mean),
            ["cc"] = SaliencySummary.J(m.Cc.Mean),
            ["sim"] = SaliencySummary.J(m.Sim.Mean),
            ["gradcam_cc"] = SaliencySummary.J(m.GradCamCc.Mean),
            ["baseline_auc_macro"] = b is null ? null : SaliencySummary.J(b.AucMacro),
            ["baseline_accuracy"] = b is null ? null : SaliencySummary.J(b.Accuracy),
            ["baseline_kl"] = b is null ? null : SaliencySummary.J(b.Kl.Mean),
            ["baseline_cc"] = b is null ? null : SaliencySummary.J(b.Cc.Mean),
            ["baseline_sim"] = b is null ? null : SaliencySummary.J(b.Sim.Mean),
            ["studies"] = Studies,
            ["test_studies"] = m.Images.Count,
            ["real_backgrounds"] = RealBackgrounds,
            ["minutes"] = Math.Round(Seconds / 60, 2),
            ["paper_auc"] = 0.925,
            ["paper_cc"] = 0.576,
            ["out"] = OutDirectory,
        };
    }
}

/// <summary>
/// <c>thorax saliency demo</c>: realistic studies with gaze (<c>synth --background</c> on real X-rays: normal, heart
/// failure and pneumonia, one third each, with simulated fixations), the dual-encoder network at reduced width
/// (<see cref="SaliencyModelSpec.Small"/>) trained through the four stages and the MT-UNet baseline at reduced width
/// trained in the same kind of budget, both evaluated on the test split (table, report). Budget: about 60% of the time
/// to the dual encoder's stages, 25% to the baseline; each stage runs at least one epoch.
/// </summary>
public static class SaliencyDemo
{
    /// <summary>Runs the demo (resumable: the data and finished stages are reused when the folder holds them).</summary>
    public static SaliencyDemoResult Run(SaliencyDemoOptions o, Action<string> log, Action<SaliencyTrainer>? attach = null, CancellationToken cancel = default)
    {
        if (!(o.Minutes > 0)) throw new ArgumentException($"--minutes must be positive, got {o.Minutes}");
        var clock = Stopwatch.StartNew();
        var outDir = Path.GetFullPath(o.OutDirectory);
        var dataDir = Path.Combine(outDir, "data");
        var real = o.Background is not null && Directory.Exists(o.Background);
        if (!File.Exists(Path.Combine(dataDir, "manifest.json")))
        {
            log(real ? $"generating {o.Studies} studies on real X-rays from {o.Background} ..." : $"{o.Background} not found: generating {o.Studies} procedural studies ...");
            SyntheticDatasetWriter.Write(new SynthOptions
            {
                OutputDirectory = dataDir, Count = o.Studies, Seed = o.Seed, ImageSize = o.ImageSize, PneumothoraxRate = 0, HeartFailureRate = 1.0 / 3,
                PneumoniaRate = 1.0 / 3, DeviceRate = 0.1, Dicom = DicomOutput.None, WriteReports = false, BackgroundDirectory = real ? o.Background : null, Force = true,
            }, cancellationToken: cancel);
        }
        else log($"reusing the studies in {dataDir}");
        var studies = SaliencyStudies.Load(dataDir, null, o.Stride);
        log($"{studies.Studies.Count} studies ({studies.Split("train").Count} train, {studies.Split("validation").Count} validation, {studies.Split("test").Count} test) at {studies.Geometry.OutputHeight}x{studies.Geometry.OutputWidth}; gaze: {studies.GazeNote}");
        var left = TimeSpan.FromMinutes(o.Minutes) - clock.Elapsed;
        if (left < TimeSpan.FromSeconds(30)) left = TimeSpan.FromSeconds(30);
        var runs = new List<(string, string)>();
        foreach (var (model, share) in new[] { ("dual", 0.6 / 0.85), ("mtunet", 0.25 / 0.85) })
        {
            var budget = TimeSpan.FromSeconds(Math.Max(20, left.TotalSeconds * 0.85 * share));
            var trainer = new SaliencyTrainer(new SaliencyTrainingOptions
            {
                Network = SaliencyModelSpec.Small(model), Epochs = [50, 10, 50, 40], Batch = [32, 16, 16, 6], TimeBudget = budget, Seed = o.Seed,
            });
            log($"training {model} (reduced width) for about {budget.TotalMinutes:F1} min ...");
            attach?.Invoke(trainer);
            var dir = Path.Combine(outDir, model);
            trainer.Train(studies, dir, cancel);
            runs.Add((model == "dual" ? "dual-encoder (small)" : "MT-UNet (small)", dir));
        }
        var note = $"{(real ? "realistic studies on real X-rays (synth --background)" : "procedural studies")}: {studies.Studies.Count} studies, {o.ImageSize} px, " +
            $"network input {studies.Geometry.OutputHeight}x{studies.Geometry.OutputWidth}; reduced widths (DenseNet growth 8, blocks 2/2/2/2; filters 16..256), " +
            $"{o.Minutes:G} min budget; test split. " + SaliencyReport.PaperNote;
        var cmp = SaliencyEvaluator.Run(runs, studies, "test", outDir, note, log: log);
        return new SaliencyDemoResult(cmp, studies.Studies.Count, real, clock.Elapsed.TotalSeconds, outDir);
    }
}
