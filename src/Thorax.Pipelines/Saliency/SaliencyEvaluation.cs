using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Thorax.Metrics;
using Thorax.Models.Runtime;
using Thorax.Models.Saliency;
using Thorax.Training;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Pipelines.Saliency;

/// <summary>One study's evaluation (NaN for the metrics of a task the network does not do: <c>Probabilities</c> NaN and
/// <c>Predicted</c> −1 for the saliency-only network; KL, CC, SIM NaN for the classifier-only one).</summary>
/// <param name="Id">Study id.</param>
/// <param name="Label">True class.</param>
/// <param name="Probabilities">Softmax of the class logits.</param>
/// <param name="Predicted">Arg-max class.</param>
/// <param name="Kl">KL(Q ‖ P) as the reference (Σ Q·(log Q − log P), log P the network's log-softmax).</param>
/// <param name="Cc">Pearson CC of P and Q.</param>
/// <param name="Sim">Histogram intersection Σ min(P, Q) (the reference's "HS").</param>
/// <param name="GradCamCc">CC of the Grad-CAM map (predicted class, resized to H x W) with the predicted saliency P.</param>
/// <param name="GradCamGazeCc">CC of the Grad-CAM map with the true gaze map Q.</param>
public sealed record SaliencyImageResult(string Id, int Label, double[] Probabilities, int Predicted, double Kl, double Cc, double Sim,
    double GradCamCc, double GradCamGazeCc);

/// <summary>One image's saliency metrics (<see cref="SaliencyRunModel.ImageMetrics"/>).</summary>
/// <param name="P">exp(log P), renormalised as the reference does.</param>
/// <param name="Kl">KL(Q ‖ P).</param>
/// <param name="Cc">Pearson CC of P and Q.</param>
/// <param name="Sim">Σ min(P, Q); NaN when skipped.</param>
/// <param name="SimSkipped">Σ min(P, Q) exceeded 1 + 1e-5, which the reference leaves out of its list.</param>
public sealed record ImageSaliencyMetrics(float[] P, double Kl, double Cc, double Sim, bool SimSkipped);

/// <summary>Mean, median and population standard deviation (np.std) of per-image values, and how many were used.</summary>
public sealed record SaliencySummary(double Mean, double Median, double Std, int Count)
{
    /// <summary>Summarises the finite values.</summary>
    public static SaliencySummary Of(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).OrderBy(x => x).ToArray();
        if (v.Length == 0) return new SaliencySummary(double.NaN, double.NaN, double.NaN, 0);
        var mean = v.Average();
        var median = v.Length % 2 == 1 ? v[v.Length / 2] : 0.5 * (v[v.Length / 2 - 1] + v[v.Length / 2]);
        var std = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / v.Length);
        return new SaliencySummary(mean, median, std, v.Length);
    }

    /// <summary>As JSON.</summary>
    public JsonObject ToJson() => new() { ["mean"] = J(Mean), ["median"] = J(Median), ["std"] = J(Std), ["n"] = Count };

    internal static JsonNode? J(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;
}

/// <summary>A model's evaluation on one split (the paper's tables; seed-specs 2.5 semantics). A single-task network's
/// other task is absent (<paramref name="HasClassification"/>, <paramref name="HasSaliency"/>): its metrics are NaN,
/// blank in the tables and null in the JSON.</summary>
public sealed record SaliencyEvaluationResult(string Name, string Split, IReadOnlyList<SaliencyImageResult> Images, double Accuracy,
    double[] AucPerClass, double AucMacro, double AucMicro, SaliencySummary Kl, SaliencySummary Cc, SaliencySummary Sim, int SimSkipped,
    SaliencySummary GradCamCc, SaliencySummary GradCamGazeCc, JsonObject ClassReport, bool HasClassification = true, bool HasSaliency = true)
{
    /// <summary>As JSON (snake_case).</summary>
    public JsonObject ToJson()
    {
        var names = SaliencyPredictor.ClassNames;
        var auc = new JsonObject();
        for (var c = 0; c < names.Count; c++) auc[names[c]] = SaliencySummary.J(AucPerClass[c]);
        return new JsonObject
        {
            ["model"] = Name, ["split"] = Split, ["studies"] = Images.Count,
            ["tasks"] = new JsonArray(new[] { HasClassification ? "classification" : null, HasSaliency ? "saliency" : null }.OfType<string>().Select(t => (JsonNode)t).ToArray()),
            ["accuracy"] = SaliencySummary.J(Accuracy),
            ["auc"] = auc, ["auc_macro"] = SaliencySummary.J(AucMacro), ["auc_micro"] = SaliencySummary.J(AucMicro),
            ["kl"] = Kl.ToJson(), ["cc"] = Cc.ToJson(), ["sim"] = Sim.ToJson(), ["sim_skipped_over_1"] = SimSkipped,
            ["gradcam_saliency_cc"] = GradCamCc.ToJson(), ["gradcam_gaze_cc"] = GradCamGazeCc.ToJson(),
            ["classification_report"] = ClassReport,
        };
    }
}

/// <summary>Paired t-test of a per-image metric, model against baseline (scipy.stats.ttest_rel, as the paper's stat_test);
/// <paramref name="MeanDifference"/> is model − baseline.</summary>
public sealed record SaliencyPairedTest(string Metric, double T, double PTwoSided, double POneSided, double MeanDifference, int N)
{
    /// <summary>The model (the comparison's first row, the dual encoder).</summary>
    public string Model { get; init; } = "";

    /// <summary>The row it is tested against.</summary>
    public string Baseline { get; init; } = "";
}

/// <summary>
/// Evaluates a trained run (<see cref="SaliencyTrainer"/>) on a split of prepared studies: per-image class probabilities,
/// saliency KL / CC / SIM with the reference's semantics (seed-specs 2.5: P = exp(log-softmax), renormalised when
/// |ΣP − 1| &gt; 1e-3; Q = gaze / Σ gaze; KL = Σ Q (log Q − log P) with the network's log P; CC = Pearson(P, Q); SIM = Σ min(P, Q),
/// values above 1 + 1e-5 skipped as the reference does and counted), per-class one-vs-rest, macro (mean of the three) and
/// micro ROC AUC, accuracy, a classification report, and Grad-CAM (the predicted class; DenseNet denseblock4 for the dual
/// encoder as the reference's <c>cam_densenet.py</c>, Conv5 for MT-UNet) compared with the predicted saliency by CC.
/// </summary>
public sealed class SaliencyRunModel : IDisposable
{
    private SaliencyRunModel(string runDir, SaliencyModelSpec spec, SaliencyGeometry geometry, (int, int) imageSize,
        Module<Tensor, (Tensor ClassLogits, Tensor SaliencyLogits)> net)
    {
        RunDirectory = runDir;
        Spec = spec;
        Geometry = geometry;
        ImageSize = imageSize;
        Net = net;
    }

    /// <summary>The run folder.</summary>
    public string RunDirectory { get; }

    /// <summary>The network's architecture and widths.</summary>
    public SaliencyModelSpec Spec { get; }

    /// <summary>The geometry the run was trained at.</summary>
    public SaliencyGeometry Geometry { get; }

    /// <summary>The image size (width, height) the run was trained on.</summary>
    public (int Width, int Height) ImageSize { get; }

    /// <summary>The network (eval mode).</summary>
    public Module<Tensor, (Tensor ClassLogits, Tensor SaliencyLogits)> Net { get; }

    /// <summary>Opens <c>RUN/config.json</c> and <c>RUN/model.safetensors</c> (strict; a checkpoint of another network is
    /// named as such); the weights are read on the CPU and the network moved to <paramref name="device"/> (default CPU).</summary>
    public static SaliencyRunModel Load(string runDir, Device? device = null)
    {
        var cfgPath = Path.Combine(runDir, "config.json");
        if (!File.Exists(cfgPath)) throw new FileNotFoundException($"{cfgPath} not found; not a saliency train run folder", cfgPath);
        var cfg = JsonNode.Parse(File.ReadAllText(cfgPath));
        var spec = SaliencyModelSpec.FromJson(cfg?["network"], cfgPath);
        var geo = SaliencyGeometry.FromJson(cfg?["geometry"], cfgPath);
        var size = (cfg?["image_width"]?.GetValue<int>() ?? throw new InvalidDataException($"{cfgPath}: image_width missing"),
            cfg?["image_height"]?.GetValue<int>() ?? throw new InvalidDataException($"{cfgPath}: image_height missing"));
        TorchRuntime.EnsureLoaded();
        var net = spec.Build();
        try
        {
            spec.LoadWeights(net, Path.Combine(runDir, "model.safetensors"));
        }
        catch
        {
            net.Dispose();
            throw;
        }
        net.eval();
        net.MoveTo(device);
        return new SaliencyRunModel(Path.GetFullPath(runDir), spec, geo, size, net);
    }

    /// <summary>
    /// One image's saliency metrics as the reference's <c>MetricsHandle_Saliency</c> computes them (seed-specs 2.5):
    /// P = exp(log P), renormalised when |ΣP − 1| &gt; 1e-3 (log P itself is not); Q renormalised the same way;
    /// KL = Σ Q·(log Q − log P) over Q &gt; 0 (<c>F.kl_div(logP, Q, 'batchmean')</c> on a 1×H×W map) with the network's
    /// log P; CC = Pearson(P, Q); SIM ("HS") = Σ min(P, Q), NaN and <see cref="ImageSaliencyMetrics.SimSkipped"/> when
    /// above 1 + 1e-5 (the reference prints "Invalid HI" and leaves it out).
    /// </summary>
    /// <param name="logP">The network's log-softmax over the H·W pixels.</param>
    /// <param name="q">The true gaze map normalised to sum 1 (the reference's Y).</param>
    public static ImageSaliencyMetrics ImageMetrics(ReadOnlySpan<float> logP, ReadOnlySpan<float> q)
    {
        if (logP.Length != q.Length || q.Length == 0) throw new ArgumentException($"log P has {logP.Length} pixels and Q {q.Length}; both must be the same non-zero size");
        var n = q.Length;
        var p = new float[n];
        double sp = 0, sq = 0;
        for (var k = 0; k < n; k++) sp += p[k] = MathF.Exp(logP[k]);
        if (Math.Abs(sp - 1) > 1e-3) for (var k = 0; k < n; k++) p[k] = (float)(p[k] / sp);
        for (var k = 0; k < n; k++) sq += q[k];
        var qq = q.ToArray();
        if (Math.Abs(sq - 1) > 1e-3) for (var k = 0; k < n; k++) qq[k] = (float)(qq[k] / sq);
        double kl = 0, sim = 0;
        for (var k = 0; k < n; k++)
        {
            if (qq[k] > 0) kl += qq[k] * (Math.Log(qq[k]) - logP[k]);
            sim += Math.Min(p[k], qq[k]);
        }
        var skipped = sim > 1 + 1e-5;
        return new ImageSaliencyMetrics(p, kl, SaliencyMetrics.CorrelationCoefficient(p, qq), skipped ? double.NaN : sim, skipped);
    }

    /// <summary>Evaluates the network on <paramref name="studies"/>; <paramref name="maps"/> receives each study's (P, Grad-CAM) maps when given.</summary>
    public SaliencyEvaluationResult Evaluate(IReadOnlyList<SaliencyStudy> studies, string name, string split, int batch = 8,
        Action<int, float[]?, float[]?>? maps = null, Action<int, int>? progress = null)
    {
        if (studies.Count == 0) throw new ArgumentException($"the {split} split has no study");
        var g = Geometry;
        int h = g.OutputHeight, w = g.OutputWidth, plane = h * w;
        var layer = SaliencyModelSpec.GradCamLayer(Net);
        bool cls = Spec.HasClassification, salient = Spec.HasSaliency;
        var images = new List<SaliencyImageResult>();
        var simSkipped = 0;
        var device = Devices.DeviceOf(Net);
        for (var start = 0; start < studies.Count; start += batch)
        {
            using var quiet = TorchGc.Quiet(); // README "Engine": no collection during native calls
            using var scope = NewDisposeScope();
            var items = studies.Skip(start).Take(batch).ToList();
            var (x, _, q) = SaliencyTrainer.Batch(items, g, device);
            float[]? logp = null, probs = null;
            using (no_grad())
            {
                var (logits, sal) = Net.call(x);
                if (salient) logp = SaliencyLayers.LogSoftmaxOverPixels(sal).flatten(1).OnCpu().data<float>().ToArray();
                if (cls) probs = logits.softmax(1).OnCpu().data<float>().ToArray();
            }
            float[]? camMaps = null;
            if (cls && layer is not null)
            {
                using var cam = GradCam.Compute(Net, r => r.ClassLogits, layer, x);
                camMaps = cam.Normalized(h, w).flatten(1).OnCpu().data<float>().ToArray();
            }
            var qs = q.flatten(1).OnCpu().data<float>().ToArray();
            for (var i = 0; i < items.Count; i++)
            {
                var qq = qs.AsSpan(i * plane, plane);
                float[]? p = null;
                double kl = double.NaN, sim = double.NaN, cc = double.NaN;
                if (logp is not null)
                {
                    var m = ImageMetrics(logp.AsSpan(i * plane, plane), qq);
                    (p, kl, cc, sim) = (m.P, m.Kl, m.Cc, m.Sim);
                    if (m.SimSkipped) simSkipped++;
                }
                float[]? cm = camMaps?.AsSpan(i * plane, plane).ToArray();
                var camCc = cm is not null && p is not null ? SaliencyMetrics.CorrelationCoefficient(cm, p) : double.NaN;
                var camGaze = cm is not null ? SaliencyMetrics.CorrelationCoefficient(cm, qq) : double.NaN;
                var pr = new[] { double.NaN, double.NaN, double.NaN };
                var pred = -1;
                if (probs is not null)
                {
                    for (var c = 0; c < 3; c++) pr[c] = probs[i * 3 + c];
                    pred = Array.IndexOf(pr, pr.Max());
                }
                images.Add(new SaliencyImageResult(items[i].Id, items[i].Label, pr, pred, kl, cc, sim, camCc, camGaze));
                maps?.Invoke(start + i, p, cm);
            }
            progress?.Invoke(Math.Min(studies.Count, start + batch), studies.Count);
        }
        return Summarise(name, split, images, simSkipped, cls, salient);
    }

    /// <summary>The classification and saliency summary of per-image results.</summary>
    public static SaliencyEvaluationResult Summarise(string name, string split, IReadOnlyList<SaliencyImageResult> images, int simSkipped,
        bool hasClassification = true, bool hasSaliency = true)
    {
        if (!hasClassification)
            return new SaliencyEvaluationResult(name, split, images, double.NaN, [double.NaN, double.NaN, double.NaN], double.NaN, double.NaN,
                SaliencySummary.Of(images.Select(r => r.Kl)), SaliencySummary.Of(images.Select(r => r.Cc)), SaliencySummary.Of(images.Select(r => r.Sim)), simSkipped,
                SaliencySummary.Of([]), SaliencySummary.Of([]), new JsonObject(), false, hasSaliency);
        var labels = images.Select(r => r.Label).ToArray();
        var scores = images.SelectMany(r => r.Probabilities).ToArray();
        var auc = new double[3];
        for (var c = 0; c < 3; c++)
        {
            var pos = labels.Count(l => l == c);
            auc[c] = pos == 0 || pos == labels.Length ? double.NaN
                : RankingMetrics.RocAuc(images.Select(r => r.Probabilities[c]).ToArray(), labels.Select(l => l == c ? 1 : 0).ToArray());
        }
        var macro = auc.All(double.IsFinite) ? auc.Average() : double.NaN;
        double micro;
        try { micro = RankingMetrics.RocAucMulticlass(scores, labels, 3, AverageMethod.Micro); }
        catch (MetricException) { micro = double.NaN; }
        var acc = images.Count(r => r.Predicted == r.Label) / (double)images.Count;
        var report = new JsonObject();
        for (var c = 0; c < 3; c++)
        {
            int tp = images.Count(r => r.Predicted == c && r.Label == c), fp = images.Count(r => r.Predicted == c && r.Label != c), fn = images.Count(r => r.Predicted != c && r.Label == c);
            double prec = tp + fp == 0 ? 0 : (double)tp / (tp + fp), rec = tp + fn == 0 ? 0 : (double)tp / (tp + fn);
            var f1 = prec + rec == 0 ? 0 : 2 * prec * rec / (prec + rec);
            report[SaliencyPredictor.ClassNames[c]] = new JsonObject
            {
                ["precision"] = Math.Round(prec, 6), ["recall"] = Math.Round(rec, 6), ["f1"] = Math.Round(f1, 6), ["support"] = tp + fn,
            };
        }
        return new SaliencyEvaluationResult(name, split, images, acc, auc, macro, micro,
            SaliencySummary.Of(images.Select(r => r.Kl)), SaliencySummary.Of(images.Select(r => r.Cc)), SaliencySummary.Of(images.Select(r => r.Sim)), simSkipped,
            SaliencySummary.Of(images.Select(r => r.GradCamCc)), SaliencySummary.Of(images.Select(r => r.GradCamGazeCc)), report, true, hasSaliency);
    }

    /// <summary>
    /// Paired t-tests, model against baseline on the same studies, of the tasks both do: KL, CC and SIM per image (the
    /// paper's tests) and, when both classify, the per-image log loss −ln p(true class) (not in the paper: its Table 1
    /// has no test). One-sided p = p/2 when the difference favours the model (lower KL and log loss, higher CC and SIM),
    /// otherwise 1 − p/2.
    /// </summary>
    public static IReadOnlyList<SaliencyPairedTest> PairedTests(SaliencyEvaluationResult model, SaliencyEvaluationResult baseline)
    {
        if (!model.Images.Select(i => i.Id).SequenceEqual(baseline.Images.Select(i => i.Id)))
            throw new ArgumentException("the model and the baseline were evaluated on different studies");
        var tests = new List<SaliencyPairedTest>();
        var metrics = new List<(string, Func<SaliencyImageResult, double>, bool)>();
        if (model.HasSaliency && baseline.HasSaliency)
            metrics.AddRange([("kl", r => r.Kl, true), ("cc", r => r.Cc, false), ("sim", r => r.Sim, false)]);
        if (model.HasClassification && baseline.HasClassification)
            metrics.Add(("log_loss", r => -Math.Log(Math.Max(r.Probabilities[r.Label], 1e-12)), true));
        foreach (var (metric, get, lowerBetter) in metrics)
        {
            var pairs = model.Images.Zip(baseline.Images).Select(p => (get(p.First), get(p.Second))).Where(p => double.IsFinite(p.Item1) && double.IsFinite(p.Item2)).ToArray();
            if (pairs.Length < 2) continue;
            var t = PairedTTest.Compute(pairs.Select(p => p.Item1).ToArray(), pairs.Select(p => p.Item2).ToArray());
            var favourable = lowerBetter ? t.MeanDifference < 0 : t.MeanDifference > 0;
            tests.Add(new SaliencyPairedTest(metric, t.T, t.PValue, favourable ? t.PValue / 2 : 1 - t.PValue / 2, t.MeanDifference, pairs.Length)
            {
                Model = model.Name, Baseline = baseline.Name,
            });
        }
        return tests;
    }

    /// <summary>Disposes the network.</summary>
    public void Dispose() => Net.Dispose();
}

/// <summary>The comparison table (<c>table.md</c>, <c>table.json</c>), per-image CSVs and the HTML report.</summary>
public static class SaliencyReport
{
    /// <summary>The paper's figures, for the table's reference row (Qiu et al., Med Phys 2025: AUC 0.925, CC 0.576).</summary>
    public const string PaperNote = "paper (Qiu et al. 2025, EGD-CXR, full width, 320x256): AUC 0.925, CC 0.576";

    /// <summary>Markdown table: one row per model.</summary>
    public static string Markdown(IReadOnlyList<SaliencyEvaluationResult> rows, string note, IReadOnlyList<SaliencyPairedTest>? tests = null)
    {
        var sb = new StringBuilder();
        sb.Append("| model | split | studies | AUC normal | AUC heart failure | AUC pneumonia | AUC macro | AUC micro | accuracy | KL ↓ | CC ↑ | SIM ↑ | Grad-CAM vs saliency CC |\n");
        sb.Append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        foreach (var r in rows)
        {
            string C(double v) => r.HasClassification ? F(v) : "";
            string S(SaliencySummary v) => r.HasSaliency ? $"{F(v.Mean)} ± {F(v.Std)}" : "";
            sb.Append($"| {r.Name} | {r.Split} | {r.Images.Count} | {C(r.AucPerClass[0])} | {C(r.AucPerClass[1])} | {C(r.AucPerClass[2])} | {C(r.AucMacro)} | {C(r.AucMicro)} | {C(r.Accuracy)} | " +
                $"{S(r.Kl)} | {S(r.Cc)} | {S(r.Sim)} | {(r.HasClassification && r.HasSaliency ? F(r.GradCamCc.Mean) : "")} |\n");
        }
        if (tests is { Count: > 0 })
        {
            sb.Append("\nPaired t-tests against the first row (difference = first row − other; one-sided p favours the first row):\n\n");
            sb.Append("| model | against | metric | n | mean difference | t | p (two-sided) | p (one-sided) |\n|---|---|---|---:|---:|---:|---:|---:|\n");
            foreach (var t in tests)
                sb.Append(FormattableString.Invariant($"| {t.Model} | {t.Baseline} | {t.Metric} | {t.N} | {F(t.MeanDifference)} | {F(t.T)} | {t.PTwoSided:G3} | {t.POneSided:G3} |\n"));
        }
        sb.Append("\nBlank cells: the network does not do that task (single-task models); n/a: undefined on this split.\n");
        sb.Append('\n').Append(note).Append('\n');
        return sb.ToString();
    }

    private static string F(double v) => double.IsFinite(v) ? v.ToString("F3", CultureInfo.InvariantCulture) : "n/a";

    /// <summary>Writes <c>table.md</c>, <c>table.json</c>, <c>per_image_NAME.csv</c> into <paramref name="dir"/> (atomically).</summary>
    public static void WriteTables(string dir, IReadOnlyList<SaliencyEvaluationResult> rows, IReadOnlyList<SaliencyPairedTest> tests, string note, JsonObject? extra = null)
    {
        Directory.CreateDirectory(dir);
        RunFiles.WriteText(Path.Combine(dir, "table.md"), Markdown(rows, note, tests));
        var json = new JsonObject
        {
            ["version"] = 1,
            ["models"] = new JsonArray(rows.Select(r => (JsonNode)r.ToJson()).ToArray()),
            ["paired_t_tests"] = new JsonArray(tests.Select(t => (JsonNode)new JsonObject
            {
                ["model"] = t.Model, ["baseline"] = t.Baseline, ["metric"] = t.Metric, ["t"] = SaliencySummary.J(t.T), ["p_two_sided"] = P(t.PTwoSided), ["p_one_sided"] = P(t.POneSided),
                ["mean_difference"] = SaliencySummary.J(t.MeanDifference), ["n"] = t.N,
            }).ToArray()),
            ["note"] = note,
        };
        if (extra is not null) foreach (var (k, v) in extra) json[k] = v?.DeepClone();
        RunFiles.WriteText(Path.Combine(dir, "table.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        foreach (var r in rows)
        {
            var sb = new StringBuilder("id,label,predicted,p_normal,p_heart_failure,p_pneumonia,kl,cc,sim,gradcam_saliency_cc,gradcam_gaze_cc\n");
            foreach (var i in r.Images)
                sb.Append(FormattableString.Invariant($"{i.Id},{i.Label},{i.Predicted},{i.Probabilities[0]:G6},{i.Probabilities[1]:G6},{i.Probabilities[2]:G6},{i.Kl:G6},{i.Cc:G6},{i.Sim:G6},{i.GradCamCc:G6},{i.GradCamGazeCc:G6}\n"));
            RunFiles.WriteText(Path.Combine(dir, $"per_image_{Safe(r.Name)}.csv"), sb.ToString());
        }
    }

    // p-values unrounded (a small p would round to 0 at six decimals).
    private static JsonNode? P(double p) => double.IsFinite(p) ? JsonValue.Create(p) : null;

    private static string Safe(string s) => new(s.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());

    /// <summary>One overlay: a [0,1] map in JET over the grey image at 0.45 opacity, as a PNG data URI.</summary>
    public static string Overlay(float[] image, float[] map, int width, int height)
    {
        var max = map.Max();
        var heat = new Thorax.Imaging.Image<float>(width, height, 1, map.Select(v => max > 0 ? v / max : 0f).ToArray());
        var grey = new Thorax.Imaging.Image<byte>(width, height, 1, image.Select(v => (byte)Math.Clamp(MathF.Round(v * 255f), 0, 255)).ToArray());
        var rgb = Thorax.Imaging.Ops.ColorMaps.Overlay(grey, Thorax.Imaging.Ops.ColorMaps.Apply(heat, Thorax.Imaging.Ops.ColorMap.Jet), 0.45);
        return "data:image/png;base64," + Convert.ToBase64String(Thorax.Imaging.Codecs.Png.Encode(rgb));
    }

    /// <summary>A figure row of the HTML report: the study, its true gaze map and each model's predicted saliency and Grad-CAM.</summary>
    public sealed record Figure(SaliencyStudy Study, IReadOnlyList<(string Model, float[]? Saliency, float[]? Cam, int Predicted, double Cc)> Models);

    /// <summary>The self-contained HTML report (tables and overlays as inline PNGs).</summary>
    public static string Html(string title, IReadOnlyList<SaliencyEvaluationResult> rows, IReadOnlyList<SaliencyPairedTest> tests, IReadOnlyList<Figure> figures,
        SaliencyGeometry g, string note)
    {
        Func<string?, string?> enc = System.Net.WebUtility.HtmlEncode;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>").Append(enc(title)).Append("</title><style>")
          .Append("body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")
          .Append("th{background:#f3f3f3}td:first-child{text-align:left}.row{display:flex;gap:8px;margin-bottom:10px;align-items:flex-start}.row figure{margin:0;font-size:12px;text-align:center}")
          .Append(".row img{width:160px;image-rendering:pixelated;border:1px solid #999}small{color:#666}</style></head><body>");
        sb.Append("<h1>").Append(enc(title)).Append("</h1><p>").Append(enc(note)).Append("</p>");
        sb.Append("<h2>Classification and saliency</h2><table><tr><th>model</th><th>split</th><th>studies</th><th>AUC normal</th><th>AUC heart failure</th><th>AUC pneumonia</th><th>AUC macro</th><th>AUC micro</th><th>accuracy</th><th>KL ↓</th><th>CC ↑</th><th>SIM ↑</th><th>Grad-CAM vs saliency CC</th><th>Grad-CAM vs gaze CC</th></tr>");
        foreach (var r in rows)
        {
            string C(double v) => r.HasClassification ? F(v) : "";
            string S(SaliencySummary v) => r.HasSaliency ? $"{F(v.Mean)} ± {F(v.Std)}" : "";
            sb.Append($"<tr><td>{enc(r.Name)}</td><td>{r.Split}</td><td>{r.Images.Count}</td><td>{C(r.AucPerClass[0])}</td><td>{C(r.AucPerClass[1])}</td><td>{C(r.AucPerClass[2])}</td><td>{C(r.AucMacro)}</td><td>{C(r.AucMicro)}</td><td>{C(r.Accuracy)}</td>" +
                $"<td>{S(r.Kl)}</td><td>{S(r.Cc)}</td><td>{S(r.Sim)}</td><td>{(r.HasClassification && r.HasSaliency ? F(r.GradCamCc.Mean) : "")}</td><td>{C(r.GradCamGazeCc.Mean)}</td></tr>");
        }
        sb.Append("</table><small>KL, CC, SIM per image as the reference's hzhu_metrics_saliency.py (mean ± population std); AUC one-vs-rest, macro = mean of the three; blank: the network does not do that task. ")
          .Append(enc(SaliencyReport.PaperNote)).Append(".</small>");
        if (tests.Count > 0)
        {
            sb.Append("<h2>Paired t-tests (first row against each other row; difference = first − other)</h2><table><tr><th>model</th><th>against</th><th>metric</th><th>n</th><th>mean difference</th><th>t</th><th>p (two-sided)</th><th>p (one-sided)</th></tr>");
            foreach (var t in tests) sb.Append($"<tr><td>{enc(t.Model)}</td><td>{enc(t.Baseline)}</td><td>{t.Metric}</td><td>{t.N}</td><td>{F(t.MeanDifference)}</td><td>{F(t.T)}</td><td>{t.PTwoSided:G3}</td><td>{t.POneSided:G3}</td></tr>");
            sb.Append("</table>");
        }
        sb.Append("<h2>Predicted saliency, true gaze and Grad-CAM</h2><p><small>Each row: the input, the radiologist gaze map (truth), then per model its predicted saliency and its Grad-CAM for the predicted class, in JET over the image.</small></p>");
        int w = g.OutputWidth, h = g.OutputHeight;
        foreach (var f in figures)
        {
            sb.Append("<div class=\"row\">");
            sb.Append($"<figure><img src=\"{Overlay(f.Study.Image, new float[f.Study.Image.Length], w, h)}\"><figcaption>{enc(f.Study.Id[..Math.Min(8, f.Study.Id.Length)])}<br>{SaliencyPredictor.ClassNames[f.Study.Label]}</figcaption></figure>");
            sb.Append($"<figure><img src=\"{Overlay(f.Study.Image, f.Study.Gaze, w, h)}\"><figcaption>true gaze</figcaption></figure>");
            foreach (var m in f.Models)
            {
                if (m.Saliency is not null)
                    sb.Append($"<figure><img src=\"{Overlay(f.Study.Image, m.Saliency, w, h)}\"><figcaption>{enc(m.Model)} saliency<br>CC {F(m.Cc)}</figcaption></figure>");
                if (m.Cam is not null)
                    sb.Append($"<figure><img src=\"{Overlay(f.Study.Image, m.Cam, w, h)}\"><figcaption>{enc(m.Model)} Grad-CAM<br>predicted {SaliencyPredictor.ClassNames[m.Predicted]}</figcaption></figure>");
            }
            sb.Append("</div>");
        }
        sb.Append("</body></html>");
        return sb.ToString();
    }
}

/// <summary>What <see cref="SaliencyEvaluator.Run"/> wrote and found.</summary>
public sealed record SaliencyComparison(IReadOnlyList<SaliencyEvaluationResult> Rows, IReadOnlyList<SaliencyPairedTest> Tests, string OutDirectory);

/// <summary><c>thorax saliency evaluate</c> / <c>compare</c>: one or more runs on one split in one table (the first is the
/// model, normally the dual encoder; every other row is paired-t-tested against it on the tasks both do), written as
/// <c>table.md</c>, <c>table.json</c>, <c>per_image_*.csv</c> and <c>report.html</c>.</summary>
public static class SaliencyEvaluator
{
    /// <summary>Evaluates <paramref name="runs"/> (name, run folder) on <paramref name="split"/> of <paramref name="studies"/>.</summary>
    /// <exception cref="InvalidDataException">A run was trained at another geometry than the studies were prepared at.</exception>
    public static SaliencyComparison Run(IReadOnlyList<(string Name, string RunDir)> runs, SaliencyStudies studies, string split, string outDir,
        string note, int figures = 8, JsonObject? extra = null, Action<string>? log = null, Device? device = null)
    {
        if (split is not ("train" or "validation" or "test")) throw new ArgumentException($"--split must be train, validation or test, got '{split}'");
        var items = studies.Split(split);
        if (items.Count == 0) throw new ArgumentException($"{studies.Root}: the {split} split is empty");
        // Figures: the first studies of each class in turn.
        var picks = items.Select((s, i) => (s, i)).GroupBy(p => p.s.Label).SelectMany(g => g.Take((figures + 2) / 3).Select((p, k) => (p.i, k)))
            .OrderBy(p => p.k).ThenBy(p => p.i).Take(figures).Select(p => p.i).ToList();
        var figs = picks.ToDictionary(i => i, _ => new List<(string, float[]?, float[]?, int, double)>());
        var rows = new List<SaliencyEvaluationResult>();
        foreach (var (name, dir) in runs)
        {
            using var model = SaliencyRunModel.Load(dir, device);
            var g = model.Geometry;
            if (g.CanvasHeight != studies.Geometry.CanvasHeight || g.CanvasWidth != studies.Geometry.CanvasWidth || g.Stride != studies.Geometry.Stride)
                throw new InvalidDataException($"{dir}: trained at canvas {g.CanvasWidth}x{g.CanvasHeight} stride {g.Stride}, but the studies are prepared at {studies.Geometry.CanvasWidth}x{studies.Geometry.CanvasHeight} stride {studies.Geometry.Stride}");
            log?.Invoke($"evaluating {name} ({model.Spec}) on {items.Count} {split} studies ...");
            var maps = new Dictionary<int, (float[]? P, float[]? Cam)>();
            var r = model.Evaluate(items, name, split, maps: (i, p, cam) => { if (figs.ContainsKey(i)) maps[i] = (p, cam); });
            foreach (var i in picks) figs[i].Add((name, maps[i].P, maps[i].Cam, r.Images[i].Predicted, r.Images[i].Cc));
            rows.Add(r);
        }
        var tests = rows.Skip(1).SelectMany(r => SaliencyRunModel.PairedTests(rows[0], r)).ToList();
        SaliencyReport.WriteTables(outDir, rows, tests, note, extra);
        var html = SaliencyReport.Html("Joint diagnosis and gaze saliency (Qiu et al.)", rows, tests,
            picks.Select(i => new SaliencyReport.Figure(items[i], figs[i])).ToList(), studies.Geometry, note);
        RunFiles.WriteText(Path.Combine(outDir, "report.html"), html);
        return new SaliencyComparison(rows, tests, Path.GetFullPath(outDir));
    }

    /// <summary>Reads a run's geometry and image size from its <c>config.json</c> (to prepare studies as it was trained).</summary>
    public static (SaliencyGeometry Geometry, (int Width, int Height) ImageSize) RunGeometry(string runDir)
    {
        var cfgPath = Path.Combine(runDir, "config.json");
        if (!File.Exists(cfgPath)) throw new FileNotFoundException($"{cfgPath} not found; not a saliency train run folder", cfgPath);
        var cfg = JsonNode.Parse(File.ReadAllText(cfgPath));
        var geo = SaliencyGeometry.FromJson(cfg?["geometry"], cfgPath);
        return (geo, (cfg?["image_width"]?.GetValue<int>() ?? 0, cfg?["image_height"]?.GetValue<int>() ?? 0));
    }
}
