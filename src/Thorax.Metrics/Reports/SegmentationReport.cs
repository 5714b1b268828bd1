using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Thorax.Metrics;

/// <summary>
/// Per-image and aggregate overlap metrics for a set of binary masks, with <see cref="ToJson"/> and a text
/// summary (<see cref="ToText"/>). With the default policy <see cref="MeanDice"/> is the Kaggle SIIM-ACR score.
/// </summary>
/// <remarks>
/// Means are over images (NaN per-image values, i.e. empty/empty pairs under <see cref="EmptyMaskPolicy.NaN"/>
/// or <see cref="EmptyMaskPolicy.Skip"/>, are left out; <see cref="ScoredImageCount"/> says how many counted).
/// <see cref="GlobalDice"/> pools the pixel counts of all images (dataset-level Dice). Image-level detection
/// counts treat "mask non-empty" as a positive call.
/// </remarks>
public sealed record SegmentationReport
{
    /// <summary>Empty/empty handling used for the per-image scores.</summary>
    public required EmptyMaskPolicy EmptyPolicy { get; init; }

    /// <summary>Number of images.</summary>
    public required int ImageCount { get; init; }

    /// <summary>Images whose Dice entered the means (all images unless the policy is NaN or Skip).</summary>
    public required int ScoredImageCount { get; init; }

    /// <summary>Mean per-image Dice (Kaggle SIIM mean Dice under <see cref="EmptyMaskPolicy.One"/>); NaN if no image scored.</summary>
    public required double MeanDice { get; init; }

    /// <summary>Median per-image Dice.</summary>
    public required double MedianDice { get; init; }

    /// <summary>Mean per-image IoU.</summary>
    public required double MeanIoU { get; init; }

    /// <summary>Mean per-image precision.</summary>
    public required double MeanPrecision { get; init; }

    /// <summary>Mean per-image recall.</summary>
    public required double MeanRecall { get; init; }

    /// <summary>Mean per-image F2.</summary>
    public required double MeanF2 { get; init; }

    /// <summary>Dice of the pixel counts pooled over all images.</summary>
    public required double GlobalDice { get; init; }

    /// <summary>Images with both masks empty (true negatives at image level).</summary>
    public required int BothEmptyCount { get; init; }

    /// <summary>Images with an empty truth but a non-empty prediction (image-level false positives).</summary>
    public required int FalsePositiveImageCount { get; init; }

    /// <summary>Images with a non-empty truth but an empty prediction (image-level misses).</summary>
    public required int MissedImageCount { get; init; }

    /// <summary>Per-image results in input order.</summary>
    public required IReadOnlyList<SegmentationImageResult> Images { get; init; }

    /// <summary>Scores every (id, prediction, truth) triple.</summary>
    /// <param name="items">Images; ids must be unique and each pair must have equal sizes.</param>
    /// <param name="emptyPolicy">Empty/empty handling (default 1, Kaggle).</param>
    /// <exception cref="MetricException">No image, a duplicate id, or a size mismatch (the message names the id).</exception>
    public static SegmentationReport FromMasks(IEnumerable<(string Id, BinaryMask Prediction, BinaryMask Truth)> items,
        EmptyMaskPolicy emptyPolicy = EmptyMaskPolicy.One)
    {
        ArgumentNullException.ThrowIfNull(items);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var images = new List<SegmentationImageResult>();
        var dice = new MetricBuffer();
        var iou = new MetricBuffer();
        var precision = new MetricBuffer();
        var recall = new MetricBuffer();
        var f2 = new MetricBuffer();
        PixelCounts pooled = default;
        int bothEmpty = 0, falsePositive = 0, missed = 0;
        foreach (var (id, prediction, truth) in items)
        {
            ArgumentNullException.ThrowIfNull(id);
            if (!seen.Add(id))
            {
                throw new MetricException($"Duplicate image id '{id}'.", nameof(items), images.Count);
            }

            PixelCounts c;
            try
            {
                c = PixelCounts.Count(prediction, truth);
            }
            catch (MetricException e)
            {
                throw new MetricException($"Image '{id}': {e.Message}", nameof(items), images.Count, e);
            }

            pooled += c;
            var predEmpty = c.TruePositive + c.FalsePositive == 0;
            var truthEmpty = c.TruePositive + c.FalseNegative == 0;
            bothEmpty += predEmpty && truthEmpty ? 1 : 0;
            falsePositive += truthEmpty && !predEmpty ? 1 : 0;
            missed += !truthEmpty && predEmpty ? 1 : 0;
            var r = new SegmentationImageResult(id,
                SegmentationMetrics.Dice(c, emptyPolicy), SegmentationMetrics.IoU(c, emptyPolicy),
                SegmentationMetrics.Precision(c, emptyPolicy), SegmentationMetrics.Recall(c, emptyPolicy),
                SegmentationMetrics.Score(c, SegmentationScore.F2, emptyPolicy), c, predEmpty, truthEmpty);
            images.Add(r);
            dice.Add(r.Dice);
            iou.Add(r.IoU);
            precision.Add(r.Precision);
            recall.Add(r.Recall);
            f2.Add(r.F2);
        }

        if (images.Count == 0)
        {
            throw new MetricException("No images to score.", nameof(items));
        }

        return new SegmentationReport
        {
            EmptyPolicy = emptyPolicy,
            ImageCount = images.Count,
            ScoredImageCount = dice.NotNanCount,
            MeanDice = dice.Aggregate(MetricReduction.Mean),
            MedianDice = dice.Aggregate(MetricReduction.Median),
            MeanIoU = iou.Aggregate(MetricReduction.Mean),
            MeanPrecision = precision.Aggregate(MetricReduction.Mean),
            MeanRecall = recall.Aggregate(MetricReduction.Mean),
            MeanF2 = f2.Aggregate(MetricReduction.Mean),
            GlobalDice = SegmentationMetrics.Dice(pooled, emptyPolicy),
            BothEmptyCount = bothEmpty,
            FalsePositiveImageCount = falsePositive,
            MissedImageCount = missed,
            Images = images,
        };
    }

    /// <summary>The report as indented camelCase JSON (NaN written as the string "NaN").</summary>
    public string ToJson() => JsonSerializer.Serialize(this, ReportJson.Options);

    /// <summary>A text summary followed by the per-image table.</summary>
    /// <param name="maxImages">At most this many per-image rows are listed (default 50; the rest are counted).</param>
    public string ToText(int maxImages = 50)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"Segmentation report: {ImageCount} images, empty/empty policy {EmptyPolicy}, {ScoredImageCount} scored");
        sb.AppendLine(inv, $"mean Dice {ReportJson.F(MeanDice)}   median Dice {ReportJson.F(MedianDice)}   global Dice {ReportJson.F(GlobalDice)}");
        sb.AppendLine(inv, $"mean IoU {ReportJson.F(MeanIoU)}   precision {ReportJson.F(MeanPrecision)}   recall {ReportJson.F(MeanRecall)}   F2 {ReportJson.F(MeanF2)}");
        sb.AppendLine(inv, $"images: both empty {BothEmptyCount}, false-positive {FalsePositiveImageCount}, missed {MissedImageCount}");
        var w = Math.Max(8, Images.Take(maxImages).Select(i => i.Id.Length).DefaultIfEmpty(0).Max() + 2);
        sb.AppendLine(inv, $"{"id".PadRight(w)}{"dice",9}{"iou",9}{"prec",9}{"recall",9}{"tp",10}{"fp",10}{"fn",10}");
        foreach (var i in Images.Take(maxImages))
        {
            sb.AppendLine(inv, $"{i.Id.PadRight(w)}{ReportJson.F(i.Dice),9}{ReportJson.F(i.IoU),9}{ReportJson.F(i.Precision),9}{ReportJson.F(i.Recall),9}{i.Counts.TruePositive,10}{i.Counts.FalsePositive,10}{i.Counts.FalseNegative,10}");
        }

        if (Images.Count > maxImages)
        {
            sb.AppendLine(inv, $"... {Images.Count - maxImages} more images");
        }

        return sb.ToString();
    }
}
