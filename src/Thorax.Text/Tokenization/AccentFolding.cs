using System.Globalization;
using System.Text;

namespace Thorax.Text.Tokenization;

/// <summary>
/// BERT's accent stripping (NFD, then drop the non-spacing marks, Unicode category Mn) without ICU: Thorax runs with
/// invariant globalization, where <see cref="string.Normalize()"/> does not decompose non-ASCII text. The per-character
/// table (<c>AccentFolding.g.cs</c>) is generated from the Unicode database by tools/golden/text/make_accent_table.py.
/// Hangul syllables are left whole (NFD would split them into jamo).
/// </summary>
internal static partial class AccentFolding
{
    private static readonly Lazy<Dictionary<char, string>> Table = new(() =>
    {
        var d = new Dictionary<char, string>(Keys.Length);
        for (var i = 0; i < Keys.Length; i++) d[Keys[i]] = Values[i];
        return d;
    });

    /// <summary>The text with accents removed (unchanged when it has none).</summary>
    public static string Strip(string text)
    {
        var table = Table.Value;
        var i = 0;
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (c >= 0x80 && (table.ContainsKey(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark))
                break;
        }
        if (i == text.Length) return text;
        var sb = new StringBuilder(text.Length);
        sb.Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (c < 0x80) sb.Append(c);
            else if (table.TryGetValue(c, out var v)) sb.Append(v);
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                if (CharUnicodeInfo.GetUnicodeCategory(text, i) != UnicodeCategory.NonSpacingMark) sb.Append(c).Append(text[i + 1]);
                i++;
            }
            else if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark) sb.Append(c);
        }
        return sb.ToString();
    }
}
