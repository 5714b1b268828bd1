using System.Globalization;
using System.Text;

namespace Thorax.Synthetic.Internal;

/// <summary>RFC 4180 CSV helpers (quote when needed, \n line ends, invariant culture).</summary>
internal static class Csv
{
    public static string Field(string value)
    {
        if (value.AsSpan().IndexOfAny(",\"\n\r") < 0) return value;
        return "\"" + value.Replace("\"", "\"\"") + "\"";
    }

    public static string F(double v, string format = "0.######") => v.ToString(format, CultureInfo.InvariantCulture);

    public static void Line(StringBuilder sb, params string[] fields)
    {
        for (int i = 0; i < fields.Length; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(Field(fields[i]));
        }
        sb.Append('\n');
    }

    public static void Write(string path, StringBuilder sb) =>
        File.WriteAllText(path, sb.ToString(), new UTF8Encoding(false));
}
