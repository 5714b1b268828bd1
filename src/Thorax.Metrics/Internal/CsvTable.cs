using System.Text;

namespace Thorax.Metrics.Internal;

/// <summary>
/// Minimal RFC 4180 CSV reader: comma separator, optional double-quoted fields with "" escapes (which may span
/// lines), LF or CRLF line ends, UTF-8 with or without BOM. Blank lines are skipped. Rows keep the 1-based line
/// number on which they start so errors can point at them.
/// </summary>
internal sealed class CsvTable
{
    private CsvTable(string path, string[] header, List<(long Line, string[] Fields)> rows)
    {
        Path = path;
        Header = header;
        Rows = rows;
    }

    public string Path { get; }

    public string[] Header { get; }

    public List<(long Line, string[] Fields)> Rows { get; }

    public static CsvTable Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MetricFileException(path, null, null, "cannot read the file: " + e.Message, e);
        }

        var records = Parse(path, text);
        if (records.Count == 0)
        {
            throw new MetricFileException(path, null, null, "the file is empty (a header row is required).");
        }

        var header = records[0].Fields.Select(h => h.Trim()).ToArray();
        for (var i = 0; i < header.Length; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (header[i] == header[j])
                {
                    throw new MetricFileException(path, records[0].Line, header[i], "duplicate column name.");
                }
            }
        }

        var rows = records.Skip(1).ToList();
        foreach (var (line, fields) in rows)
        {
            if (fields.Length != header.Length)
            {
                throw new MetricFileException(path, line, null,
                    $"expected {header.Length} fields (as in the header), found {fields.Length}.");
            }
        }

        return new CsvTable(path, header, rows);
    }

    public int ColumnIndex(string name) => Array.IndexOf(Header, name);

    private static List<(long Line, string[] Fields)> Parse(string path, string text)
    {
        var result = new List<(long, string[])>();
        var fields = new List<string>();
        var field = new StringBuilder();
        long line = 1, rowStart = 1;
        var inQuotes = false;
        var atFieldStart = true; // a quote may open a field only here
        var rowHasContent = false;
        var i = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
        for (; i < text.Length; i++)
        {
            var ch = text[i];
            if (inQuotes)
            {
                if (ch == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i++;
                    }
                    else
                    {
                        inQuotes = false;
                    }
                }
                else
                {
                    if (ch == '\n')
                    {
                        line++;
                    }

                    field.Append(ch);
                }

                continue;
            }

            switch (ch)
            {
                case '"' when atFieldStart:
                    inQuotes = true;
                    atFieldStart = false;
                    rowHasContent = true;
                    break;
                case '"':
                    throw new MetricFileException(path, line, null, "a quote inside an unquoted field.");
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    atFieldStart = true;
                    rowHasContent = true;
                    break;
                case '\r':
                    break;
                case '\n':
                    EndRow();
                    line++;
                    rowStart = line;
                    break;
                default:
                    field.Append(ch);
                    atFieldStart = false;
                    rowHasContent = true;
                    break;
            }
        }

        if (inQuotes)
        {
            throw new MetricFileException(path, rowStart, null, "unterminated quoted field.");
        }

        EndRow();
        return result;

        void EndRow()
        {
            if (rowHasContent)
            {
                fields.Add(field.ToString());
                result.Add((rowStart, fields.ToArray()));
            }

            fields.Clear();
            field.Clear();
            atFieldStart = true;
            rowHasContent = false;
        }
    }
}
