using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Thorax.Data.Siim;

/// <summary>Result of <see cref="RleStats.Compute(SiimRleTable, int, int)"/>: totals and one entry per image
/// (in order of first appearance in the file).</summary>
/// <param name="Source">File the statistics were computed from, or null.</param>
/// <param name="Width">Image width used for decoding (pixels).</param>
/// <param name="Height">Image height used for decoding (pixels).</param>
/// <param name="Rows">Number of CSV data rows.</param>
/// <param name="Images">Per-image statistics.</param>
public sealed record RleStatsReport(string? Source, int Width, int Height, int Rows, IReadOnlyList<RleImageStats> Images)
{
    /// <summary>Images with a non-empty union mask.</summary>
    public int PositiveImages => Images.Count(i => i.UnionPixels > 0);

    /// <summary>Images whose union mask is empty.</summary>
    public int EmptyImages => Images.Count - PositiveImages;

    /// <summary>Rows with foreground (instances) over all images.</summary>
    public int Instances => Images.Sum(i => i.Instances);

    /// <summary>Statistics of one image, or null when absent.</summary>
    public RleImageStats? Find(string imageId) => Images.FirstOrDefault(i => i.ImageId == imageId);

    /// <summary>JSON (snake_case keys): totals plus an <c>images</c> array of
    /// {image_id, rows, instances, union_pixels, bbox: [row_min, col_min, row_max, col_max] | null}.</summary>
    /// <param name="indented">Pretty-print.</param>
    public string ToJson(bool indented = false)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = indented }))
        {
            w.WriteStartObject();
            if (Source is null) w.WriteNull("source"); else w.WriteString("source", Source);
            w.WriteNumber("width", Width);
            w.WriteNumber("height", Height);
            w.WriteNumber("rows", Rows);
            w.WriteNumber("images", Images.Count);
            w.WriteNumber("instances", Instances);
            w.WriteNumber("positive_images", PositiveImages);
            w.WriteNumber("empty_images", EmptyImages);
            w.WriteStartArray("per_image");
            foreach (var s in Images)
            {
                w.WriteStartObject();
                w.WriteString("image_id", s.ImageId);
                w.WriteNumber("rows", s.Rows);
                w.WriteNumber("instances", s.Instances);
                w.WriteNumber("union_pixels", s.UnionPixels);
                if (s.BoundingBox is { } b)
                {
                    w.WriteStartArray("bbox");
                    w.WriteNumberValue(b.RowMin); w.WriteNumberValue(b.ColMin);
                    w.WriteNumberValue(b.RowMax); w.WriteNumberValue(b.ColMax);
                    w.WriteEndArray();
                }
                else w.WriteNull("bbox");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Human-readable rendering: a summary block, then one line per image
    /// (<c>image_id instances union_pixels bbox</c>), bbox shown as "-" when empty.</summary>
    /// <param name="maxImages">Maximum number of per-image lines (the rest are summarised), or -1 for all.</param>
    public string ToText(int maxImages = -1)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("source:          ").AppendLine(Source ?? "(memory)");
        sb.Append(ci, $"image size:      {Width}x{Height}").AppendLine();
        sb.Append(ci, $"rows:            {Rows}").AppendLine();
        sb.Append(ci, $"images:          {Images.Count} ({PositiveImages} positive, {EmptyImages} empty)").AppendLine();
        sb.Append(ci, $"instances:       {Instances}").AppendLine();
        int idWidth = Math.Max(8, Images.Count == 0 ? 8 : Images.Max(i => i.ImageId.Length));
        sb.AppendLine();
        sb.Append("image_id".PadRight(idWidth)).AppendLine("  instances  union_pixels  bbox[row_min,col_min,row_max,col_max]");
        int shown = 0;
        foreach (var s in Images)
        {
            if (maxImages >= 0 && shown == maxImages)
            {
                sb.Append(ci, $"... {Images.Count - shown} more images").AppendLine();
                break;
            }
            string box = s.BoundingBox is { } b ? $"[{b.RowMin},{b.ColMin},{b.RowMax},{b.ColMax}]" : "-";
            sb.Append(s.ImageId.PadRight(idWidth)).Append(ci, $"  {s.Instances,9}  {s.UnionPixels,12}  {box}").AppendLine();
            shown++;
        }
        return sb.ToString();
    }
}
