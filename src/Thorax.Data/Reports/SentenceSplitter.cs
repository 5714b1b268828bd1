using System.Text;

namespace Thorax.Data.Reports;

/// <summary>Rule-based sentence splitting for radiology reports: splits after '.', '!' or '?' followed by
/// whitespace and an upper-case letter, digit or end of text; does not split inside decimals ("2.0 cm"),
/// after common abbreviations (Dr., e.g., i.e., approx., vs., no., cm.), or after single initials.</summary>
public static class SentenceSplitter
{
    private static readonly HashSet<string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "dr", "mr", "mrs", "ms", "e.g", "i.e", "approx", "vs", "no", "st", "fig", "etc", "cf", "resp",
    };

    /// <summary>Sentences of <paramref name="text"/>, trimmed, whitespace collapsed, none empty.</summary>
    public static IReadOnlyList<string> Split(string text)
    {
        var result = new List<string>();
        var sb = new StringBuilder();
        string t = Collapse(text);
        for (int i = 0; i < t.Length; i++)
        {
            char c = t[i];
            sb.Append(c);
            if (c is not ('.' or '!' or '?')) continue;
            bool atEnd = i + 1 >= t.Length;
            if (!atEnd && t[i + 1] != ' ') continue;              // "2.0", "x-XXXX.", "e.g."
            if (!atEnd && i + 2 < t.Length && char.IsLower(t[i + 2])) continue;
            if (c == '.' && IsAbbreviation(sb)) continue;
            Flush(sb, result);
        }
        Flush(sb, result);
        return result;
    }

    private static bool IsAbbreviation(StringBuilder sb)
    {
        int end = sb.Length - 1, start = end;
        while (start > 0 && sb[start - 1] != ' ') start--;
        string word = sb.ToString(start, end - start).TrimStart('(', '"');
        return word.Length == 1 && char.IsLetter(word[0]) || Abbreviations.Contains(word);
    }

    private static void Flush(StringBuilder sb, List<string> result)
    {
        string s = sb.ToString().Trim();
        if (s.Length > 0) result.Add(s);
        sb.Clear();
    }

    internal static string Collapse(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool space = false;
        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c)) { space = sb.Length > 0; continue; }
            if (space) { sb.Append(' '); space = false; }
            sb.Append(c);
        }
        return sb.ToString();
    }
}
