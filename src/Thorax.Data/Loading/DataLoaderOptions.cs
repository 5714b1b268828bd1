using Thorax.Data.Augmentation;

namespace Thorax.Data.Loading;

/// <summary>Options of <see cref="DataLoader"/> (PyTorch: the <c>DataLoader</c> arguments).</summary>
public sealed record DataLoaderOptions
{
    /// <summary>Defaults: batch 1, sequential order, no workers, prefetch 2 per worker, keep the last partial batch.</summary>
    public static DataLoaderOptions Default { get; } = new();

    /// <summary>Samples per batch (&gt;= 1); default 1.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>Random permutation each epoch (ignored when <see cref="Sampler"/> is set); default false.</summary>
    public bool Shuffle { get; init; }

    /// <summary>Index sampler; null (default) = sequential, or random when <see cref="Shuffle"/>.</summary>
    public ISampler? Sampler { get; init; }

    /// <summary>Drop the last batch when it is smaller than <see cref="BatchSize"/>; default false.</summary>
    public bool DropLast { get; init; }

    /// <summary>Worker threads that load, augment and collate batches ahead; 0 (default) = on the consumer's thread.</summary>
    public int NumWorkers { get; init; }

    /// <summary>Batches in flight or ready ahead of the consumer, per worker (PyTorch <c>prefetch_factor</c>); default 2.</summary>
    public int PrefetchFactor { get; init; } = 2;

    /// <summary>Base seed: epoch seeds are derived from it, sample seeds from (epoch seed, position); default 0.</summary>
    public ulong Seed { get; init; }

    /// <summary>Applied to every sample with its own seeded <see cref="Random"/>; null (default) = none.</summary>
    public SampleTransform? Transform { get; init; }

    /// <summary>Keep the (transformed) samples on the batch (<see cref="Batch.Samples"/>); default false.</summary>
    public bool KeepSamples { get; init; }

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">BatchSize &lt; 1, NumWorkers &lt; 0 or PrefetchFactor &lt; 1.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegative(NumWorkers, nameof(NumWorkers));
        ArgumentOutOfRangeException.ThrowIfLessThan(PrefetchFactor, 1, nameof(PrefetchFactor));
    }
}
