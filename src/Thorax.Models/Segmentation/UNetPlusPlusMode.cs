namespace Thorax.Models.Segmentation;

/// <summary>How <see cref="UNetPlusPlus"/> turns its deep-supervision heads into one output (Zhou et al. 2018, §3).</summary>
public enum UNetPlusPlusMode
{
    /// <summary>
    /// The mean of the logits of every head X^{0,1}..X^{0,L−1} (with deep supervision), or the single head on
    /// X^{0,L−1} (without). The full network runs.
    /// </summary>
    Accurate = 0,

    /// <summary>
    /// Only head <see cref="UNetPlusPlus.FastHead"/> = k; the network is pruned to the nodes X^{i,j} with i + j ≤ k,
    /// so levels below k are never computed.
    /// </summary>
    Fast = 1,
}
