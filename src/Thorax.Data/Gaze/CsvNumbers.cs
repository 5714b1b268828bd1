using System.Globalization;
using Thorax.Data.IO;

namespace Thorax.Data.Gaze;

/// <summary>Typed field access with file/line/column errors.</summary>
internal static class CsvNumbers
{
    public static double Double(CsvTable csv, CsvRecord rec, int col)
    {
        string s = CsvTable.Field(rec, col).Trim();
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
            throw csv.Error(rec, col, $"'{s}' is not a number");
        return v;
    }

    public static double? OptionalDouble(CsvTable csv, CsvRecord rec, int col)
    {
        if (col < 0) return null;
        string s = CsvTable.Field(rec, col).Trim();
        if (s.Length == 0 || s.Equals("nan", StringComparison.OrdinalIgnoreCase)) return null;
        return Double(csv, rec, col);
    }
}
