using System.Globalization;
using Thorax.Data.IO;

namespace Thorax.Data.Splits;

/// <summary>
/// A k-fold assignment: each id belongs to exactly one fold in [0, k). Fold f is the validation set of
/// round f and the other folds its training set. Written and read as CSV <c>id,fold</c> (rows sorted by id).
/// </summary>
public sealed class FoldAssignment
{
    private readonly Dictionary<string, int> _map;

    /// <summary>Creates an assignment (copied); folds must lie in [0, <paramref name="folds"/>).</summary>
    public FoldAssignment(int folds, IEnumerable<KeyValuePair<string, int>> assignments)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        Folds = folds;
        _map = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (id, f) in assignments)
        {
            if ((uint)f >= (uint)folds) throw new ArgumentOutOfRangeException(nameof(assignments), $"fold {f} of '{id}' is outside [0, {folds})");
            if (!_map.TryAdd(id, f)) throw new ArgumentException($"duplicate id '{id}'", nameof(assignments));
        }
    }

    /// <summary>Number of folds k.</summary>
    public int Folds { get; }

    /// <summary>id -&gt; fold index.</summary>
    public IReadOnlyDictionary<string, int> Assignments => _map;

    /// <summary>Validation ids of round <paramref name="fold"/> (ordinal order).</summary>
    public IReadOnlyList<string> ValidationIds(int fold) =>
        _map.Where(kv => kv.Value == fold).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();

    /// <summary>Training ids of round <paramref name="fold"/> (all other folds, ordinal order).</summary>
    public IReadOnlyList<string> TrainingIds(int fold) =>
        _map.Where(kv => kv.Value != fold).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();

    /// <summary>Round <paramref name="fold"/> as a train/val <see cref="DataSplit"/>.</summary>
    public DataSplit Round(int fold) => new(_map.Select(kv => KeyValuePair.Create(kv.Key, kv.Value == fold ? "val" : "train")));

    /// <summary>Writes <c>id,fold</c> atomically, rows sorted by id.</summary>
    public void Write(string path) => DataFile.WriteAtomic(path, w =>
    {
        w.WriteLine("id,fold");
        foreach (var id in _map.Keys.Order(StringComparer.Ordinal))
            w.WriteLine(CsvText.Escape(id) + "," + _map[id].ToString(CultureInfo.InvariantCulture));
    });

    /// <summary>Reads an <c>id,fold</c> CSV (id column may also be <c>fname</c>/<c>image_id</c>); k = max fold + 1
    /// unless <paramref name="folds"/> is given.</summary>
    /// <exception cref="DataFormatException">Missing columns, non-integer or negative folds, duplicates (file, line, column).</exception>
    public static FoldAssignment Read(string path, int? folds = null)
    {
        var csv = CsvTable.Read(path);
        int idCol = csv.Require("id", "fname", "image_id", "dicom_id", "ImageId");
        int fCol = csv.Require("fold");
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var rec in csv.Records)
        {
            string id = CsvTable.Field(rec, idCol).Trim();
            if (id.Length == 0) throw csv.Error(rec, idCol, "empty id");
            string fs = CsvTable.Field(rec, fCol).Trim();
            if (!int.TryParse(fs, NumberStyles.Integer, CultureInfo.InvariantCulture, out int f) || f < 0)
                throw csv.Error(rec, fCol, $"fold '{fs}' is not a non-negative integer");
            if (folds is { } k && f >= k) throw csv.Error(rec, fCol, $"fold {f} is outside [0, {k})");
            if (!map.TryAdd(id, f)) throw csv.Error(rec, idCol, $"duplicate id '{id}'");
        }
        int kk = folds ?? Math.Max(2, map.Count == 0 ? 2 : map.Values.Max() + 1);
        return new FoldAssignment(kk, map);
    }
}
