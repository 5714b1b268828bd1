using Thorax.Data.IO;

namespace Thorax.Data.Annotations;

/// <summary>One lung segmentation pair from <c>pairs.csv</c>: image,mask,source,tb,lung_pixels (paths relative to the CSV).</summary>
public sealed record LungPair(string ImagePath, string MaskPath, string Source, int Tb, long LungPixels, long Line)
{
    /// <summary>Reads pairs.csv; paths are made absolute relative to the CSV's folder.</summary>
    /// <exception cref="DataFormatException">Missing columns or non-integer tb/lung_pixels (file, line, column).</exception>
    public static IReadOnlyList<LungPair> Read(string path)
    {
        var csv = CsvTable.Read(path);
        string dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        int img = csv.Require("image"), mask = csv.Require("mask"), src = csv.Require("source"), tb = csv.Require("tb"), lp = csv.IndexOf("lung_pixels");
        var result = new List<LungPair>(csv.Records.Count);
        foreach (var r in csv.Records)
        {
            if (!int.TryParse(CsvTable.Field(r, tb).Trim(), out int t) || t is not (0 or 1)) throw csv.Error(r, tb, "tb must be 0 or 1");
            long px = -1;
            if (lp >= 0 && !long.TryParse(CsvTable.Field(r, lp).Trim(), out px)) throw csv.Error(r, lp, "lung_pixels is not an integer");
            result.Add(new LungPair(Path.Combine(dir, CsvTable.Field(r, img).Trim()), Path.Combine(dir, CsvTable.Field(r, mask).Trim()),
                CsvTable.Field(r, src).Trim(), t, px, r.Line));
        }
        return result;
    }
}
