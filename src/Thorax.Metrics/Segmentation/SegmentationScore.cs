namespace Thorax.Metrics;

/// <summary>Overlap scores of a binary prediction against a binary ground truth, all in [0, 1].</summary>
public enum SegmentationScore
{
    /// <summary>Dice = 2TP / (2TP + FP + FN) (equal to F1).</summary>
    Dice,

    /// <summary>IoU (Jaccard) = TP / (TP + FP + FN).</summary>
    IoU,

    /// <summary>Precision = TP / (TP + FP).</summary>
    Precision,

    /// <summary>Recall (sensitivity) = TP / (TP + FN).</summary>
    Recall,

    /// <summary>F1 = Dice.</summary>
    F1,

    /// <summary>F2 = 5TP / (5TP + 4FN + FP) (recall-weighted F-beta with beta = 2).</summary>
    F2,
}
