namespace Thorax.Data.Datasets;

/// <summary>A view of another dataset restricted to some indices (PyTorch: <c>torch.utils.data.Subset</c>).</summary>
public sealed class SubsetDataset : IDataset
{
    private readonly int[] _indices;

    /// <summary>Wraps <paramref name="inner"/>; index i of the subset is <c>inner[indices[i]]</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the inner dataset.</exception>
    public SubsetDataset(IDataset inner, IEnumerable<int> indices)
    {
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _indices = indices.ToArray();
        foreach (int i in _indices)
            if ((uint)i >= (uint)inner.Count) throw new ArgumentOutOfRangeException(nameof(indices), i, $"index outside 0..{inner.Count - 1}");
    }

    /// <summary>Keeps the samples whose id is in <paramref name="ids"/> (e.g. <c>DataSplit.IdsOf("train")</c>), in dataset order.</summary>
    public static SubsetDataset WithIds(IDataset inner, IEnumerable<string> ids)
    {
        var set = ids.ToHashSet(StringComparer.Ordinal);
        return new SubsetDataset(inner, Enumerable.Range(0, inner.Count).Where(i => set.Contains(inner.IdOf(i))));
    }

    /// <summary>The wrapped dataset.</summary>
    public IDataset Inner { get; }

    /// <summary>Inner indices, in subset order.</summary>
    public IReadOnlyList<int> Indices => _indices;

    /// <inheritdoc />
    public int Count => _indices.Length;

    /// <inheritdoc />
    public IReadOnlyList<string> LabelNames => Inner.LabelNames;

    /// <inheritdoc />
    public string IdOf(int index) => Inner.IdOf(_indices[index]);

    /// <inheritdoc />
    public float[] LabelsOf(int index) => Inner.LabelsOf(_indices[index]);

    /// <inheritdoc />
    public Sample Get(int index) => Inner.Get(_indices[index]);
}
