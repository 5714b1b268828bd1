using System.Globalization;
using Thorax.Data.IO;

namespace Thorax.Data.Splits;

/// <summary>
/// An assignment of sample ids to named partitions (train/val/test ...). Written and read as CSV
/// <c>id,split</c> (rows sorted by id, ordinal) so a published split can be reused exactly.
/// </summary>
public sealed class DataSplit
{
    private readonly Dictionary<string, string> _map;

    /// <summary>Creates a split from an id -&gt; partition map (copied).</summary>
    public DataSplit(IEnumerable<KeyValuePair<string, string>> assignments)
    {
        _map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (id, part) in assignments)
            if (!_map.TryAdd(id, part)) throw new ArgumentException($"duplicate id '{id}'", nameof(assignments));
    }

    /// <summary>id -&gt; partition name.</summary>
    public IReadOnlyDictionary<string, string> Assignments => _map;

    /// <summary>Partition names present, ordinal order.</summary>
    public IReadOnlyList<string> Names => _map.Values.Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>Ids in partition <paramref name="name"/>, ordinal order.</summary>
    public IReadOnlyList<string> IdsOf(string name) =>
        _map.Where(kv => kv.Value == name).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();

    /// <summary>Partition of <paramref name="id"/>.</summary>
    public string this[string id] => _map[id];

    /// <summary>Writes <c>id,split</c> atomically, rows sorted by id.</summary>
    public void Write(string path) => DataFile.WriteAtomic(path, w =>
    {
        w.WriteLine("id,split");
        foreach (var id in _map.Keys.Order(StringComparer.Ordinal))
            w.WriteLine(CsvText.Join(id, _map[id]));
    });

    /// <summary>Reads an <c>id,split</c> CSV (also accepts <c>partition</c>/<c>set</c>/<c>phase</c> as the split column).</summary>
    /// <exception cref="DataFormatException">Missing columns, empty or duplicate ids (file, line, column).</exception>
    public static DataSplit Read(string path)
    {
        var csv = CsvTable.Read(path);
        int idCol = csv.Require("id", "image_id", "dicom_id", "ImageId");
        int spCol = csv.Require("split", "partition", "set", "phase");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var rec in csv.Records)
        {
            string id = CsvTable.Field(rec, idCol).Trim();
            string sp = CsvTable.Field(rec, spCol).Trim();
            if (id.Length == 0) throw csv.Error(rec, idCol, "empty id");
            if (sp.Length == 0) throw csv.Error(rec, spCol, "empty split name");
            if (!map.TryAdd(id, sp)) throw csv.Error(rec, idCol, $"duplicate id '{id}'");
        }
        return new DataSplit(map);
    }

    /// <summary>Counts per partition, e.g. "test=10 train=80 val=10".</summary>
    public override string ToString() => string.Join(" ",
        _map.GroupBy(kv => kv.Value).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Key + "=" + g.Count().ToString(CultureInfo.InvariantCulture)));
}
