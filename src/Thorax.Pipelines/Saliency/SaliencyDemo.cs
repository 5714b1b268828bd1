using System.Diagnostics;
using System.Text.Json.Nodes;
using Thorax.Synthetic;

namespace Thorax.Pipelines.Saliency;

/// <summary>Settings of <see cref="SaliencyDemo"/>.</summary>
public sealed record SaliencyDemoOptions
{
    /// <summary>Wall-clock budget of the whole demo (data, both trainings, evaluation) in minutes.</summary>
    public double Minutes { get; init; } = 15;

    /// <summary>Output folder (data/, classifier/, saliency/, mtunet/, dual/, table.md, table.json, report.html).</summary>
    public string OutDirectory { get; init; } = "saliency-demo";

    /// <summary>Studies to generate.</summary>
    public int Studies { get; init; } = 240;

    /// <summary>Generated image size (px).</summary>
    public int ImageSize { get; init; } = 256;

    /// <summary>Subsampling stride (256 px images: 2 gives the network 160 x 128, 4 gives 96 x 64).</summary>
    public int Stride { get; init; } = 2;

    /// <summary>Real X-rays with lung masks for <c>synth --background</c>; procedural studies when absent.</summary>
    public string? Background { get; init; } = Path.Combine("..", "shared", "data", "lungs");

    /// <summary>Where the networks train and run: <c>cpu</c> (default), <c>cuda</c> or <c>cuda:N</c> (needs a CUDA
    /// TorchSharp package; see <see cref="Thorax.Models.Runtime.TorchRuntime.ParseDevice"/>).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Seed of the studies and the trainings.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>What the demo measured.</summary>
public sealed record SaliencyDemoResult(SaliencyComparison Comparison, int Studies, bool RealBackgrounds, double Seconds, string OutDirectory)
{
    /// <summary>The demo's JSON (snake_case, version 1).</summary>
    public JsonObject ToJson()
    {
        SaliencyEvaluationResult? Row(string model) => Comparison.Rows.FirstOrDefault(r => r.Name == SaliencyCompareOptions.RowName(model));
        var m = Row("dual") ?? throw new InvalidOperationException("the comparison has no dual-encoder row");
        var b = Row("mtunet");
        var c = Row("classifier");
        var s = Row("saliency");
        JsonNode? T(string baseline, string metric) => Comparison.Tests.FirstOrDefault(t => t.Baseline == SaliencyCompareOptions.RowName(baseline) && t.Metric == metric) is { } t
            ? JsonValue.Create(t.PTwoSided) : null;
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
            ["baseline_cc_p"] = T("mtunet", "cc"),
            ["classifier_auc_macro"] = c is null ? null : SaliencySummary.J(c.AucMacro),
            ["classifier_accuracy"] = c is null ? null : SaliencySummary.J(c.Accuracy),
            ["classifier_log_loss_p"] = T("classifier", "log_loss"),
            ["saliency_kl"] = s is null ? null : SaliencySummary.J(s.Kl.Mean),
            ["saliency_cc"] = s is null ? null : SaliencySummary.J(s.Cc.Mean),
            ["saliency_sim"] = s is null ? null : SaliencySummary.J(s.Sim.Mean),
            ["saliency_cc_p"] = T("saliency", "cc"),
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
/// failure and pneumonia, one third each, with simulated fixations), then the paper's comparison at reduced width
/// (<see cref="SaliencyCompare"/>: the single-task classifier, the single-task Res_SE-UNet, MT-UNet and the dual encoder,
/// whose stages 3-4 start from the classifier's DenseNet) in 88% of the time left after the data, all evaluated on the
/// test split (table, report). Each stage runs at least one epoch; time a training leaves unused flows to the later ones
/// (<see cref="SaliencyBudget"/>).
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
        var note = $"{(real ? "realistic studies on real X-rays (synth --background)" : "procedural studies")}: {studies.Studies.Count} studies, {o.ImageSize} px, " +
            $"network input {studies.Geometry.OutputHeight}x{studies.Geometry.OutputWidth}; reduced widths (DenseNet growth 8, blocks 2/2/2/2; filters 16..256), " +
            $"{o.Minutes:G} min budget; test split. " + SaliencyReport.PaperNote;
        var cmp = SaliencyCompare.Run(studies, new SaliencyCompareOptions
        {
            OutDirectory = outDir, Width = "small", TimeBudget = left * 0.88, Seed = o.Seed, EvaluationSplit = "test", Note = note, Device = o.Device,
        }, log, (_, t) => attach?.Invoke(t), cancel);
        return new SaliencyDemoResult(cmp, studies.Studies.Count, real, clock.Elapsed.TotalSeconds, outDir);
    }
}
