using Thorax.Data.IO;

namespace Thorax.Data.Gaze;

/// <summary>Reader for REFLACX per-case <c>main_data/&lt;id&gt;/fixations.csv</c>.</summary>
public static class ReflacxGaze
{
    /// <summary>Reads fixations: timestamp_start_fixation, timestamp_end_fixation, x_position, y_position,
    /// angular_resolution_{x,y}_pixels_per_degree (required), {x,y}{min,max}_shown_from_image (optional).</summary>
    /// <exception cref="DataFormatException">Missing column, non-numeric value or end &lt; start (file, line, column).</exception>
    public static IReadOnlyList<ReflacxFixation> ReadFixations(string path)
    {
        var csv = CsvTable.Read(path);
        int s = csv.Require("timestamp_start_fixation"), e = csv.Require("timestamp_end_fixation");
        int x = csv.Require("x_position", "average_x_position"), y = csv.Require("y_position", "average_y_position");
        int px = csv.Require("angular_resolution_x_pixels_per_degree"), py = csv.Require("angular_resolution_y_pixels_per_degree");
        int x0 = csv.IndexOf("xmin_shown_from_image"), y0 = csv.IndexOf("ymin_shown_from_image");
        int x1 = csv.IndexOf("xmax_shown_from_image"), y1 = csv.IndexOf("ymax_shown_from_image");
        var result = new List<ReflacxFixation>(csv.Records.Count);
        foreach (var r in csv.Records)
        {
            var f = new ReflacxFixation(CsvNumbers.Double(csv, r, s), CsvNumbers.Double(csv, r, e),
                CsvNumbers.Double(csv, r, x), CsvNumbers.Double(csv, r, y),
                CsvNumbers.Double(csv, r, px), CsvNumbers.Double(csv, r, py),
                CsvNumbers.OptionalDouble(csv, r, x0), CsvNumbers.OptionalDouble(csv, r, y0),
                CsvNumbers.OptionalDouble(csv, r, x1), CsvNumbers.OptionalDouble(csv, r, y1));
            if (f.EndSeconds < f.StartSeconds) throw csv.Error(r, e, $"fixation ends ({f.EndSeconds}) before it starts ({f.StartSeconds})");
            result.Add(f);
        }
        return result;
    }
}
