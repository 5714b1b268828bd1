namespace Thorax.Metrics;

/// <summary>
/// Thrown when a metrics input file (e.g. a predictions CSV) is malformed; carries the file, the 1-based row and
/// the column name so the message points at the exact cell.
/// </summary>
public sealed class MetricFileException : MetricException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">Path of the file being read.</param>
    /// <param name="row">1-based line number in the file (the header is row 1), or <c>null</c> for whole-file errors.</param>
    /// <param name="column">Column name (or header text) involved, or <c>null</c>.</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause, when there is one.</param>
    public MetricFileException(string filePath, long? row, string? column, string message, Exception? innerException = null)
        : base(Compose(filePath, row, column, message), null, null, innerException)
    {
        FilePath = filePath;
        Row = row;
        Column = column;
    }

    /// <summary>Path of the file being read.</summary>
    public string FilePath { get; }

    /// <summary>1-based line number (header = 1), or <c>null</c>.</summary>
    public long? Row { get; }

    /// <summary>Column name involved, or <c>null</c>.</summary>
    public string? Column { get; }

    private static string Compose(string filePath, long? row, string? column, string message)
    {
        var where = filePath;
        if (row is not null)
        {
            where += $", row {row}";
        }

        if (column is not null)
        {
            where += $", column '{column}'";
        }

        return $"{where}: {message}";
    }
}
