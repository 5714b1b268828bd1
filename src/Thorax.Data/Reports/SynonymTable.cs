using Thorax.Data.IO;

namespace Thorax.Data.Reports;

/// <summary>Word -&gt; synonyms table for report augmentation. CSV with columns <c>word,synonyms</c>; synonyms are
/// separated by ';' or written as a Python list string (<c>['thorax', 'chest cavity']</c>, as ConTEXTual's
/// <c>words_and_their_synonyms</c> sheet). Words are matched case-insensitively as whole words.</summary>
public sealed class SynonymTable
{
    private readonly Dictionary<string, string[]> _map;

    /// <summary>Creates a table from word -&gt; synonyms (words are lower-cased; empty synonym lists are dropped).</summary>
    public SynonymTable(IEnumerable<KeyValuePair<string, string[]>> entries)
    {
        _map = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var (w, syn) in entries)
            if (syn.Length > 0) _map[w.Trim()] = syn;
    }

    /// <summary>Words with at least one synonym, ordinal order.</summary>
    public IReadOnlyList<string> Words => _map.Keys.Order(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>Synonyms of <paramref name="word"/> (empty when unknown).</summary>
    public IReadOnlyList<string> SynonymsOf(string word) => _map.TryGetValue(word, out var s) ? s : [];

    /// <summary>Reads the CSV.</summary>
    /// <exception cref="DataFormatException">Missing columns or an empty word (file, line, column).</exception>
    public static SynonymTable Read(string path)
    {
        var csv = CsvTable.Read(path);
        int w = csv.Require("word"), s = csv.Require("synonyms");
        var entries = new List<KeyValuePair<string, string[]>>();
        foreach (var r in csv.Records)
        {
            string word = CsvTable.Field(r, w).Trim();
            if (word.Length == 0) throw csv.Error(r, w, "empty word");
            entries.Add(KeyValuePair.Create(word, ParseList(CsvTable.Field(r, s))));
        }
        return new SynonymTable(entries);
    }

    internal static string[] ParseList(string raw)
    {
        string t = raw.Trim();
        if (t.StartsWith('[') && t.EndsWith(']')) t = t[1..^1];
        char sep = raw.TrimStart().StartsWith('[') ? ',' : ';';
        return t.Split(sep).Select(x => x.Trim().Trim('\'', '"').Trim()).Where(x => x.Length > 0).ToArray();
    }
}
