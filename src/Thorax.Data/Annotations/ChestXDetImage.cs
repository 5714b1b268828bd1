using System.Text.Json;

namespace Thorax.Data.Annotations;

/// <summary>One ChestX-Det image: file name and its instances (class, box [x1, y1, x2, y2], polygon of (x, y) points).</summary>
public sealed record ChestXDetImage(string FileName, IReadOnlyList<ChestXDetInstance> Instances)
{
    /// <summary>Reads a ChestX-Det JSON array (<c>file_name</c>, <c>syms</c>, <c>boxes</c>, <c>polygons</c>).</summary>
    /// <exception cref="DataFormatException">Invalid JSON or mismatched list lengths (file, entry index, field).</exception>
    public static IReadOnlyList<ChestXDetImage> Read(string path)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(IO.DataFile.ReadAllText(path)); }
        catch (JsonException e) { throw new DataFormatException(e.Message, path, e.LineNumber + 1, null, e); }
        using (doc)
        {
            var result = new List<ChestXDetImage>();
            int index = 0;
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                index++;
                string name = e.GetProperty("file_name").GetString() ?? "";
                var syms = e.GetProperty("syms").EnumerateArray().Select(s => s.GetString() ?? "").ToList();
                var boxes = e.GetProperty("boxes").EnumerateArray().Select(b => b.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToList();
                var polys = e.TryGetProperty("polygons", out var p)
                    ? p.EnumerateArray().Select(poly => (IReadOnlyList<(double X, double Y)>)poly.EnumerateArray()
                        .Select(pt => (pt[0].GetDouble(), pt[1].GetDouble())).ToList()).ToList()
                    : null;
                if (boxes.Count != syms.Count || (polys is not null && polys.Count != syms.Count))
                    throw new DataFormatException($"entry #{index} ({name}): {syms.Count} syms, {boxes.Count} boxes, {polys?.Count} polygons", path, null, "syms");
                if (boxes.Any(b => b.Length != 4))
                    throw new DataFormatException($"entry #{index} ({name}): a box does not have 4 values", path, null, "boxes");
                result.Add(new ChestXDetImage(name, syms.Select((s, i) => new ChestXDetInstance(s,
                    boxes[i][0], boxes[i][1], boxes[i][2], boxes[i][3], polys?[i] ?? [])).ToList()));
            }
            return result;
        }
    }
}

/// <summary>One ChestX-Det instance: class name, box corners (pixels) and polygon vertices (x = column, y = row).</summary>
public sealed record ChestXDetInstance(string ClassName, double X1, double Y1, double X2, double Y2, IReadOnlyList<(double X, double Y)> Polygon);
