namespace Thorax.Data.Loading;

/// <summary>
/// Draws <see cref="NumSamples"/> indices with probability proportional to <see cref="Weights"/> (PyTorch:
/// <c>WeightedRandomSampler(weights, num_samples, replacement=True)</c>). Without replacement each index appears at
/// most once (weighted sampling by exponential keys, Efraimidis-Spirakis).
/// </summary>
/// <remarks>The streams differ from torch.multinomial's; the distribution is the same.</remarks>
public sealed class WeightedRandomSampler : ISampler
{
    private readonly double[] _cumulative;

    /// <summary>Creates the sampler.</summary>
    /// <param name="weights">Non-negative, finite weights, not all zero (need not sum to 1).</param>
    /// <param name="numSamples">Indices per epoch (&gt;= 0; at most the number of positive weights without replacement).</param>
    /// <param name="replacement">Sample with replacement (default true, as torch).</param>
    /// <exception cref="ArgumentException">A negative or non-finite weight, all zero, or too many samples without replacement.</exception>
    public WeightedRandomSampler(IReadOnlyList<double> weights, int numSamples, bool replacement = true)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentOutOfRangeException.ThrowIfNegative(numSamples);
        Weights = weights.ToArray();
        _cumulative = new double[Weights.Count];
        double sum = 0;
        for (int i = 0; i < Weights.Count; i++)
        {
            double w = Weights[i];
            if (!double.IsFinite(w) || w < 0) throw new ArgumentException($"weight {i} is {w}; weights must be finite and >= 0", nameof(weights));
            sum += w;
            _cumulative[i] = sum;
        }
        if (!(sum > 0)) throw new ArgumentException("weights must not all be zero", nameof(weights));
        if (!replacement && numSamples > Weights.Count(w => w > 0))
            throw new ArgumentException($"cannot draw {numSamples} samples without replacement from {Weights.Count(w => w > 0)} positive weights", nameof(numSamples));
        NumSamples = numSamples;
        Replacement = replacement;
    }

    /// <summary>The weights.</summary>
    public IReadOnlyList<double> Weights { get; }

    /// <summary>Indices per epoch.</summary>
    public int NumSamples { get; }

    /// <summary>With replacement.</summary>
    public bool Replacement { get; }

    /// <inheritdoc />
    public int[] Indices(int epoch, ulong seed)
    {
        var rng = SeedSequence.CreateRandom(seed);
        var result = new int[NumSamples];
        if (Replacement)
        {
            double total = _cumulative[^1];
            for (int k = 0; k < NumSamples; k++)
            {
                double u = rng.NextDouble() * total;
                int i = Array.BinarySearch(_cumulative, u);
                i = i < 0 ? ~i : i + 1; // first cumulative strictly greater than u
                while (i < _cumulative.Length - 1 && Weights[i] == 0) i++;
                result[k] = Math.Min(i, _cumulative.Length - 1);
            }
            return result;
        }
        // Keys log(u)/w: the NumSamples largest keys are a weighted sample without replacement.
        var keys = new (double Key, int Index)[Weights.Count];
        for (int i = 0; i < keys.Length; i++)
        {
            double u = rng.NextDouble();
            keys[i] = (Weights[i] > 0 ? Math.Log(1 - u) / Weights[i] : double.NegativeInfinity, i);
        }
        Array.Sort(keys, (a, b) => b.Key.CompareTo(a.Key));
        for (int k = 0; k < NumSamples; k++) result[k] = keys[k].Index;
        return result;
    }
}
