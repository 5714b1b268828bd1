namespace Thorax.Data.Loading;

/// <summary>0, 1, ..., n-1 every epoch (PyTorch: <c>SequentialSampler</c>).</summary>
/// <param name="count">Dataset size.</param>
public sealed class SequentialSampler(int count) : ISampler
{
    /// <summary>Dataset size.</summary>
    public int Count { get; } = count >= 0 ? count : throw new ArgumentOutOfRangeException(nameof(count));

    /// <inheritdoc />
    public int[] Indices(int epoch, ulong seed) => Enumerable.Range(0, Count).ToArray();
}
