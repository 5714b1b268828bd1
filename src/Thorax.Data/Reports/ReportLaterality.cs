using System.Text.RegularExpressions;

namespace Thorax.Data.Reports;

/// <summary>
/// The image/report concordance rule: a horizontal flip of the image swaps the patient's left and right, so the
/// report's laterality words must be swapped too (ConTEXTual Net disabled flips for this reason).
/// Swaps left/right, leftward/rightward and the abbreviations lt/rt as whole words, keeping the case pattern
/// (left -&gt; right, Left -&gt; Right, LEFT -&gt; RIGHT); "right-to-left" becomes "left-to-right".
/// </summary>
public static partial class ReportLaterality
{
    [GeneratedRegex(@"\b(left|right|leftward|rightward|lt|rt)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LateralityWord();

    /// <summary>Text as it should read for the horizontally flipped image. Applying it twice restores the text.</summary>
    public static string FlipHorizontal(string text) => LateralityWord().Replace(text, m => MatchCase(m.Value, Swap(m.Value.ToLowerInvariant())));

    /// <summary>True when the text mentions a side (left/right/lt/rt).</summary>
    public static bool MentionsLaterality(string text) => LateralityWord().IsMatch(text);

    private static string Swap(string w) => w switch
    {
        "left" => "right",
        "right" => "left",
        "leftward" => "rightward",
        "rightward" => "leftward",
        "lt" => "rt",
        _ => "lt",
    };

    private static string MatchCase(string original, string replacement)
    {
        if (original.All(c => !char.IsLetter(c) || char.IsUpper(c)) && original.Length > 1) return replacement.ToUpperInvariant();
        if (char.IsUpper(original[0])) return char.ToUpperInvariant(replacement[0]) + replacement[1..];
        return replacement;
    }
}
