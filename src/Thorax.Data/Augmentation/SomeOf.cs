using Thorax.Data.Datasets;

namespace Thorax.Data.Augmentation;

/// <summary>With probability <see cref="SampleTransform.Probability"/> (default 1), applies <see cref="Count"/> children
/// chosen with probability proportional to their own probabilities (without replacement unless <see cref="Replace"/>),
/// in the order drawn, each unconditionally (albumentations <c>SomeOf</c>).</summary>
public sealed class SomeOf : SampleTransform
{
    /// <summary>Creates the container with p = 1.</summary>
    /// <param name="count">How many children to apply (&gt;= 0; at most the number of children without replacement).</param>
    /// <param name="transforms">The children.</param>
    public SomeOf(int count, params SampleTransform[] transforms)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Count = count;
        Transforms = transforms;
    }

    /// <summary>Children applied per call.</summary>
    public int Count { get; }

    /// <summary>Draw with replacement; default false.</summary>
    public bool Replace { get; init; }

    /// <summary>The children.</summary>
    public IReadOnlyList<SampleTransform> Transforms { get; }

    /// <inheritdoc />
    public override Sample ApplyForced(Sample sample, Random random)
    {
        var pool = Transforms.Where(t => t.Probability > 0).ToList();
        int n = Replace ? Count : Math.Min(Count, pool.Count);
        for (int k = 0; k < n && pool.Count > 0; k++)
        {
            double total = pool.Sum(t => t.Probability), u = random.NextDouble() * total, acc = 0;
            int pick = pool.Count - 1;
            for (int i = 0; i < pool.Count; i++)
            {
                acc += pool[i].Probability;
                if (u < acc) { pick = i; break; }
            }
            sample = pool[pick].ApplyForced(sample, random);
            if (!Replace) pool.RemoveAt(pick);
        }
        return sample;
    }
}
