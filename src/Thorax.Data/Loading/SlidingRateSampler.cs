namespace Thorax.Data.Loading;

/// <summary>
/// The SIIM first-place "sliding sample rate" sampler (sneddy <c>PneumoSampler</c>): each epoch uses all positives
/// plus <c>n_neg = int(n_pos * (1 - p) / p)</c> negatives drawn with replacement, then a random permutation; the
/// share of positives <c>p</c> follows a schedule over epochs (e.g. 0.8 → 0.6 → 0.4).
/// </summary>
public sealed class SlidingRateSampler : ISampler
{
    private readonly int[] _positives, _negatives;

    /// <summary>Creates the sampler.</summary>
    /// <param name="positive">Per dataset index: true for a non-empty mask.</param>
    /// <param name="schedule">Positive share p in (0, 1] for each 0-based epoch.</param>
    /// <exception cref="ArgumentException">No positives, or negatives needed but none exist.</exception>
    public SlidingRateSampler(IReadOnlyList<bool> positive, Func<int, double> schedule)
    {
        ArgumentNullException.ThrowIfNull(positive);
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        _positives = Enumerable.Range(0, positive.Count).Where(i => positive[i]).ToArray();
        _negatives = Enumerable.Range(0, positive.Count).Where(i => !positive[i]).ToArray();
        if (_positives.Length == 0) throw new ArgumentException("the sliding-rate sampler needs at least one positive sample", nameof(positive));
    }

    /// <summary>A step schedule: <paramref name="rates"/>[k] holds from epoch <paramref name="startEpochs"/>[k]
    /// (ascending, first 0) until the next start.</summary>
    /// <example><c>SlidingRateSampler.Steps([0, 10, 20], [0.8, 0.6, 0.4])</c>.</example>
    public static Func<int, double> Steps(IReadOnlyList<int> startEpochs, IReadOnlyList<double> rates)
    {
        if (startEpochs.Count == 0 || startEpochs.Count != rates.Count || startEpochs[0] != 0)
            throw new ArgumentException("need matching, non-empty lists with the first start epoch 0");
        for (int i = 1; i < startEpochs.Count; i++)
            if (startEpochs[i] <= startEpochs[i - 1]) throw new ArgumentException("start epochs must be strictly ascending");
        var starts = startEpochs.ToArray();
        var values = rates.ToArray();
        return epoch =>
        {
            int k = Array.BinarySearch(starts, epoch);
            return values[k >= 0 ? k : Math.Max(0, ~k - 1)];
        };
    }

    /// <summary>A linear schedule from <paramref name="from"/> at epoch 0 to <paramref name="to"/> at
    /// <paramref name="epochs"/> - 1, constant afterwards.</summary>
    public static Func<int, double> Linear(double from, double to, int epochs) =>
        epoch => epochs <= 1 ? to : from + (to - from) * Math.Clamp(epoch / (double)(epochs - 1), 0, 1);

    /// <summary>Positive share per epoch.</summary>
    public Func<int, double> Schedule { get; }

    /// <summary>Number of positives.</summary>
    public int PositiveCount => _positives.Length;

    /// <summary>Number of negatives drawn in <paramref name="epoch"/>: int(n_pos * (1 - p) / p).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The schedule returned p outside (0, 1].</exception>
    public int NegativeCount(int epoch)
    {
        double p = Schedule(epoch);
        if (!(p > 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(epoch), p, $"positive share for epoch {epoch} must be in (0, 1]");
        return (int)(_positives.Length * (1 - p) / p);
    }

    /// <inheritdoc />
    public int[] Indices(int epoch, ulong seed)
    {
        int nNeg = NegativeCount(epoch);
        if (nNeg > 0 && _negatives.Length == 0) throw new ArgumentException($"epoch {epoch} needs {nNeg} negatives but the dataset has none");
        var rng = SeedSequence.CreateRandom(seed);
        var result = new int[_positives.Length + nNeg];
        _positives.CopyTo(result, 0);
        for (int k = 0; k < nNeg; k++) result[_positives.Length + k] = _negatives[rng.Next(_negatives.Length)];
        rng.Shuffle(result);
        return result;
    }
}
