namespace Thorax.Data.Loading;

/// <summary>A seeded random permutation of 0..n-1 each epoch (PyTorch: <c>RandomSampler</c> without replacement).</summary>
/// <param name="count">Dataset size.</param>
public sealed class RandomSampler(int count) : ISampler
{
    /// <summary>Dataset size.</summary>
    public int Count { get; } = count >= 0 ? count : throw new ArgumentOutOfRangeException(nameof(count));

    /// <inheritdoc />
    public int[] Indices(int epoch, ulong seed)
    {
        var idx = Enumerable.Range(0, Count).ToArray();
        SeedSequence.CreateRandom(seed).Shuffle(idx);
        return idx;
    }
}
