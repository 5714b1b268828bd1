namespace Thorax.Data.Reports;

/// <summary>Report text augmentation settings; everything is off by default (ConTEXTual Net ships both disabled).</summary>
public sealed record ReportAugmentationOptions
{
    /// <summary>All augmentations off.</summary>
    public static ReportAugmentationOptions Default { get; } = new();

    /// <summary>Shuffle sentence order (default false).</summary>
    public bool ShuffleSentences { get; init; }

    /// <summary>Probability in [0, 1] that each table word found in the text is replaced (default 0 = off).
    /// ConTEXTual used 0.15.</summary>
    public double SynonymProbability { get; init; }

    /// <summary>Synonym table; required when <see cref="SynonymProbability"/> &gt; 0.</summary>
    public SynonymTable? Synonyms { get; init; }

    /// <summary>Reproduce ConTEXTual's <c>synonymsReplacement</c> bug (default false): every triggered replacement
    /// starts again from the text before any replacement, so only the last triggered word (table order) keeps its
    /// synonym.</summary>
    public bool LastReplacementOnly { get; init; }
}
