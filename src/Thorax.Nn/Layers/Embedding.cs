namespace Thorax.Nn;

/// <summary>
/// A lookup table: int64 indices (*) → vectors (*, embedding_dim). Parameter <c>weight</c>
/// (num_embeddings, embedding_dim) initialised N(0, 1); the <c>padding_idx</c> row starts at zero and gets no gradient.
/// </summary>
/// <remarks>PyTorch: <c>torch.nn.Embedding</c>.</remarks>
public sealed class Embedding : Module<Tensor, Tensor>
{
    /// <summary>Creates the table.</summary>
    /// <param name="numEmbeddings">Vocabulary size.</param>
    /// <param name="embeddingDim">Vector size.</param>
    /// <param name="paddingIdx">Optional padding index (negative counts from the end).</param>
    /// <param name="dtype">Weight dtype.</param>
    /// <param name="generator">Optional seeded generator for the initial weights.</param>
    public Embedding(long numEmbeddings, long embeddingDim, long? paddingIdx = null, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (paddingIdx is { } p)
        {
            if (p >= numEmbeddings || p < -numEmbeddings)
                throw new ArgumentOutOfRangeException(nameof(paddingIdx), p, $"padding_idx must be within num_embeddings ({numEmbeddings})");
            PaddingIdx = p < 0 ? p + numEmbeddings : p;
        }
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        var w = Torch.Empty(new[] { numEmbeddings, embeddingDim }, dtype);
        Init.Normal_(w, 0, 1, generator);
        if (PaddingIdx is { } pi)
        {
            using (Torch.NoGrad())
            using (var row = w.Select(0, pi)) row.Zero_();
        }
        RegisterParameter("weight", w);
    }

    /// <summary>Vocabulary size.</summary>
    public long NumEmbeddings { get; }

    /// <summary>Vector size.</summary>
    public long EmbeddingDim { get; }

    /// <summary>The non-negative padding index, or null.</summary>
    public long? PaddingIdx { get; }

    /// <summary>The table, (num_embeddings, embedding_dim).</summary>
    public Tensor Weight => GetParameter("weight")!;

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Embedding(input, Weight, PaddingIdx ?? -1);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{NumEmbeddings}, {EmbeddingDim}" + (PaddingIdx is { } p ? $", padding_idx={p}" : "");
}
