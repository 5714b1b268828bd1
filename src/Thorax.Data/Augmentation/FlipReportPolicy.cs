namespace Thorax.Data.Augmentation;

/// <summary>What <see cref="HorizontalFlip"/> does with the report text (image/report concordance rule).</summary>
public enum FlipReportPolicy
{
    /// <summary>Flip, and swap left/right words in the report (<see cref="Reports.ReportLaterality.FlipHorizontal"/>). Default.</summary>
    SwapLaterality,
    /// <summary>Do not flip samples whose report mentions a side (ConTEXTual Net's concern), flip the others.</summary>
    SkipIfLateral,
    /// <summary>Flip the pixels and leave the report unchanged (albumentations behaviour).</summary>
    Ignore,
}
