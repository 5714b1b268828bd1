namespace Thorax.Data.IO;

/// <summary>
/// A parsed CSV file: a header and records, each with the 1-based physical line it starts on.
/// RFC 4180 quoting (quoted fields may contain commas, doubled quotes and line breaks), CRLF or LF line ends,
/// a UTF-8 BOM and gzip input are accepted. Header names are trimmed; field values are kept verbatim
/// (callers trim where the format allows it). Blank lines are skipped.
/// </summary>
public sealed class CsvTable
{
    private readonly Dictionary<string, int> _index;

    private CsvTable(string? source, string[] header, List<CsvRecord> records)
    {
        Source = source;
        Header = header;
        Records = records;
        _index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < header.Length; i++) _index.TryAdd(header[i], i);
    }

    /// <summary>File the table was read from, or null.</summary>
    public string? Source { get; }

    /// <summary>Header names, trimmed of whitespace and BOM (may contain empty names for trailing commas).</summary>
    public IReadOnlyList<string> Header { get; }

    /// <summary>Data records in file order.</summary>
    public IReadOnlyList<CsvRecord> Records { get; }

    /// <summary>Reads a CSV file (plain or gzip).</summary>
    /// <exception cref="DataFormatException">Empty file or an unterminated quoted field.</exception>
    public static CsvTable Read(string path) => Parse(DataFile.ReadAllText(path), path);

    /// <summary>Parses CSV text; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="DataFormatException">Empty input or an unterminated quoted field.</exception>
    public static CsvTable Parse(string text, string? source = null)
    {
        var records = new List<CsvRecord>();
        var fields = new List<string>();
        var sb = new System.Text.StringBuilder();
        int pos = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
        long line = 1;
        string[]? header = null;
        while (pos < text.Length)
        {
            long startLine = line;
            fields.Clear();
            bool endOfRecord = false;
            while (!endOfRecord)
            {
                sb.Clear();
                if (pos < text.Length && text[pos] == '"')
                {
                    pos++;
                    while (true)
                    {
                        if (pos >= text.Length)
                            throw new DataFormatException("unterminated quoted field", source, startLine);
                        char c = text[pos++];
                        if (c == '"')
                        {
                            if (pos < text.Length && text[pos] == '"') { sb.Append('"'); pos++; continue; }
                            break;
                        }
                        if (c == '\n') line++;
                        sb.Append(c);
                    }
                    // Characters after the closing quote up to the delimiter are kept (lenient).
                    int s = pos;
                    while (pos < text.Length && text[pos] != ',' && text[pos] != '\n' && text[pos] != '\r') pos++;
                    sb.Append(text, s, pos - s);
                }
                else
                {
                    int s = pos;
                    while (pos < text.Length && text[pos] != ',' && text[pos] != '\n' && text[pos] != '\r') pos++;
                    sb.Append(text, s, pos - s);
                }
                fields.Add(sb.ToString());
                if (pos >= text.Length) { endOfRecord = true; }
                else if (text[pos] == ',') { pos++; }
                else
                {
                    if (text[pos] == '\r') pos++;
                    if (pos < text.Length && text[pos] == '\n') pos++;
                    line++;
                    endOfRecord = true;
                }
            }
            if (fields.Count == 1 && fields[0].Length == 0) continue; // blank line
            if (header is null)
            {
                header = new string[fields.Count];
                for (int i = 0; i < header.Length; i++) header[i] = fields[i].Trim().Trim('\uFEFF');
            }
            else
            {
                records.Add(new CsvRecord(startLine, fields.ToArray()));
            }
        }
        if (header is null) throw new DataFormatException("empty CSV file (no header)", source, 1);
        return new CsvTable(source, header, records);
    }

    /// <summary>Index of the first column whose trimmed name equals one of <paramref name="names"/>
    /// (case-insensitive, tried in order), or -1.</summary>
    public int IndexOf(params string[] names)
    {
        foreach (var n in names)
            if (_index.TryGetValue(n, out int i)) return i;
        return -1;
    }

    /// <summary>Like <see cref="IndexOf"/> but throws when no spelling is present.</summary>
    /// <exception cref="DataFormatException">None of the names is in the header.</exception>
    public int Require(params string[] names)
    {
        int i = IndexOf(names);
        if (i < 0)
            throw new DataFormatException(
                $"missing column (expected one of: {string.Join(", ", names)}; header is: {string.Join(",", Header)})",
                Source, 1, names[0]);
        return i;
    }

    /// <summary>Field <paramref name="column"/> of <paramref name="record"/>; missing trailing fields read as "".</summary>
    public static string Field(CsvRecord record, int column) =>
        column >= 0 && column < record.Fields.Length ? record.Fields[column] : "";

    /// <summary>Header name of column <paramref name="column"/> (for error messages).</summary>
    public string ColumnName(int column) => column >= 0 && column < Header.Count ? Header[column] : $"#{column + 1}";

    /// <summary>Creates a <see cref="DataFormatException"/> naming this file, the record's line and the column.</summary>
    public DataFormatException Error(CsvRecord record, int column, string reason, Exception? inner = null) =>
        new(reason, Source, record.Line, ColumnName(column), inner);
}

/// <summary>One CSV record: its 1-based starting line (header = line 1) and its raw field values.</summary>
/// <param name="Line">1-based physical line number where the record starts.</param>
/// <param name="Fields">Field values, unquoted, not trimmed.</param>
public sealed record CsvRecord(long Line, string[] Fields);
