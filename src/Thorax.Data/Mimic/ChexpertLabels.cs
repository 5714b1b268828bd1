using System.Globalization;
using Thorax.Data.IO;

namespace Thorax.Data.Mimic;

/// <summary>CheXpert-style label table (MIMIC-CXR <c>mimic-cxr-2.0.0-chexpert.csv.gz</c>, CXLSeg CSVs): the 14
/// observations, values 1 / 0 / -1 / blank, mapped to float targets by an explicit <see cref="UncertaintyPolicy"/>.</summary>
public static class ChexpertLabels
{
    /// <summary>The 14 CheXpert observation columns, in the standard order.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "Atelectasis", "Cardiomegaly", "Consolidation", "Edema", "Enlarged Cardiomediastinum", "Fracture",
        "Lung Lesion", "Lung Opacity", "No Finding", "Pleural Effusion", "Pleural Other", "Pneumonia",
        "Pneumothorax", "Support Devices",
    ];

    /// <summary>Maps one cell to a target.</summary>
    /// <exception cref="FormatException">Value other than 1, 0, -1 (or 1.0/0.0/-1.0) or blank.</exception>
    public static float Map(string cell, UncertaintyPolicy policy)
    {
        string s = cell.Trim();
        if (s.Length == 0 || s.Equals("nan", StringComparison.OrdinalIgnoreCase)) return policy.Blank;
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v is not (1 or 0 or -1))
            throw new FormatException($"'{cell}' is not a CheXpert label (1, 0, -1 or blank)");
        return v switch { 1 => 1f, 0 => 0f, _ => policy.Uncertain };
    }

    /// <summary>Reads a label CSV(.gz). Rows are keyed by <c>dicom_id</c> when present, else by <c>study_id</c>.</summary>
    /// <returns>key -&gt; 14 targets in <see cref="Names"/> order (NaN = masked).</returns>
    /// <exception cref="DataFormatException">Missing label column or an invalid value (file, line, column).</exception>
    public static IReadOnlyDictionary<string, float[]> Read(string path, UncertaintyPolicy? policy = null)
    {
        policy ??= UncertaintyPolicy.Default;
        var csv = CsvTable.Read(path);
        int key = csv.IndexOf("dicom_id");
        if (key < 0) key = csv.Require("study_id");
        var cols = Names.Select(n => csv.Require(n)).ToArray();
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var r in csv.Records)
        {
            var v = new float[cols.Length];
            for (int i = 0; i < cols.Length; i++)
            {
                try { v[i] = Map(CsvTable.Field(r, cols[i]), policy); }
                catch (FormatException e) { throw csv.Error(r, cols[i], e.Message, e); }
            }
            string k = CsvTable.Field(r, key).Trim();
            if (!result.TryAdd(k, v)) throw csv.Error(r, key, $"duplicate key '{k}'");
        }
        return result;
    }
}
