using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Metrics;
using Thorax.Pipelines.Classification;
using Thorax.Training;

namespace Thorax.Pipelines.Pneumothorax;

/// <summary>Settings of <see cref="PtxEvaluation"/>.</summary>
public sealed record PtxEvaluationOptions
{
    /// <summary>Split evaluated. Default test.</summary>
    public string Split { get; init; } = "test";

    /// <summary>Thresholds and eliminator of the headline rows.</summary>
    public PtxPostprocessOptions Postprocess { get; init; } = new();

    /// <summary>Component thresholds (pixels at 1024 x 1024) of the Table 2 sweep: the paper's 3500, 4500, 1750 at 1024
    /// and 750, 250 at 512 (3000, 1000 at 1024), plus 0 (no eliminator).</summary>
    public IReadOnlyList<int> Sweep { get; init; } = [0, 1000, 1750, 3000, 3500, 4500];

    /// <summary>The triplet scheme compared with the classifier (first place's best validation triplet).</summary>
    public TripletThresholds Triplet { get; init; } = new(0.75, 2000, 0.3);

    /// <summary>Horizontal-flip TTA. Default true.</summary>
    public bool FlipTta { get; init; } = true;

    /// <summary>Where the networks run: <c>cpu</c> (default), <c>cuda</c> or <c>cuda:N</c> (needs a CUDA TorchSharp package;
    /// see <see cref="Thorax.Models.Runtime.TorchRuntime.ParseDevice"/>).</summary>
    public string Device { get; init; } = "cpu";
}

/// <summary>One row of a results table: a configuration and its Kaggle mean Dice.</summary>
public sealed record PtxRow(string Table, string Configuration, double MeanDice, string Note = "");

/// <summary>What <see cref="PtxEvaluation.Run"/> measured.</summary>
public sealed record PtxEvaluationResult(string OutputDirectory, int Studies, int Positives, double CascadeMeanDice, double SegmenterOnlyMeanDice,
    double ClassifierAuc, double ClassifierMcc, double ClassifierPrecision, double ClassifierRecall, double ClassifierAccuracy,
    int ComponentThreshold, IReadOnlyList<PtxRow> Rows, JsonObject Json);

/// <summary>
/// The paper's tables as one evaluation of a classifier run and a segmenter run on a split of a study folder: Kaggle
/// mean Dice (empty prediction on an empty truth = 1) of the cascade against the segmenter alone (the paper's 0.13
/// claim), windowed against classic SWA (Table 1) and the best single epoch, a sweep of the small-region threshold
/// (Table 2), and the first place's triplet scheme in place of the classifier; classifier AUC, MCC, precision, recall.
/// Writes <c>table.md</c>, <c>table.json</c>, <c>per_image.csv</c> and a self-contained <c>report.html</c>.
/// </summary>
public static class PtxEvaluation
{
    /// <summary>Runs the evaluation and writes its files into <paramref name="outDir"/>.</summary>
    /// <exception cref="ArgumentException">The split is unknown or empty.</exception>
    public static PtxEvaluationResult Run(ClassificationDataset dataset, string? classifierRun, string segmenterRun, string outDir,
        PtxEvaluationOptions? options = null, Action<string>? stage = null)
    {
        var o = options ?? new PtxEvaluationOptions();
        o.Postprocess.Validate();
        if (!ClassificationDataset.SplitNames.Contains(o.Split))
            throw new ArgumentException($"--split must be one of {string.Join(", ", ClassificationDataset.SplitNames)}, got '{o.Split}'");
        var studies = dataset.Split(o.Split);
        if (studies.Count == 0) throw new ArgumentException($"{dataset.Root}: the {o.Split} split is empty");
        var device = Thorax.Models.Runtime.TorchRuntime.ParseDevice(o.Device);

        // Every variant the run has; the default (window) first.
        var variants = PtxSegmenterModel.VariantFiles.Where(kv => File.Exists(Path.Combine(segmenterRun, kv.Value))).Select(kv => kv.Key)
            .OrderBy(v => v == "window" ? 0 : v == "classic" ? 1 : 2).ToList();
        if (!variants.Contains("window")) throw new FileNotFoundException($"{segmenterRun}: no swa-window.safetensors; is it a finished ptx train-segmenter run?");
        int size;
        double[]? probs = null;
        using (var first = PtxCascade.Open(classifierRun, segmenterRun, "window", device)) size = first.Size;
        stage?.Invoke($"loading {studies.Count} {o.Split} studies");
        var images = ClassifierTrainer.LoadImages(dataset, studies, size);
        var small = studies.Select(s => images[s.Id]).ToList();
        var truth = new (int W, int H, byte[] M)[studies.Count];
        Parallel.For(0, studies.Count, i => truth[i] = PtxData.NativeMask(dataset, studies[i]));
        var labels = studies.Select(s => s.Label).ToArray();
        var maps = new Dictionary<string, float[][]>();
        foreach (var v in variants)
        {
            stage?.Invoke($"segmenter ({v} weights{(o.FlipTta ? ", flip TTA" : "")})");
            using var cascade = PtxCascade.Open(v == "window" ? classifierRun : null, segmenterRun, v, device);
            var (p, m) = cascade.Infer(small, o.FlipTta);
            if (v == "window") probs = p;
            maps[v] = m;
        }

        double[] Dices(string variant, bool useClassifier, PtxPostprocessOptions post)
        {
            var d = new double[studies.Count];
            Parallel.For(0, studies.Count, i =>
            {
                var (w, h, gt) = truth[i];
                var (mask, _) = PtxPostprocess.Decide(useClassifier ? probs![i] : null, maps[variant][i], size, w, h, post);
                d[i] = SegmentationMetrics.Dice(mask, gt);
            });
            return d;
        }
        var post = o.Postprocess;
        var hasCls = probs is not null;
        var rows = new List<PtxRow>();
        stage?.Invoke("scoring");
        var segOnly = Dices("window", false, post);
        var cascadeD = hasCls ? Dices("window", true, post) : segOnly;
        if (hasCls) rows.Add(new PtxRow("cascade", "classifier + segmenter + eliminator", cascadeD.Average(), "paper 0.8347"));
        rows.Add(new PtxRow("cascade", "segmenter + eliminator (no classifier)", segOnly.Average(), "paper 0.7012"));
        var oracle = new double[studies.Count];
        Parallel.For(0, studies.Count, i =>
        {
            var (w, h, gt) = truth[i];
            var (mask, _) = PtxPostprocess.Decide(labels[i], maps["window"][i], size, w, h, post with { ClassifierThreshold = 0.5 });
            oracle[i] = SegmentationMetrics.Dice(mask, gt);
        });
        rows.Add(new PtxRow("cascade", "true labels + segmenter + eliminator (classifier ceiling)", oracle.Average()));
        rows.Add(new PtxRow("cascade", "all empty", labels.Count(l => l == 0) / (double)labels.Length));
        foreach (var v in variants)
        {
            var note = v == "window" ? "paper 0.8347" : v == "classic" ? "paper 0.8322" : "";
            rows.Add(new PtxRow("swa", $"{v}{(hasCls ? " (cascade)" : " (segmenter only)")}", (hasCls ? Dices(v, true, post) : Dices(v, false, post)).Average(), note));
        }
        foreach (var t in o.Sweep)
        {
            var p2 = post with { MinAreaAt1024 = t };
            var note = t switch { 3500 => "paper 0.8347", 4500 => "paper 0.8329", 1750 => "paper 0.8318", 3000 => "paper 0.8328 (750 at 512)", 1000 => "paper 0.8307 (250 at 512)", _ => "" };
            rows.Add(new PtxRow("components", string.Create(CultureInfo.InvariantCulture,
                $"{t} px at 1024 ({PtxPostprocess.ScaledArea(t, truth[0].W, truth[0].H)} px at {truth[0].W}x{truth[0].H}){(hasCls ? "" : ", no classifier")}"),
                Dices("window", hasCls, p2).Average(), note));
        }
        var trip = post with { Triplet = o.Triplet };
        rows.Add(new PtxRow("triplet", $"segmenter + triplet {o.Triplet} (first place, no classifier)", Dices("window", false, trip).Average()));
        if (hasCls) rows.Add(new PtxRow("triplet", $"classifier + segmenter + triplet {o.Triplet}", Dices("window", true, trip).Average()));

        // Classifier figures at its decision threshold.
        double auc = double.NaN, mcc = double.NaN, precision = double.NaN, recall = double.NaN, accuracy = double.NaN;
        ConfusionMatrix? cm = null;
        RocCurve? roc = null;
        if (probs is not null)
        {
            var pred = probs.Select(p => p >= post.ClassifierThreshold ? 1 : 0).ToArray();
            cm = ConfusionMatrix.Compute(labels, pred, 2);
            mcc = ClassificationMetrics.Mcc(cm);
            precision = ClassificationMetrics.Precision(cm);
            recall = ClassificationMetrics.Recall(cm);
            accuracy = ClassificationMetrics.Accuracy(cm);
            if (labels.Distinct().Count() == 2)
            {
                auc = RankingMetrics.RocAuc(probs, labels);
                roc = RankingMetrics.RocCurve(probs, labels);
            }
        }

        Directory.CreateDirectory(outDir);
        var csv = new StringBuilder("id,label,probability,dice_cascade,dice_segmenter_only,truth_pixels\n");
        for (var i = 0; i < studies.Count; i++)
            csv.Append(CultureInfo.InvariantCulture, $"{studies[i].Id},{labels[i]},{(probs is null ? "" : probs[i].ToString("R", CultureInfo.InvariantCulture))},{cascadeD[i]:F6},{segOnly[i]:F6},{truth[i].M.Count(b => b != 0)}\n");
        RunFiles.WriteText(Path.Combine(outDir, "per_image.csv"), csv.ToString());

        static JsonNode? N(double v) => double.IsFinite(v) ? Math.Round(v, 6) : null;
        var json = new JsonObject
        {
            ["version"] = 1, ["data"] = dataset.Root, ["split"] = o.Split, ["studies"] = studies.Count, ["positives"] = labels.Sum(),
            ["classifier"] = classifierRun is null ? null : Path.GetFullPath(classifierRun), ["segmenter"] = Path.GetFullPath(segmenterRun),
            ["size"] = size, ["flip_tta"] = o.FlipTta,
            ["cascade_mean_dice"] = N(cascadeD.Average()), ["segmenter_only_mean_dice"] = N(segOnly.Average()),
            ["classifier_auc"] = N(auc), ["classifier_mcc"] = N(mcc), ["classifier_precision"] = N(precision), ["classifier_recall"] = N(recall),
            ["classifier_accuracy"] = N(accuracy), ["classifier_threshold"] = post.ClassifierThreshold, ["pixel_threshold"] = post.PixelThreshold,
            ["component_threshold"] = post.MinAreaAt1024,
            ["rows"] = new JsonArray(rows.Select(r => (JsonNode?)new JsonObject
            {
                ["table"] = r.Table, ["configuration"] = r.Configuration, ["mean_dice"] = N(r.MeanDice), ["paper"] = r.Note,
            }).ToArray()),
        };
        if (cm is not null)
            json["confusion"] = new JsonObject { ["tp"] = cm[1, 1], ["fp"] = cm[0, 1], ["fn"] = cm[1, 0], ["tn"] = cm[0, 0] };
        RunFiles.WriteText(Path.Combine(outDir, "table.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        RunFiles.WriteText(Path.Combine(outDir, "table.md"), Markdown(json, rows));
        stage?.Invoke("report");
        RunFiles.WriteText(Path.Combine(outDir, "report.html"), Html(dataset, studies, json, rows, roc, cm, cascadeD, probs, segmenterRun, size, maps["window"], post));
        return new PtxEvaluationResult(Path.GetFullPath(outDir), studies.Count, labels.Sum(), cascadeD.Average(), segOnly.Average(), auc, mcc, precision, recall, accuracy,
            post.MinAreaAt1024, rows, json);
    }

    private static string F(double v) => double.IsFinite(v) ? v.ToString("F4", CultureInfo.InvariantCulture) : "-";

    private static string Markdown(JsonObject j, IReadOnlyList<PtxRow> rows)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"# Pneumothorax cascade: {j["split"]} split, {j["studies"]} studies ({j["positives"]} positive), {j["size"]} px\n\n");
        sb.Append("Kaggle mean Dice (empty prediction on an empty truth scores 1). Paper figures are SIIM-ACR private-LB scores of a ")
          .Append("1024 px Xception + FPN/InceptionResNetV2 cascade; these are small runs on other data, not comparable in level.\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"Classifier: AUC {F(j["classifier_auc"]?.GetValue<double>() ?? double.NaN)}, MCC {F(j["classifier_mcc"]?.GetValue<double>() ?? double.NaN)}, ")
          .Append(CultureInfo.InvariantCulture, $"precision {F(j["classifier_precision"]?.GetValue<double>() ?? double.NaN)}, recall {F(j["classifier_recall"]?.GetValue<double>() ?? double.NaN)} at {j["classifier_threshold"]}\n\n");
        foreach (var g in rows.GroupBy(r => r.Table))
        {
            sb.Append("## ").Append(g.Key switch
            {
                "cascade" => "Cascade against the segmenter alone",
                "swa" => "Table 1: SWA over the chosen window against classic SWA (and the best single epoch)",
                "components" => "Table 2: small-region threshold",
                _ => "Triplet scheme (first place) against the classifier",
            }).Append("\n\n| configuration | mean Dice | paper |\n|---|---:|---|\n");
            foreach (var r in g) sb.Append(CultureInfo.InvariantCulture, $"| {r.Configuration} | {F(r.MeanDice)} | {r.Note} |\n");
            sb.Append('\n');
        }
        return sb.ToString();
    }

    private static string Html(ClassificationDataset dataset, IReadOnlyList<ClassificationStudy> studies, JsonObject j, IReadOnlyList<PtxRow> rows, RocCurve? roc,
        ConfusionMatrix? cm, double[] dice, double[]? probs, string segmenterRun, int size, float[][] maps, PtxPostprocessOptions post)
    {
        var sb = new StringBuilder();
        sb.Append("<!doctype html><html><head><meta charset=\"utf-8\"><title>Pneumothorax cascade report</title><style>")
          .Append("body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px}")
          .Append("td.n{text-align:right}figure{display:inline-block;margin:4px}figcaption{font-size:12px}</style></head><body>");
        sb.Append("<h1>Pneumothorax cascade</h1>");
        sb.Append(CultureInfo.InvariantCulture, $"<p>{Esc(dataset.Root)}, {j["split"]} split: {j["studies"]} studies ({j["positives"]} positive) at {size} px. Kaggle mean Dice (empty/empty = 1). ")
          .Append("Paper figures are SIIM-ACR private-LB scores at 1024 px; these runs are small and on other data.</p>");
        foreach (var g in rows.GroupBy(r => r.Table))
        {
            sb.Append("<h2>").Append(Esc(g.Key)).Append("</h2><table><tr><th>configuration</th><th>mean Dice</th><th>paper</th></tr>");
            foreach (var r in g) sb.Append("<tr><td>").Append(Esc(r.Configuration)).Append("</td><td class=n>").Append(F(r.MeanDice)).Append("</td><td>").Append(Esc(r.Note)).Append("</td></tr>");
            sb.Append("</table>");
        }
        if (cm is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<h2>Classifier</h2><p>AUC {F(j["classifier_auc"]?.GetValue<double>() ?? double.NaN)}, MCC {F(j["classifier_mcc"]?.GetValue<double>() ?? double.NaN)}, precision {F(j["classifier_precision"]?.GetValue<double>() ?? double.NaN)}, recall {F(j["classifier_recall"]?.GetValue<double>() ?? double.NaN)} at {post.ClassifierThreshold}.</p>");
            sb.Append(CultureInfo.InvariantCulture, $"<table><tr><th></th><th>predicted +</th><th>predicted -</th></tr><tr><th>pneumothorax</th><td class=n>{cm[1, 1]}</td><td class=n>{cm[1, 0]}</td></tr><tr><th>none</th><td class=n>{cm[0, 1]}</td><td class=n>{cm[0, 0]}</td></tr></table>");
        }
        if (roc is not null) sb.Append("<h3>ROC</h3>").Append(Svg(roc.Fpr, roc.Tpr, "false-positive rate", "true-positive rate", null));
        var history = Path.Combine(segmenterRun, "history.csv");
        if (File.Exists(history))
        {
            var lines = File.ReadAllLines(history);
            var head = lines[0].Split(',');
            int ei = Array.IndexOf(head, "epoch"), ii = Array.IndexOf(head, "val_iou");
            if (ei >= 0 && ii >= 0)
            {
                var pts = lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(','))
                    .Select(c => (X: double.Parse(c[ei], CultureInfo.InvariantCulture), Y: double.Parse(c[ii], CultureInfo.InvariantCulture))).ToList();
                (int, int)? window = null;
                var cfgPath = Path.Combine(segmenterRun, "config.json");
                if (File.Exists(cfgPath) && JsonNode.Parse(File.ReadAllText(cfgPath))?["swa_window"] is JsonArray w && w.Count == 2)
                    window = (w[0]!.GetValue<int>(), w[1]!.GetValue<int>());
                sb.Append("<h3>Validation IoU per epoch (SWA window shaded)</h3>")
                  .Append(Svg(pts.Select(p => p.X).ToArray(), pts.Select(p => p.Y).ToArray(), "epoch", "val IoU", window));
            }
        }
        // Best and worst pneumothorax cases by cascade Dice.
        var pos = Enumerable.Range(0, studies.Count).Where(i => studies[i].Label == 1).OrderByDescending(i => dice[i]).ToList();
        var picks = pos.Take(3).Select(i => ("best", i)).Concat(pos.AsEnumerable().Reverse().Take(3).Select(i => ("worst", i))).Distinct().ToList();
        if (picks.Count > 0)
        {
            sb.Append("<h2>Overlays (prediction red, border yellow; truth contour cyan)</h2>");
            foreach (var (kind, i) in picks)
            {
                var grey = ImageFiles(dataset.ImagePath(studies[i].Id));
                var (mask, _) = PtxPostprocess.Decide(probs?[i], maps[i], size, grey.Width, grey.Height, post);
                var (_, _, gt) = PtxData.NativeMask(dataset, studies[i]);
                var rgb = PtxCascade.Overlay(grey, mask);
                for (var y = 1; y < grey.Height - 1; y++)
                    for (var x = 1; x < grey.Width - 1; x++)
                    {
                        var k = y * grey.Width + x;
                        if (gt[k] != 0 && (gt[k - 1] == 0 || gt[k + 1] == 0 || gt[k - grey.Width] == 0 || gt[k + grey.Width] == 0))
                        {
                            rgb.Data[3 * k] = 0;
                            rgb.Data[3 * k + 1] = 255;
                            rgb.Data[3 * k + 2] = 255;
                        }
                    }
                var b64 = Convert.ToBase64String(Png.Encode(rgb));
                sb.Append(CultureInfo.InvariantCulture, $"<figure><img width=256 src=\"data:image/png;base64,{b64}\"><figcaption>{kind}: {Esc(studies[i].Id[..Math.Min(12, studies[i].Id.Length)])} Dice {F(dice[i])}{(probs is null ? "" : $", p {probs[i]:F2}")}</figcaption></figure>");
            }
        }
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    private static Image<float> ImageFiles(string path)
    {
        var g = Thorax.Data.Datasets.ImageFiles.ReadGrey(path);
        return new Image<float>(g.Width, g.Height, 1, g.Pixels);
    }

    private static string Esc(string s) => System.Net.WebUtility.HtmlEncode(s);

    /// <summary>A small inline SVG line chart.</summary>
    private static string Svg(double[] xs, double[] ys, string xLabel, string yLabel, (int First, int Last)? shade)
    {
        const int W = 420, H = 260, L = 50, B = 40, T = 10, R = 10;
        if (xs.Length == 0) return "";
        double x0 = xs.Min(), x1 = xs.Max(), y0 = Math.Min(0, ys.Where(double.IsFinite).DefaultIfEmpty(0).Min()), y1 = Math.Max(1e-9, ys.Where(double.IsFinite).DefaultIfEmpty(1).Max());
        if (x1 <= x0) x1 = x0 + 1;
        string Px(double x) => (L + (x - x0) / (x1 - x0) * (W - L - R)).ToString("F1", CultureInfo.InvariantCulture);
        string Py(double y) => (H - B - (y - y0) / (y1 - y0) * (H - B - T)).ToString("F1", CultureInfo.InvariantCulture);
        var sb = new StringBuilder(); sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\">");
        if (shade is { } s)
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Px(s.First - 0.5)}\" y=\"{T}\" width=\"{(double.Parse(Px(s.Last + 0.5), CultureInfo.InvariantCulture) - double.Parse(Px(s.First - 0.5), CultureInfo.InvariantCulture)):F1}\" height=\"{H - B - T}\" fill=\"#fdd\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{L}\" y1=\"{H - B}\" x2=\"{W - R}\" y2=\"{H - B}\" stroke=\"black\"/><line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{H - B}\" stroke=\"black\"/>");
        sb.Append("<polyline fill=\"none\" stroke=\"#c00\" stroke-width=\"2\" points=\"");
        for (var i = 0; i < xs.Length; i++)
            if (double.IsFinite(ys[i])) sb.Append(Px(xs[i])).Append(',').Append(Py(ys[i])).Append(' ');
        sb.Append("\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{W / 2}\" y=\"{H - 8}\" font-size=\"12\" text-anchor=\"middle\">{Esc(xLabel)} ({x0:G3} to {x1:G3})</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"12\" y=\"{H / 2}\" font-size=\"12\" transform=\"rotate(-90 12 {H / 2})\" text-anchor=\"middle\">{Esc(yLabel)} ({y0:G3} to {y1:G3})</text>");
        return sb.Append("</svg>").ToString();
    }
}
