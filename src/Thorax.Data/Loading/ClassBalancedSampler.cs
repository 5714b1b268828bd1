namespace Thorax.Data.Loading;

/// <summary>
/// Class-balanced sampling with replacement: every class gets the same expected share of each epoch (weight of a
/// sample = 1 / size of its class), built on <see cref="WeightedRandomSampler"/>.
/// </summary>
public sealed class ClassBalancedSampler : ISampler
{
    private readonly WeightedRandomSampler _inner;

    /// <summary>Creates the sampler.</summary>
    /// <param name="classes">Class of each dataset index (any integers; a negative class excludes the sample).</param>
    /// <param name="numSamples">Indices per epoch; null = the dataset size.</param>
    /// <exception cref="ArgumentException">No sample has a non-negative class.</exception>
    public ClassBalancedSampler(IReadOnlyList<int> classes, int? numSamples = null)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var counts = classes.Where(c => c >= 0).GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count());
        if (counts.Count == 0) throw new ArgumentException("no sample has a class (all negative or empty)", nameof(classes));
        ClassCounts = counts;
        var weights = classes.Select(c => c >= 0 ? 1.0 / counts[c] : 0.0).ToArray();
        _inner = new WeightedRandomSampler(weights, numSamples ?? classes.Count);
    }

    /// <summary>Samples per class.</summary>
    public IReadOnlyDictionary<int, int> ClassCounts { get; }

    /// <summary>Per-sample weights (1 / class size).</summary>
    public IReadOnlyList<double> Weights => _inner.Weights;

    /// <inheritdoc />
    public int[] Indices(int epoch, ulong seed) => _inner.Indices(epoch, seed);
}
