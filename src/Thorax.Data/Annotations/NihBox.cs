using System.Globalization;
using Thorax.Data.IO;

namespace Thorax.Data.Annotations;

/// <summary>One NIH ChestX-ray14 box (<c>BBox_List_2017.csv</c>): x, y, w, h in pixels of the 1024x1024 image.</summary>
public sealed record NihBox(string ImageIndex, string FindingLabel, double X, double Y, double W, double H, long Line)
{
    /// <summary>Reads the box list (gzip accepted). The header <c>Image Index,Finding Label,Bbox [x,y,w,h],,,</c>
    /// splits the box into four columns and ends in empty names, so the box is read by position (columns 3-6).</summary>
    /// <exception cref="DataFormatException">Missing columns or a non-numeric coordinate (file, line, column).</exception>
    public static IReadOnlyList<NihBox> Read(string path)
    {
        var csv = CsvTable.Read(path);
        int img = csv.Require("Image Index"), lab = csv.Require("Finding Label");
        int bx = csv.Require("Bbox [x", "x");
        var result = new List<NihBox>(csv.Records.Count);
        foreach (var r in csv.Records)
        {
            var v = new double[4];
            for (int k = 0; k < 4; k++)
            {
                string s = CsvTable.Field(r, bx + k).Trim();
                if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v[k]))
                    throw new DataFormatException($"box value '{s}' is not a number", csv.Source, r.Line, new[] { "x", "y", "w", "h" }[k]);
            }
            result.Add(new NihBox(CsvTable.Field(r, img).Trim(), CsvTable.Field(r, lab).Trim(), v[0], v[1], v[2], v[3], r.Line));
        }
        return result;
    }
}
