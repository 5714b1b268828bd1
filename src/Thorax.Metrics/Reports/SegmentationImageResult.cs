namespace Thorax.Metrics;

/// <summary>Overlap scores of one image in a <see cref="SegmentationReport"/>.</summary>
/// <param name="Id">Image id as supplied.</param>
/// <param name="Dice">Dice in [0, 1]; empty/empty per the report's policy (1, or NaN for NaN/Skip).</param>
/// <param name="IoU">IoU in [0, 1], same empty handling.</param>
/// <param name="Precision">Pixel precision in [0, 1].</param>
/// <param name="Recall">Pixel recall in [0, 1].</param>
/// <param name="F2">F2 in [0, 1].</param>
/// <param name="Counts">Pixel confusion counts.</param>
/// <param name="PredictionEmpty">The prediction has no foreground pixel.</param>
/// <param name="TruthEmpty">The ground truth has no foreground pixel.</param>
public sealed record SegmentationImageResult(string Id, double Dice, double IoU, double Precision, double Recall,
    double F2, PixelCounts Counts, bool PredictionEmpty, bool TruthEmpty);
