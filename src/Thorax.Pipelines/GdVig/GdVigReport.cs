using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Imaging.Ops;
using Thorax.Training.Loop;

namespace Thorax.Pipelines.GdVig;

/// <summary>One row of a GD-ViG comparison: a trained model and its test evaluation.</summary>
/// <param name="Name">Row label (GD-ViG, ViG ...).</param>
/// <param name="Evaluation">Its test evaluation.</param>
/// <param name="Epochs">Epochs trained.</param>
/// <param name="TrainSeconds">Training wall time.</param>
/// <param name="History">Epoch history (for curves).</param>
/// <param name="Examples">Test studies' maps.</param>
public sealed record GdVigRow(string Name, GdVigEvaluation Evaluation, int Epochs, double TrainSeconds, IReadOnlyList<EpochResult> History, IReadOnlyList<GdVigExample> Examples);

/// <summary>The comparison table (<c>table.md</c>, <c>table.json</c>) and a self-contained HTML report with gaze maps.</summary>
public static class GdVigReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static string F(double v, int d = 3) => double.IsFinite(v) ? v.ToString("F" + d, Inv) : "-";

    /// <summary>The table in Markdown: one row per model (test accuracy, AUC with 95% interval, F1, AUC where the cue agrees /
    /// disagrees, gaze CC/KL/SIM), the paper's SIIM-ACR ablation rows for reference, and a note.</summary>
    public static string Markdown(IReadOnlyList<GdVigRow> rows, string note)
    {
        var sb = new StringBuilder();
        var att = rows.Any(r => r.Evaluation.Attention is not null);
        sb.Append("| model | epochs | train s | test studies | accuracy | AUC (95% CI) | F1 | AUC cue agrees | AUC cue disagrees | gaze CC | gaze KL | gaze SIM |")
          .Append(att ? " Grad-CAM on tube (area) | Grad-CAM on finding (area) | finding nodes' neighbours on tube (chance) | on finding (chance) |\n" : "\n");
        sb.Append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|").Append(att ? "---:|---:|---:|---:|\n" : "\n");
        foreach (var r in rows)
        {
            var e = r.Evaluation;
            var ci = e.Shortcut?.AucInterval is { } c ? $" ({F(c.Lower)}-{F(c.Upper)})" : "";
            var agree = e.Shortcut?.ByShortcut.FirstOrDefault(s => s.Name == "cue_agrees");
            var dis = e.Shortcut?.ByShortcut.FirstOrDefault(s => s.Name == "cue_disagrees");
            sb.Append(Inv, $"| {r.Name} | {r.Epochs} | {r.TrainSeconds:F0} | {e.Count} | {F(e.Accuracy)} | {F(e.Auc)}{ci} | {F(e.F1)} | ")
              .Append(agree is null ? "-" : $"{F(agree.Auc)} ({agree.Positives + agree.Negatives})").Append(" | ")
              .Append(dis is null ? "-" : $"{F(dis.Auc)} ({dis.Positives + dis.Negatives})").Append(" | ")
              .Append(Inv, $"{F(e.GazeCc)} | {F(e.GazeKl)} | {F(e.GazeSim)} |");
            if (att) sb.Append(' ').Append(string.Join(" | ", AttentionCells(e.Attention))).Append(" |");
            sb.Append('\n');
        }
        sb.Append('\n').Append(note).Append('\n');
        if (att)
        {
            var a = rows.Select(r => r.Evaluation.Attention).First(x => x is not null)!;
            sb.Append(Inv, $"\nAttention ({a.TubeStudies} test studies with a tube, {a.FindingStudies} with a pneumothorax, {a.BothStudies} with both; Grad-CAM with mass on {string.Join(" / ", rows.Select(r => r.Evaluation.Attention?.CamStudies.ToString(Inv) ?? "-"))} of them): ").Append(GdVigAttention.Definition).Append(".\n");
        }
        sb.Append("\nThe paper (SIIM-ACR, 250 test images, 224 px, 100-200 epochs; Table 2): ViG accuracy 83.20, AUC 84.89, F1 82.81; GD-ViG 87.20, 86.99, 86.68 (percent). ")
          .Append("EGD-CXR (107 test images): ViG 75.70 / 85.71 / 75.62; GD-ViG 85.05 / 88.56 / 84.53. The paper reports no shortcut-split figure.\n");
        return sb.ToString();
    }

    private static string[] AttentionCells(GdVigAttention? a) => a is null
        ? ["-", "-", "-", "-"]
        : [$"{F(a.CamTubeShare)} ({F(a.TubeArea)})", $"{F(a.CamFindingShare)} ({F(a.FindingArea)})",
            $"{F(a.GraphTubeShare)} ({F(a.GraphTubeChance)})", $"{F(a.GraphFindingShare)} ({F(a.GraphFindingChance)})"];

    /// <summary>The table as JSON (<c>version</c> 1).</summary>
    public static JsonObject Json(IReadOnlyList<GdVigRow> rows, JsonObject? extra = null)
    {
        var models = new JsonArray();
        foreach (var r in rows)
        {
            var j = r.Evaluation.ToJson();
            j["name"] = r.Name;
            j["epochs"] = r.Epochs;
            j["train_seconds"] = Math.Round(r.TrainSeconds, 1);
            models.Add(j);
        }
        var o = new JsonObject { ["models"] = models };
        if (extra is not null) foreach (var (k, v) in extra) o[k] = v?.DeepClone();
        o["version"] = 1;
        return o;
    }

    /// <summary>A self-contained HTML page: the table, training curves, and per test study the image, the true gaze map
    /// and each model's predicted map (JET overlays, min-max per map).</summary>
    public static string Html(string title, string note, IReadOnlyList<GdVigRow> rows, int maxExamples = 8, (Image<byte> Png, string Caption)? graph = null)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(title)).Append("</title><style>")
          .Append("body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")
          .Append("th{background:#f3f3f3}.grid{display:flex;flex-wrap:wrap;gap:14px}.grid figure{margin:0;font-size:12px;text-align:center}")
          .Append(".grid img{width:160px;height:160px;image-rendering:pixelated;border:1px solid #999}small{color:#666}</style></head><body>");
        sb.Append("<h1>").Append(WebUtility.HtmlEncode(title)).Append("</h1><p>").Append(WebUtility.HtmlEncode(note)).Append("</p>");
        sb.Append("<h2>Test split</h2><table><tr><th>model</th><th>epochs</th><th>train s</th><th>studies</th><th>accuracy</th><th>AUC</th><th>F1</th><th>AUC cue agrees</th><th>AUC cue disagrees</th><th>gaze CC</th><th>gaze KL</th><th>gaze SIM</th>");
        var attHtml = rows.Any(r => r.Evaluation.Attention is not null);
        if (attHtml) sb.Append("<th>Grad-CAM on tube (area)</th><th>Grad-CAM on finding (area)</th><th>finding nodes' neighbours on tube (chance)</th><th>on finding (chance)</th>");
        sb.Append("</tr>");
        foreach (var r in rows)
        {
            var e = r.Evaluation;
            sb.Append("<tr><td style=\"text-align:left\">").Append(WebUtility.HtmlEncode(r.Name)).Append("</td>")
              .Append(Inv, $"<td>{r.Epochs}</td><td>{r.TrainSeconds:F0}</td><td>{e.Count}</td><td>{F(e.Accuracy)}</td><td>{F(e.Auc)}</td><td>{F(e.F1)}</td><td>{F(e.AucCueAgrees)}</td><td>{F(e.AucCueDisagrees)}</td><td>{F(e.GazeCc)}</td><td>{F(e.GazeKl)}</td><td>{F(e.GazeSim)}</td>");
            if (attHtml) foreach (var c in AttentionCells(e.Attention)) sb.Append("<td>").Append(WebUtility.HtmlEncode(c)).Append("</td>");
            sb.Append("</tr>");
        }
        sb.Append("</table><p><small>Accuracy at the argmax; AUC as the authors' inference script (SIIM: softmax of the positive class; EGD-CXR: mean one-vs-rest AUC of the raw logits); ")
          .Append("cue agrees / disagrees: the studies where the planted shortcut cue tells the truth / lies; gaze: predicted vs true gaze map (MIT saliency definitions).</small></p>");
        sb.Append("<p><small>The paper (SIIM-ACR, Table 2): ViG accuracy 83.20%, AUC 84.89%; GD-ViG 87.20%, 86.99%. EGD-CXR: ViG 75.70% / 85.71%; GD-ViG 85.05% / 88.56%.</small></p>");
        sb.Append("<h2>Training curves</h2>");
        foreach (var r in rows) sb.Append("<h3>").Append(WebUtility.HtmlEncode(r.Name)).Append("</h3>").Append(Curves(r.History));
        var withMaps = rows.FirstOrDefault(r => r.Examples.Count > 0);
        if (withMaps is not null)
        {
            sb.Append("<h2>Gaze maps (test studies)</h2><p><small>Left to right: image, true gaze map (from the simulated fixations), then each GD-ViG model's predicted map.</small></p>");
            for (var i = 0; i < Math.Min(maxExamples, withMaps.Examples.Count); i++)
            {
                var ex = withMaps.Examples[i];
                sb.Append("<div class=\"grid\">");
                Figure(sb, ex.Image, $"{ex.Study.Id[..Math.Min(8, ex.Study.Id.Length)]} label {ex.Study.Label}" + (ex.Study.ShortcutCue is { } c ? $", cue {(c ? 1 : 0)}" : ""));
                if (ex.TrueGaze is not null) Figure(sb, Overlay(ex.Image, ex.TrueGaze), "true gaze");
                foreach (var r in rows)
                {
                    var m = r.Examples.FirstOrDefault(x => x.Study.Id == ex.Study.Id);
                    if (m?.PredictedGaze is not null) Figure(sb, Overlay(ex.Image, m.PredictedGaze), $"{r.Name}: class {m.Predicted}");
                    else if (m is not null) Figure(sb, ex.Image, $"{r.Name}: class {m.Predicted} (no map)");
                }
                sb.Append("</div><br>");
            }
        }
        if (graph is { } gf)
        {
            sb.Append("<h2>One node's graph neighbours, with and without gaze</h2><p><small>").Append(WebUtility.HtmlEncode(gf.Caption)).Append("</small></p>")
              .Append("<img style=\"max-width:100%;image-rendering:pixelated\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(Png.Encode(gf.Png))).Append("\">");
        }
        sb.Append("</body></html>");
        return sb.ToString();
    }

    private static void Figure(StringBuilder sb, Image<byte> img, string caption)
    {
        sb.Append("<figure><img src=\"data:image/png;base64,").Append(Convert.ToBase64String(Png.Encode(img))).Append("\"><figcaption>")
          .Append(WebUtility.HtmlEncode(caption)).Append("</figcaption></figure>");
    }

    /// <summary>A JET overlay (alpha 0.4) of a map, min-max scaled, on the grey image.</summary>
    public static Image<byte> Overlay(Image<byte> grey, float[] map)
    {
        float min = map.Min(), max = map.Max();
        var scaled = new Image<byte>(grey.Width, grey.Height);
        var d = scaled.Pixels;
        for (var i = 0; i < d.Length; i++) d[i] = max > min ? (byte)Math.Clamp(MathF.Round((map[i] - min) / (max - min) * 255f), 0f, 255f) : (byte)0;
        return ColorMaps.Overlay(grey, ColorMaps.Apply(scaled, ColorMap.Jet), 0.4);
    }

    /// <summary>The training curves (train loss, validation CE, validation AUC per epoch) as a standalone SVG file's
    /// text: what <c>gdvig train</c> writes to <c>RUN/curves.svg</c>.</summary>
    public static string CurvesSvg(IReadOnlyList<EpochResult> history) =>
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + Curves(history) + "\n";

    private static string Curves(IReadOnlyList<EpochResult> h)
    {
        if (h.Count == 0) return "<p>no finished epoch</p>";
        const int W = 640, H = 220, L = 50, R = 20, T = 15, B = 35;
        var maxLoss = Math.Max(h.Max(x => Math.Max(x.TrainLoss, double.IsFinite(x.Metric("val_loss")) ? x.Metric("val_loss") : 0)), 1e-9);
        double X(int e) => L + (h.Count == 1 ? (W - L - R) / 2.0 : (e - 1) * (W - L - R) / (double)(h.Count - 1));
        double Y(double v, double max) => T + (1 - Math.Clamp(v / max, 0, 1)) * (H - T - B);
        string Line(Func<EpochResult, double> f, double max, string color) =>
            $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{string.Join(" ", h.Where(x => double.IsFinite(f(x))).Select(x => FormattableString.Invariant($"{X(x.Epoch):F1},{Y(f(x), max):F1}")))}\"/>";
        var sb = new StringBuilder();
        sb.Append(Inv, $"<svg width=\"{W}\" height=\"{H}\" xmlns=\"http://www.w3.org/2000/svg\" style=\"border:1px solid #ddd\">");
        sb.Append(Line(x => x.TrainLoss, maxLoss, "#1f77b4")).Append(Line(x => x.Metric("val_loss"), maxLoss, "#ff7f0e")).Append(Line(x => x.Metric("val_auc"), 1.0, "#2ca02c"));
        sb.Append(Inv, $"<text x=\"{L + 10}\" y=\"{T + 12}\" font-size=\"12\" fill=\"#1f77b4\">train loss</text><text x=\"{L + 90}\" y=\"{T + 12}\" font-size=\"12\" fill=\"#ff7f0e\">val CE</text><text x=\"{L + 150}\" y=\"{T + 12}\" font-size=\"12\" fill=\"#2ca02c\">val AUC (0-1)</text>");
        sb.Append(Inv, $"<text x=\"{L}\" y=\"{H - 8}\" font-size=\"12\">epoch 1</text><text x=\"{W - R - 60}\" y=\"{H - 8}\" font-size=\"12\">epoch {h.Count}</text>");
        sb.Append(Inv, $"<text x=\"4\" y=\"{T + 10}\" font-size=\"11\">{maxLoss:F2}</text><text x=\"4\" y=\"{H - B}\" font-size=\"11\">0</text></svg>");
        return sb.ToString();
    }
}
