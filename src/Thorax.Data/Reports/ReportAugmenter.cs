using System.Text.RegularExpressions;

namespace Thorax.Data.Reports;

/// <summary>Seeded report augmentation: sentence shuffle and synonym replacement (each off by default).
/// Sampling uses the caller's <see cref="Random"/>, so a seeded Random gives reproducible text.</summary>
/// <remarks>Deviation from ConTEXTual's <c>synonymsReplacement</c>: every triggered replacement is kept
/// (the reference restarts from the original text each time, so only the last survives; <see
/// cref="ReportAugmentationOptions.LastReplacementOnly"/> reproduces that), and a capitalised word gets a capitalised
/// synonym.</remarks>
public sealed class ReportAugmenter(ReportAugmentationOptions options)
{
    /// <summary>Options in use.</summary>
    public ReportAugmentationOptions Options { get; } = Validate(options);

    /// <summary>Augments <paramref name="text"/>; returns it unchanged (whitespace aside) when everything is off.</summary>
    public string Apply(string text, Random random)
    {
        string result = text;
        if (Options.ShuffleSentences)
        {
            var sentences = SentenceSplitter.Split(result).ToArray();
            random.Shuffle(sentences);
            result = string.Join(" ", sentences);
        }
        if (Options.SynonymProbability > 0 && Options.Synonyms is { } table)
        {
            var before = result;
            foreach (var word in table.Words)
            {
                var rx = new Regex(@"\b" + Regex.Escape(word) + @"\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
                // The reference's bug: each replacement is applied to the text before any replacement.
                var source = Options.LastReplacementOnly ? before : result;
                if (!rx.IsMatch(source)) continue;
                if (random.NextDouble() >= Options.SynonymProbability) continue;
                var syn = table.SynonymsOf(word);
                string pick = syn[random.Next(syn.Count)];
                result = rx.Replace(source, m => char.IsUpper(m.Value[0]) && pick.Length > 0 ? char.ToUpperInvariant(pick[0]) + pick[1..] : pick);
            }
        }
        return result;
    }

    private static ReportAugmentationOptions Validate(ReportAugmentationOptions o)
    {
        if (o.SynonymProbability is < 0 or > 1 || double.IsNaN(o.SynonymProbability))
            throw new ArgumentOutOfRangeException(nameof(o), "SynonymProbability must be in [0, 1]");
        if (o.SynonymProbability > 0 && o.Synonyms is null)
            throw new ArgumentException("SynonymProbability > 0 needs a Synonyms table", nameof(o));
        return o;
    }
}
