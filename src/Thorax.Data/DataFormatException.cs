using System.Text;

namespace Thorax.Data;

/// <summary>
/// A data file (CSV, JSON, RLE string, gaze table, ...) is malformed. Carries the file, the 1-based line
/// and the column where the problem was found, when known; the cause is kept as <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class DataFormatException : Exception
{
    /// <summary>Creates the exception; <paramref name="reason"/> is the bare description, the context is prepended.</summary>
    /// <param name="reason">What is wrong, e.g. "odd number of RLE values (7)".</param>
    /// <param name="filePath">File being read, or null for in-memory data.</param>
    /// <param name="line">1-based physical line number in the file (the header is line 1), or null.</param>
    /// <param name="column">Column name (as spelled in the header) or field name, or null.</param>
    /// <param name="inner">The cause, if any.</param>
    public DataFormatException(string reason, string? filePath = null, long? line = null, string? column = null, Exception? inner = null)
        : base(Compose(reason, filePath, line, column), inner)
    {
        Reason = reason;
        FilePath = filePath;
        Line = line;
        Column = column;
    }

    /// <summary>The bare description without file/line/column context.</summary>
    public string Reason { get; }

    /// <summary>File being read, or null.</summary>
    public string? FilePath { get; }

    /// <summary>1-based line number (header = 1), or null.</summary>
    public long? Line { get; }

    /// <summary>Column or field name, or null.</summary>
    public string? Column { get; }

    /// <summary>Returns a copy of this exception with file, line and column filled in (existing values win).</summary>
    public DataFormatException WithContext(string? filePath, long? line, string? column) =>
        new(Reason, FilePath ?? filePath, Line ?? line, Column ?? column, this);

    private static string Compose(string reason, string? file, long? line, string? column)
    {
        if (file is null && line is null && column is null) return reason;
        var sb = new StringBuilder();
        if (file is not null) sb.Append(file);
        if (line is not null) sb.Append(file is null ? "line " : ":").Append(line.Value);
        if (column is not null) sb.Append(sb.Length > 0 ? " " : "").Append("column '").Append(column).Append('\'');
        return sb.Append(": ").Append(reason).ToString();
    }
}
