namespace Thorax.Metrics;

/// <summary>
/// What an overlap score (Dice, IoU, precision, recall, F-beta) is when both the prediction and the ground truth
/// are empty, i.e. when the score is 0/0.
/// </summary>
/// <remarks>
/// The default, <see cref="One"/>, is the Kaggle SIIM-ACR rule ("the Dice coefficient is defined to be 1 when both
/// X and Y are empty"). MONAI's <c>DiceMetric(ignore_empty=True)</c> corresponds to <see cref="NaN"/>.
/// A prediction that is empty while the truth is not (or the reverse) always scores 0, whatever the policy.
/// </remarks>
public enum EmptyMaskPolicy
{
    /// <summary>Empty/empty scores 1 (Kaggle SIIM scoring; default).</summary>
    One,

    /// <summary>
    /// Empty/empty scores NaN. Functional forms return NaN; cumulative metrics record the NaN and leave it out of
    /// the reduction (it is counted in <see cref="CumulativeMetric.Count"/> but not in
    /// <see cref="CumulativeMetric.NotNanCount"/>).
    /// </summary>
    NaN,

    /// <summary>
    /// Empty/empty pairs are not scored at all: functional forms return NaN, cumulative metrics and reports do not
    /// record the pair (it is absent from <see cref="CumulativeMetric.Values"/> and <see cref="CumulativeMetric.Count"/>).
    /// </summary>
    Skip,
}
