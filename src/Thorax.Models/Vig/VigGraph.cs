namespace Thorax.Models.Vig;

/// <summary>
/// One KNN graph a ViG block built on one batch: for each query node (row-major on the node grid
/// <see cref="Height"/> x <see cref="Width"/>) its <see cref="K"/> neighbours, as indices into the key nodes (row-major on
/// the key grid <see cref="KeyHeight"/> x <see cref="KeyWidth"/>: the node grid average-pooled by the block's reduce
/// ratio, or the nodes themselves).
/// </summary>
/// <param name="Stage">Pyramid stage (0..3).</param>
/// <param name="Block">Block index over all stages (its dilation is <c>Block // 4 + 1</c> in the reference).</param>
/// <param name="Height">Node grid rows.</param>
/// <param name="Width">Node grid columns.</param>
/// <param name="KeyHeight">Key grid rows.</param>
/// <param name="KeyWidth">Key grid columns.</param>
/// <param name="K">Neighbours kept per node.</param>
/// <param name="Dilation">KNN dilation.</param>
/// <param name="Batch">Samples in the batch.</param>
/// <param name="Indices">[Batch, Height·Width, K] row-major.</param>
public sealed record VigGraph(int Stage, int Block, int Height, int Width, int KeyHeight, int KeyWidth, int K, int Dilation, int Batch, long[] Indices)
{
    /// <summary>Query nodes per sample.</summary>
    public int Nodes => Height * Width;

    /// <summary>The neighbours of sample <paramref name="sample"/>, [Nodes, K] row-major.</summary>
    public ReadOnlySpan<long> Of(int sample) => Indices.AsSpan(sample * Nodes * K, Nodes * K);

    /// <summary>The K neighbours of one query node of one sample.</summary>
    public ReadOnlySpan<long> Of(int sample, int node) => Indices.AsSpan((sample * Nodes + node) * K, K);
}
