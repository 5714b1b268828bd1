using Thorax.Data.Datasets;
using Thorax.Imaging;
using Thorax.Metrics;

namespace Thorax.Pipelines.Pneumothorax;

/// <summary>The cascade's result on one real image of the <c>real-ptx</c> set.</summary>
/// <param name="Id">Image id (SIIM ImageId or NIH file stem).</param>
/// <param name="Source">siim or nih.</param>
/// <param name="Label">1 = pneumothorax by the source's label.</param>
/// <param name="Prediction">The cascade's output at the image's own resolution.</param>
/// <param name="TruthPixels">Pixels of the reference mask (null: label only, no mask).</param>
/// <param name="Dice">Dice against the reference mask (empty/empty = 1, Kaggle's rule); null without a mask.</param>
/// <param name="Reference">What the reference is (RLE union mask, box-derived mask, or label only), from the set's provenance.</param>
public sealed record PtxRealResult(string Id, string Source, int Label, PtxPrediction Prediction, int? TruthPixels, double? Dice, string Reference);

/// <summary>
/// The cascade on the real pneumothorax images of <c>../shared/data</c> (<see cref="RealPneumothoraxSet"/>): the three
/// SIIM-ACR DICOMs, scored by Dice against their RLE union masks, and the NIH ChestX-ray14 image labelled Pneumothorax,
/// which has no mask in the shared data (no Pneumothorax box in <c>BBox_List_2017.csv.gz</c> for it), so only the
/// decision is compared with its label; were a box there, the set would give a box-derived mask and its Dice would be
/// only indicative (a box covers far more than the lesion).
/// </summary>
public static class PtxRealImages
{
    /// <summary>Runs <paramref name="cascade"/> on every item of <paramref name="set"/> at full resolution.</summary>
    public static IReadOnlyList<PtxRealResult> Run(PtxCascade cascade, RealPneumothoraxSet set, PtxPostprocessOptions options, bool flipTta = true)
    {
        ArgumentNullException.ThrowIfNull(cascade);
        ArgumentNullException.ThrowIfNull(set);
        var results = new List<PtxRealResult>();
        foreach (var item in set.Items)
        {
            // The set's images are the sources decoded by Thorax's readers (DICOM presentation pipeline) at 8 bits.
            var unit = new Image<float>(item.Image.Width, item.Image.Height, 1, item.Image.Data.Select(v => v / 255f).ToArray());
            var p = cascade.Predict([(item.Id, unit)], options, flipTta)[0];
            double? dice = null;
            if (item.Mask is { } m)
            {
                if (m.Width != p.Width || m.Height != p.Height)
                    throw new InvalidOperationException($"{item.SourceFile}: reference mask {m.Width}x{m.Height} but image {p.Width}x{p.Height}");
                dice = SegmentationMetrics.Dice(p.Mask, m.Data);
            }
            var reference = item.Mask is null ? "label only: " + item.Provenance
                : item.Source == "nih" ? "box-derived mask (Dice only indicative): " + item.Provenance : "RLE union mask: " + item.Provenance;
            results.Add(new PtxRealResult(item.Id, item.Source, item.Label, p, item.MaskPixels, dice, reference));
        }
        return results;
    }
}
