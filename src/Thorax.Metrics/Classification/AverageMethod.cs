namespace Thorax.Metrics;

/// <summary>How precision, recall and F-beta are averaged over classes (sklearn's <c>average=</c>).</summary>
public enum AverageMethod
{
    /// <summary>Only the positive class (index 1) of a 2-class problem is reported (sklearn <c>average="binary"</c>).</summary>
    Binary,

    /// <summary>
    /// Unweighted mean over the classes present in the true or the predicted labels (sklearn's default label set
    /// <c>unique_labels(y_true, y_pred)</c>; a class in neither is left out).
    /// </summary>
    Macro,

    /// <summary>Mean over classes weighted by support (true count); classes with no true sample weigh 0.</summary>
    Weighted,

    /// <summary>Global counts over all classes; for single-label multiclass, precision = recall = F = accuracy.</summary>
    Micro,
}
