namespace Thorax.Data.IO;

/// <summary>Helpers for writing CSV fields.</summary>
public static class CsvText
{
    /// <summary>Quotes a field when it contains a comma, quote, CR or LF, or leading/trailing spaces (RFC 4180).</summary>
    public static string Escape(string value)
    {
        bool quote = value.Length > 0 && (value[0] == ' ' || value[^1] == ' ');
        foreach (char c in value)
            if (c is ',' or '"' or '\n' or '\r') { quote = true; break; }
        return quote ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }

    /// <summary>Joins escaped fields with commas.</summary>
    public static string Join(params string[] fields) => string.Join(",", fields.Select(Escape));
}
