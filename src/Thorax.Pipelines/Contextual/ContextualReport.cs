using System.Globalization;
using System.Net;
using System.Text;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;

namespace Thorax.Pipelines.Contextual;

/// <summary>Overlays, token-attention tables and the HTML pages of the ablation and the demo.</summary>
public static class ContextualReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>RGB overlay of a [0, 1] image: truth only green, prediction only red, both yellow.</summary>
    public static Image<byte> Overlay(float[] image, byte[]? truth, float[] logits, int size) =>
        MaskOverlay.Render(image, size, size, truth is null ? null : i => truth[i] != 0, i => logits[i] > 0f);

    /// <summary>The predicted mask (logit &gt; 0) as a 0/255 grey image.</summary>
    public static Image<byte> Mask(float[] logits, int size)
    {
        var img = new Image<byte>(size, size, 1);
        for (var i = 0; i < size * size; i++) img.Pixels[i] = logits[i] > 0 ? (byte)255 : (byte)0;
        return img;
    }

    /// <summary>An HTML table: one row per gate, each token shaded by its weight relative to the row's largest.</summary>
    public static string AttentionTable(TokenAttention a)
    {
        var sb = new StringBuilder("<table class=\"att\">");
        for (var l = 0; l < a.Levels.Count; l++)
        {
            var w = a.Levels[l];
            var max = w.Length == 0 ? 1 : Math.Max(w.Max(), 1e-12);
            sb.Append("<tr><th>level ").Append(l + 1).Append("</th><td>");
            for (var t = 0; t < a.Tokens.Count && t < w.Length; t++)
                sb.Append("<span title=\"").Append(w[t].ToString("G4", Inv)).Append("\" style=\"background:rgba(230,60,0,")
                  .Append((w[t] / max).ToString("F3", Inv)).Append(")\">").Append(WebUtility.HtmlEncode(a.Tokens[t])).Append("</span> ");
            sb.Append("</td></tr>");
        }
        return sb.Append("</table>").ToString();
    }

    /// <summary>A self-contained page: title, notes, a table (markdown rows rendered), figures and attention tables.</summary>
    public static string Page(string title, string intro, IReadOnlyList<string> header, IReadOnlyList<IReadOnlyList<string>> rows,
        IReadOnlyList<(string Caption, Image<byte> Image)> figures, IReadOnlyList<(string Caption, TokenAttention Attention)> attention)
    {
        var sb = new StringBuilder();
        sb.Append("<!doctype html><html><head><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(title)).Append("</title><style>")
          .Append("body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}")
          .Append("figure{display:inline-block;margin:4px}figure img{width:200px;image-rendering:pixelated}figcaption{font-size:12px;max-width:200px}")
          .Append(".att td{line-height:1.9}.att span{padding:1px 2px;border-radius:3px}</style></head><body>")
          .Append("<h1>").Append(WebUtility.HtmlEncode(title)).Append("</h1><p>").Append(intro).Append("</p><table><tr>");
        foreach (var h in header) sb.Append("<th>").Append(WebUtility.HtmlEncode(h)).Append("</th>");
        sb.Append("</tr>");
        foreach (var r in rows)
        {
            sb.Append("<tr>");
            foreach (var c in r) sb.Append("<td>").Append(WebUtility.HtmlEncode(c)).Append("</td>");
            sb.Append("</tr>");
        }
        sb.Append("</table><p>Overlays: green truth only, red prediction only, yellow both.</p><div>");
        foreach (var (caption, image) in figures)
            sb.Append("<figure><img src=\"data:image/png;base64,").Append(Convert.ToBase64String(Png.Encode(image)))
              .Append("\"><figcaption>").Append(WebUtility.HtmlEncode(caption)).Append("</figcaption></figure>");
        sb.Append("</div>");
        foreach (var (caption, a) in attention)
            sb.Append("<h2>").Append(WebUtility.HtmlEncode(caption)).Append("</h2><p>Attention of each decoder gate over the report's tokens (mean over the level's pixels; level 1 = coarsest).</p>")
              .Append(AttentionTable(a));
        return sb.Append("</body></html>").ToString();
    }
}
