using System.Text.RegularExpressions;

namespace Thorax.Synthetic.Internal;

/// <summary>How a sentence speaks of a finding.</summary>
internal enum MentionStatus
{
    /// <summary>The finding's term does not occur.</summary>
    NotMentioned,
    /// <summary>Every mention is denied ("No pneumothorax.", "Pneumothorax has resolved.").</summary>
    Negated,
    /// <summary>At least one mention is hedged and none is asserted outright ("Pneumothorax cannot be excluded.").</summary>
    Uncertain,
    /// <summary>At least one mention states the finding is present ("Small right apical pneumothorax.",
    /// "No change in the right pneumothorax.").</summary>
    Asserted,
}

/// <summary>
/// NegEx-style negation detection for one report sentence. The sentence is cut into clauses at scope terminators
/// (";", ":", "but", "however", "although", "though", "except", "aside from", "apart from", "whereas", and a comma
/// followed by "there is/are", "this", "it"). A mention of the term is <see cref="MentionStatus.Negated"/> when, in its
/// clause, a negation cue precedes it ("no", "not", "without", "negative for", "free of", "clear of", "absence of",
/// "nor", "neither") or a post-negation follows it ("is not seen/identified/visualized/appreciated/present/evident",
/// "no longer seen", "has resolved", "absent"). Pseudo-negations are not cues: "no (significant/interval) change,
/// increase, decrease or progression", "without (interval) change", "not only". "Resolved" preceded by "not",
/// "almost", "nearly", "partially", "incompletely", "mostly", "largely" or "near" means the finding persists
/// (asserted). "Cannot be excluded", "not (be) excluded / ruled out" make the mention
/// <see cref="MentionStatus.Uncertain"/> whatever else the clause says; other hedges ("possible", "probable",
/// "questionable", "may", "might", "suspected", "concerning for", "suggest", "equivocal", "versus", "limited",
/// "borderline") do so only when the mention is not negated. Everything else is <see cref="MentionStatus.Asserted"/>.
/// A sentence's status is the worst over its mentions (asserted, then uncertain, then negated).
/// Known limitation (as in NegEx): a comma list does not end the scope, so "No effusion, small pneumothorax." reads as
/// negated; corpus sentences like that are rare and the report builder never writes them.
/// </summary>
internal static class NegationDetector
{
    private const RegexOptions Opt = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled;

    private static readonly Regex Terminator = new(
        @"[;:]|\b(?:but|however|although|though|except|aside from|apart from|whereas)\b|,\s*(?=(?:there\s+(?:is|are)|this|it)\b)", Opt);

    private static readonly Regex PreCue = new(
        @"\b(?:no|not|without|negative\s+for|free\s+of|clear\s+of|absence\s+of|nor|neither)\b", Opt);

    private static readonly Regex PseudoAfterCue = new(
        @"^\s*(?:(?:significant|interval|substantial|appreciable|definite)\s+)*(?:change|increase|decrease|progression|only)\b", Opt);

    private static readonly Regex PostCue = new(
        @"\b(?:(?:is|are|was|were)\s+)?(?:not\s+(?:seen|identified|visualized|visualised|appreciated|present|demonstrated|evident|visible|noted)|no\s+longer\s+(?:seen|visible|present|identified|evident)|(?:has|have)?\s*resolved|absent)\b", Opt);

    private static readonly Regex PartialResolution = new(
        @"\b(?:not|almost|nearly|partially|incompletely|mostly|largely|near|partly)(?:\s+(?:completely|fully|entirely))?\s*-?\s*(?:(?:has|have)\s+)?resolved\b", Opt);

    private static readonly Regex NotExcluded = new(
        @"\b(?:cannot|can\s*not|could\s+not|not)\s+(?:be\s+)?(?:entirely\s+|completely\s+|definitely\s+)?(?:excluded|ruled\s+out)\b", Opt);

    private static readonly Regex Hedge = new(
        @"\b(?:possible|possibly|probable|probably|questionable|question\s+of|may|might|suspect\w*|concerning\s+for|suggest\w*|equivocal|versus|vs|limited|borderline)\b", Opt);

    /// <summary>Status of the mentions of <paramref name="term"/> in <paramref name="sentence"/>.</summary>
    public static MentionStatus Classify(string sentence, Regex term)
    {
        var worst = MentionStatus.NotMentioned;
        foreach (var clause in Clauses(sentence))
        {
            foreach (Match m in term.Matches(clause))
            {
                var s = ClassifyMention(clause, m.Index, m.Index + m.Length);
                if (s > worst) worst = s;
            }
        }
        return worst;
    }

    /// <summary>True when <paramref name="sentence"/> mentions <paramref name="term"/> and every mention is negated.</summary>
    public static bool IsNegated(string sentence, Regex term) => Classify(sentence, term) == MentionStatus.Negated;

    /// <summary>The sentence cut at scope terminators (terminators themselves are dropped).</summary>
    internal static IEnumerable<string> Clauses(string sentence)
    {
        int pos = 0;
        foreach (Match t in Terminator.Matches(sentence))
        {
            yield return sentence[pos..t.Index];
            pos = t.Index + t.Length;
        }
        yield return sentence[pos..];
    }

    private static MentionStatus ClassifyMention(string clause, int begin, int end)
    {
        if (NotExcluded.IsMatch(clause)) return MentionStatus.Uncertain;
        string before = clause[..begin], after = clause[end..];
        foreach (Match cue in PreCue.Matches(before))
        {
            string rest = before[(cue.Index + cue.Length)..];
            if (PseudoAfterCue.IsMatch(rest)) continue;
            return MentionStatus.Negated;
        }
        if (PostCue.Match(after) is { Success: true } post && !PartialResolution.IsMatch(after[..(post.Index + post.Length)]))
            return MentionStatus.Negated;
        return Hedge.IsMatch(clause) ? MentionStatus.Uncertain : MentionStatus.Asserted;
    }
}
