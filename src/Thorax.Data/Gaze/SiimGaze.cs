using Thorax.Data.IO;

namespace Thorax.Data.Gaze;

/// <summary>SIIM-ACR gaze form (HazyResearch observational data as used by EG-ViT / GD-ViG): normalised
/// x, y in [0, 1] of the image width/height and t in [0, 1] of the reading time.</summary>
/// <param name="ImageId">Image id (empty when the file holds one image).</param>
/// <param name="X">Column fraction in [0, 1].</param>
/// <param name="Y">Row fraction in [0, 1].</param>
/// <param name="T">Normalised time in [0, 1].</param>
public sealed record SiimGazePoint(string ImageId, double X, double Y, double T)
{
    /// <summary>Pixel position on a width x height image (x * width, y * height).</summary>
    public GazePoint ToPixels(int width, int height) => new(X * width, Y * height, T);

    /// <summary>Reads a CSV with columns x, y, t and optionally image_id/ImageId/fname.</summary>
    /// <exception cref="DataFormatException">Missing column, non-numeric value, or a value outside [0, 1] (file, line, column).</exception>
    public static IReadOnlyList<SiimGazePoint> Read(string path)
    {
        var csv = CsvTable.Read(path);
        int id = csv.IndexOf("image_id", "ImageId", "fname", "id");
        int x = csv.Require("x"), y = csv.Require("y"), t = csv.Require("t", "time");
        var result = new List<SiimGazePoint>(csv.Records.Count);
        foreach (var r in csv.Records)
        {
            double vx = CsvNumbers.Double(csv, r, x), vy = CsvNumbers.Double(csv, r, y), vt = CsvNumbers.Double(csv, r, t);
            foreach (var (v, c) in new[] { (vx, x), (vy, y), (vt, t) })
                if (v is < 0 or > 1) throw csv.Error(r, c, $"value {v} is outside [0, 1]");
            result.Add(new SiimGazePoint(id < 0 ? "" : CsvTable.Field(r, id).Trim(), vx, vy, vt));
        }
        return result;
    }
}
