namespace Thorax.Metrics;

/// <summary>Which definition of a distribution-based saliency metric to use.</summary>
public enum SaliencyVariant
{
    /// <summary>
    /// MIT saliency benchmark (cvzoya/saliency, MATLAB): KL = Σ g·log(ε + g/(s + ε)) with ε = 2.220446e-16 after
    /// normalising both maps to sum 1; SIM min-max normalises each map to [0, 1], then to sum 1, then Σ min.
    /// </summary>
    Mit,

    /// <summary>
    /// The joint-diagnosis paper's code (CXRGazeLearn <c>hzhu_metrics_saliency.py</c>): both maps normalised to sum
    /// 1; KL = Σ q·(log q − log p) with 0·log 0 = 0 and no ε (+∞ where p = 0 &lt; q), i.e.
    /// <c>F.kl_div(log p, q, reduction="batchmean")</c> on one image; SIM (their "HS") = Σ min(p, q) without
    /// min-max normalisation.
    /// </summary>
    PaperCode,
}
