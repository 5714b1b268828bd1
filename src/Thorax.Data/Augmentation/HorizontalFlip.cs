using Thorax.Data.Datasets;
using Thorax.Data.Reports;
using Thorax.Imaging;

namespace Thorax.Data.Augmentation;

/// <summary>Mirrors columns (x → W-1-x) of the image, masks and gaze map (albumentations <c>HorizontalFlip</c>, default p = 0.5),
/// keeping the report concordant per <see cref="ReportPolicy"/>.</summary>
public sealed class HorizontalFlip : SampleTransform
{
    /// <summary>Creates the transform with p = 0.5.</summary>
    public HorizontalFlip() => Probability = 0.5;

    /// <summary>Report handling; default <see cref="FlipReportPolicy.SwapLaterality"/>.</summary>
    public FlipReportPolicy ReportPolicy { get; init; } = FlipReportPolicy.SwapLaterality;

    /// <inheritdoc />
    public override Sample ApplyForced(Sample sample, Random random) => Flip(sample);

    /// <summary>The deterministic flip.</summary>
    public Sample Flip(Sample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        string? report = sample.Report;
        if (report is not null)
        {
            if (ReportPolicy == FlipReportPolicy.SkipIfLateral && ReportLaterality.MentionsLaterality(report)) return sample;
            if (ReportPolicy == FlipReportPolicy.SwapLaterality) report = ReportLaterality.FlipHorizontal(report);
        }
        return SampleOps.Spatial(sample, sample.Width, sample.Height, FlipRows, FlipRows) with { Report = report };
    }

    private static Image<T> FlipRows<T>(Image<T> src) where T : unmanaged
    {
        var dst = new Image<T>(src.Width, src.Height, 1);
        for (int y = 0; y < src.Height; y++)
        {
            src.Row(y).CopyTo(dst.Row(y));
            dst.Row(y).Reverse();
        }
        return dst;
    }
}
