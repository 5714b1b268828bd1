using System.Text.RegularExpressions;

namespace Thorax.Text.Tokenization;

/// <summary>
/// The report cleanup of ConTEXTual Net's data loader: the de-identification placeholders <c>[ALPHANUMERICID]</c>,
/// <c>[date]</c>, <c>[DATE]</c>, <c>[AGE]</c>, <c>[ADDRESS]</c>, <c>[PERSONALNAME]</c> are removed and every run of
/// whitespace (new lines included) becomes one space; leading and trailing spaces are dropped.
/// </summary>
/// <remarks>Placeholders are deleted without a space in their place, as the reference's <c>str.replace(p, "")</c>
/// ("on[DATE]," becomes "on,"). The reference collapses whitespace before deleting, which can leave two spaces where a
/// placeholder stood between words; WordPiece splits on whitespace runs and T5's SentencePiece normaliser removes extra
/// whitespace, so the token ids are the same when Thorax collapses after deleting.</remarks>
public static partial class ReportCleanup
{
    /// <summary>The placeholders the reference deletes (case-sensitive, as there: <c>[date]</c> and <c>[DATE]</c>).</summary>
    public static IReadOnlyList<string> Placeholders { get; } =
        ["[ALPHANUMERICID]", "[date]", "[DATE]", "[AGE]", "[ADDRESS]", "[PERSONALNAME]"];

    /// <summary>The cleaned text (never null; empty when nothing but placeholders and whitespace was there).</summary>
    public static string Clean(string? text)
    {
        if (string.IsNullOrEmpty(text)) return string.Empty;
        var s = text;
        foreach (var p in Placeholders) s = s.Replace(p, "", StringComparison.Ordinal);
        return Whitespace().Replace(s, " ").Trim();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
