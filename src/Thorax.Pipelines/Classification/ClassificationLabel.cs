using Thorax.Data;
using Thorax.Data.IO;

namespace Thorax.Pipelines.Classification;

/// <summary>
/// Which binary label a classifier learns from a synthetic dataset's <c>studies.csv</c>: a 0/1 column
/// (<c>pneumothorax</c>, <c>chest_tube</c>, <c>ecg_leads</c>, <c>shortcut_cue</c>, ...) or one class against the rest
/// (<c>class=CHF</c>: 1 where the <c>class</c> column equals <c>CHF</c>, case-sensitive).
/// </summary>
public sealed record ClassificationLabel
{
    private ClassificationLabel(string spec, string column, string? positiveValue)
    {
        Spec = spec;
        Column = column;
        PositiveValue = positiveValue;
    }

    /// <summary>The label as written on the command line (<c>pneumothorax</c>, <c>class=CHF</c>).</summary>
    public string Spec { get; }

    /// <summary>The studies.csv column it reads.</summary>
    public string Column { get; }

    /// <summary>For one-vs-rest labels, the value that counts as positive; null for 0/1 columns.</summary>
    public string? PositiveValue { get; }

    /// <summary>Parses a label spec: a column name, or <c>COLUMN=VALUE</c> for one value against the rest.</summary>
    /// <exception cref="ArgumentException">Empty spec, or an empty column or value around <c>=</c>.</exception>
    public static ClassificationLabel Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var s = spec.Trim();
        if (s.Length == 0) throw new ArgumentException("--label is empty; give a 0/1 column of studies.csv (e.g. pneumothorax) or class=<name>");
        var eq = s.IndexOf('=');
        if (eq < 0) return new ClassificationLabel(s, s, null);
        var column = s[..eq].Trim();
        var value = s[(eq + 1)..].Trim();
        if (column.Length == 0 || value.Length == 0)
            throw new ArgumentException($"--label '{spec}': expected COLUMN=VALUE with both parts non-empty (e.g. class=CHF)");
        return new ClassificationLabel(s, column, value);
    }

    /// <summary>
    /// Binds the label to a table: the column must exist, and for a 0/1 label every value must be 0 or 1; for a
    /// one-vs-rest label the value must occur at least once. Returns each record's label (0 or 1), in record order.
    /// </summary>
    /// <exception cref="DataFormatException">The column is missing (the header and the 0/1 columns are listed), a value is
    /// not 0/1 (file, line, column and value named), or the one-vs-rest value never occurs (the values present are listed).</exception>
    public int[] Read(CsvTable table)
    {
        var col = table.IndexOf(Column);
        if (col < 0)
        {
            var binary = BinaryColumns(table);
            throw new DataFormatException(
                $"unknown label '{Spec}': no column '{Column}' (0/1 columns: {(binary.Count == 0 ? "none" : string.Join(", ", binary))}; or class=<name>; header: {string.Join(",", table.Header)})",
                table.Source, 1, Column);
        }
        var labels = new int[table.Records.Count];
        if (PositiveValue is null)
        {
            for (var i = 0; i < labels.Length; i++)
            {
                var r = table.Records[i];
                var v = CsvTable.Field(r, col).Trim();
                labels[i] = v switch
                {
                    "0" => 0,
                    "1" => 1,
                    _ => throw table.Error(r, col, $"label '{Spec}' needs 0 or 1, found '{v}' (use {Column}=<value> for one value against the rest)"),
                };
            }
            return labels;
        }
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        var positives = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            var v = CsvTable.Field(table.Records[i], col).Trim();
            seen.Add(v);
            labels[i] = v == PositiveValue ? 1 : 0;
            positives += labels[i];
        }
        if (positives == 0)
            throw new DataFormatException($"label '{Spec}': no study has {Column} = '{PositiveValue}' (values present: {string.Join(", ", seen)})",
                table.Source, null, Column);
        return labels;
    }

    /// <summary>Columns of <paramref name="table"/> whose every value is 0 or 1 (usable as labels as they are).</summary>
    public static IReadOnlyList<string> BinaryColumns(CsvTable table)
    {
        var list = new List<string>();
        for (var c = 0; c < table.Header.Count; c++)
        {
            if (table.Header[c].Length == 0 || table.Records.Count == 0) continue;
            if (table.Records.All(r => CsvTable.Field(r, c).Trim() is "0" or "1")) list.Add(table.Header[c]);
        }
        return list;
    }

    /// <inheritdoc />
    public override string ToString() => Spec;
}
