using System.Globalization;
using System.Net;
using System.Text;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Training;

namespace Thorax.Pipelines.Lungs;

/// <summary>
/// A self-contained HTML report of a lung-segmentation run: metrics table (as the CXLSeg paper's Table IV), training
/// curves (inline SVG) and a grid of validation overlays (inline PNG: true positives yellow, misses green, false
/// alarms red).
/// </summary>
public static class LungReport
{
    /// <summary>
    /// The report: the validation metrics (all images, and one row per source when there are several), the training
    /// curves (losses and validation Dice in two panels) and up to <paramref name="maxOverlays"/> overlays, half of them
    /// the worst and half the best images by Dice.
    /// </summary>
    /// <param name="r">The run's result (history and per-image validation scores, in the order of <paramref name="validation"/>).</param>
    /// <param name="validation">The preprocessed validation samples.</param>
    /// <param name="predictions">The binary prediction of each validation sample (model size, row-major).</param>
    /// <param name="title">Page title and heading.</param>
    /// <param name="dataNote">A sentence about the data, shown under the heading.</param>
    /// <param name="maxOverlays">How many overlays to show.</param>
    public static string Html(LungTrainingResult r, IReadOnlyList<LungSample> validation, IReadOnlyList<byte[]> predictions, string title, string dataNote,
        int maxOverlays = 12)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(title)).Append("</title><style>")
          .Append("body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}")
          .Append("th{background:#f3f3f3}.grid{display:flex;flex-wrap:wrap;gap:10px}.grid figure{margin:0;font-size:12px;text-align:center}")
          .Append(".grid img{width:192px;height:192px;image-rendering:pixelated;border:1px solid #999}small{color:#666}</style></head><body>");
        sb.Append("<h1>").Append(WebUtility.HtmlEncode(title)).Append("</h1><p>").Append(WebUtility.HtmlEncode(dataNote)).Append("</p>");
        sb.Append(FormattableString.Invariant($"<p>{r.TrainCount} training and {r.Validation.Count} validation images; {r.History.Count} epochs in {r.TrainSeconds:F0} s; best epoch {r.BestEpoch}.</p>"));
        sb.Append("<h2>Validation metrics</h2><table><tr><th>subset</th><th>images</th><th>Dice (DC)</th><th>IoU</th><th>Recall</th><th>Precision</th></tr>");
        void Row(string name, IReadOnlyList<LungImageScore> s) => sb.Append(FormattableString.Invariant(
            $"<tr><td style=\"text-align:left\">{WebUtility.HtmlEncode(name)}</td><td>{s.Count}</td><td>{s.Average(v => v.Dice):F4}</td><td>{s.Average(v => v.IoU):F4}</td><td>{s.Average(v => v.Recall):F4}</td><td>{s.Average(v => v.Precision):F4}</td></tr>"));
        Row("all", r.Validation);
        foreach (var g in r.Validation.GroupBy(v => v.Source).OrderBy(g => g.Key)) if (r.Validation.Select(v => v.Source).Distinct().Count() > 1) Row(g.Key, g.ToList());
        sb.Append("</table><small>Per-image means; a prediction is logit &gt; 0.</small>");
        sb.Append("<h2>Training curves</h2>").Append(Curves(r.History));
        sb.Append("<h2>Validation overlays</h2><p><small>yellow: lung found, green: lung missed, red: false lung.</small></p><div class=\"grid\">");
        var order = Enumerable.Range(0, validation.Count).OrderBy(i => r.Validation[i].Dice).ToList();
        var picks = order.Take(maxOverlays / 2).Concat(order.Skip(Math.Max(maxOverlays / 2, order.Count - maxOverlays / 2))).Distinct().Take(maxOverlays);
        foreach (var i in picks)
        {
            var png = Convert.ToBase64String(Png.Encode(Overlay(validation[i], predictions[i])));
            sb.Append("<figure><img src=\"data:image/png;base64,").Append(png).Append("\"><figcaption>")
              .Append(WebUtility.HtmlEncode(validation[i].Id)).Append(" · Dice ").Append(r.Validation[i].Dice.ToString("F3", inv)).Append("</figcaption></figure>");
        }
        sb.Append("</div></body></html>");
        return sb.ToString();
    }

    /// <summary>RGB overlay of prediction vs truth on the (CLAHE) image.</summary>
    public static Image<byte> Overlay(LungSample s, byte[] prediction) =>
        MaskOverlay.Render(s.Image, s.Size, s.Size, i => s.Mask[i] != 0, i => prediction[i] != 0);

    /// <summary>Training curves (train loss, validation loss, validation Dice per epoch) as a standalone SVG image.</summary>
    public static string CurvesSvg(IReadOnlyList<EpochRecord> history) =>
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + (history.Count == 0
            ? "<svg width=\"640\" height=\"40\" xmlns=\"http://www.w3.org/2000/svg\"><text x=\"10\" y=\"25\" font-size=\"14\">no finished epoch</text></svg>\n"
            : Curves(history) + "\n");

    private static string Curves(IReadOnlyList<EpochRecord> h)
    {
        if (h.Count == 0) return "";
        // Two panels, each with its own labelled y axis: losses (0 to the largest loss) above, validation Dice (from a
        // tenth below its lowest value to 1) below, so neither curve is read off the other's scale.
        const int W = 640, PanelH = 180, L = 56, R = 20, T = 24, B = 30, Gap = 16;
        var maxLoss = Math.Max(h.Max(x => Math.Max(x.TrainLoss, x.ValLoss)), 1e-9);
        var finiteDice = h.Select(x => x.ValDice).Where(double.IsFinite).DefaultIfEmpty(0).ToList();
        var diceLo = Math.Clamp(Math.Floor(finiteDice.Min() * 10) / 10, 0, 0.9);
        double X(int e) => L + (h.Count == 1 ? (W - L - R) / 2.0 : (e - 1) * (W - L - R) / (double)(h.Count - 1));
        var sb = new StringBuilder();
        var height = 2 * (T + PanelH + B) + Gap;
        sb.Append(FormattableString.Invariant($"<svg width=\"{W}\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\" style=\"border:1px solid #ddd\" font-family=\"sans-serif\">"));
        void Panel(int top, string title, double lo, double hi, string format, (Func<EpochRecord, double> F, string Color, string Name)[] series)
        {
            double Y(double v) => top + T + (1 - (v - lo) / (hi - lo)) * PanelH;
            var y0 = top + T + PanelH;
            sb.Append(FormattableString.Invariant($"<text x=\"{L}\" y=\"{top + 15}\" font-size=\"13\" font-weight=\"bold\">{title}</text>"));
            for (var k = 0; k <= 4; k++)
            {
                var v = lo + k * (hi - lo) / 4;
                var y = Y(v);
                sb.Append(FormattableString.Invariant($"<line x1=\"{L}\" y1=\"{y:F1}\" x2=\"{W - R}\" y2=\"{y:F1}\" stroke=\"#eee\"/>"));
                sb.Append(FormattableString.Invariant($"<text x=\"{L - 6}\" y=\"{y + 4:F1}\" font-size=\"11\" text-anchor=\"end\" class=\"tick\">{v.ToString(format, System.Globalization.CultureInfo.InvariantCulture)}</text>"));
            }
            sb.Append(FormattableString.Invariant($"<line x1=\"{L}\" y1=\"{y0}\" x2=\"{W - R}\" y2=\"{y0}\" stroke=\"#999\"/><line x1=\"{L}\" y1=\"{top + T}\" x2=\"{L}\" y2=\"{y0}\" stroke=\"#999\"/>"));
            var lx = L + 150;
            foreach (var (f, color, name) in series)
            {
                var pts = string.Join(" ", h.Where(x => double.IsFinite(f(x))).Select(x => FormattableString.Invariant($"{X(x.Epoch):F1},{Y(Math.Clamp(f(x), lo, hi)):F1}")));
                sb.Append($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{pts}\"/>");
                sb.Append(FormattableString.Invariant($"<text x=\"{lx}\" y=\"{top + 15}\" font-size=\"12\" fill=\"{color}\">{name}</text>"));
                lx += 90;
            }
            sb.Append(FormattableString.Invariant($"<text x=\"{L}\" y=\"{y0 + 18}\" font-size=\"11\">epoch 1</text><text x=\"{W - R}\" y=\"{y0 + 18}\" font-size=\"11\" text-anchor=\"end\">epoch {h.Count}</text>"));
        }
        Panel(0, "loss", 0, maxLoss, "F3", [(x => x.TrainLoss, "#1f77b4", "train loss"), (x => x.ValLoss, "#ff7f0e", "val loss")]);
        Panel(T + PanelH + B + Gap, "validation Dice", diceLo, 1, "F3", [(x => x.ValDice, "#2ca02c", "val Dice")]);
        sb.Append("</svg>");
        return sb.ToString();
    }
}
