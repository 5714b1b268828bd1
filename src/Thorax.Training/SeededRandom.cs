using System.Globalization;

namespace Thorax.Training;

/// <summary>
/// A small, fast, seedable random number generator whose complete state can be read and restored, for the host-side
/// decisions of a training loop (shuffling, which augmentation to apply, sample weighting). Use it instead of
/// <see cref="Random"/>, whose state cannot be saved, so that a run resumed from a <see cref="TrainingCheckpoint"/>
/// draws exactly the numbers the uninterrupted run would have drawn.
/// </summary>
/// <remarks>
/// Algorithm: xoshiro256** 1.0 (Blackman and Vigna), 256 bits of state, period 2^256 − 1; a 64-bit seed is expanded
/// into the state with SplitMix64, as the authors recommend. Bounded integers use Lemire's unbiased
/// multiply-and-reject method; doubles take the top 53 bits. Not cryptographically secure; not thread-safe.
/// </remarks>
public sealed class SeededRandom
{
    /// <summary>Number of 64-bit words in <see cref="GetState"/>.</summary>
    public const int StateWords = 4;

    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates a generator whose state is expanded from <paramref name="seed"/> with SplitMix64.</summary>
    /// <param name="seed">Any 64-bit value; equal seeds give equal sequences on every platform.</param>
    public SeededRandom(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>Creates a generator from a signed seed (its two's-complement bits are used).</summary>
    public SeededRandom(long seed) : this(unchecked((ulong)seed)) { }

    /// <summary>
    /// One step of SplitMix64: advances <paramref name="state"/> by the golden-gamma constant and returns the mixed
    /// output. Exposed for deriving independent seeds (e.g. one per worker) from one master seed.
    /// </summary>
    public static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 uniformly distributed bits.</summary>
    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>), without modulo bias.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxExclusive"/> is not positive.</exception>
    public int Next(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive), maxExclusive, "the upper bound must be positive");
        return (int)NextBounded((ulong)maxExclusive);
    }

    /// <summary>A uniform integer in [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is empty.</exception>
    public long Next(long minInclusive, long maxExclusive)
    {
        if (maxExclusive <= minInclusive)
            throw new ArgumentOutOfRangeException(nameof(maxExclusive), maxExclusive, $"the range [{minInclusive}, {maxExclusive}) is empty");
        return minInclusive + (long)NextBounded(unchecked((ulong)(maxExclusive - minInclusive)));
    }

    // Lemire (2019), "Fast random integer generation in an interval", with the 128-bit product.
    private ulong NextBounded(ulong range)
    {
        var hi = Math.BigMul(NextUInt64(), range, out var lo);
        if (lo < range)
        {
            var threshold = unchecked(0UL - range) % range;
            while (lo < threshold) hi = Math.BigMul(NextUInt64(), range, out lo);
        }
        return hi;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>True with probability <paramref name="p"/> (e.g. "flip this image?"); consumes one draw.</summary>
    /// <param name="p">Probability in [0, 1].</param>
    public bool NextBool(double p = 0.5)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "probability must be in [0, 1]");
        return NextDouble() < p;
    }

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates from the end, one bounded draw per position).</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = (int)NextBounded((ulong)(i + 1));
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A random permutation of 0 … <paramref name="n"/> − 1 (the shuffled sample order of one epoch).</summary>
    public int[] Permutation(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var p = new int[n];
        for (var i = 0; i < n; i++) p[i] = i;
        Shuffle(p.AsSpan());
        return p;
    }

    /// <summary>The full state: <see cref="StateWords"/> words; pass it to <see cref="SetState"/> to continue from here.</summary>
    public ulong[] GetState() => new[] { _s0, _s1, _s2, _s3 };

    /// <summary>Restores a state from <see cref="GetState"/>.</summary>
    /// <exception cref="ArgumentException">Not exactly <see cref="StateWords"/> words, or all zero (a fixed point of xoshiro).</exception>
    public void SetState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != StateWords) throw new ArgumentException($"a SeededRandom state has {StateWords} words, got {state.Length}", nameof(state));
        if ((state[0] | state[1] | state[2] | state[3]) == 0) throw new ArgumentException("the all-zero state is invalid for xoshiro256**", nameof(state));
        _s0 = state[0];
        _s1 = state[1];
        _s2 = state[2];
        _s3 = state[3];
    }

    /// <summary>The state as four 16-digit lowercase hex words joined by <c>-</c> (the checkpoint JSON form).</summary>
    public string GetStateString() => string.Join("-", GetState().Select(w => w.ToString("x16", CultureInfo.InvariantCulture)));

    /// <summary>Restores a state written by <see cref="GetStateString"/>.</summary>
    /// <exception cref="FormatException">Not four hex words separated by <c>-</c>.</exception>
    /// <exception cref="ArgumentException">The all-zero state.</exception>
    public void SetStateString(string state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var parts = state.Split('-');
        if (parts.Length != StateWords) throw new FormatException($"expected {StateWords} hex words separated by '-', got '{state}'");
        var words = new ulong[StateWords];
        for (var i = 0; i < StateWords; i++)
            if (parts[i].Length is 0 or > 16 || !ulong.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out words[i]))
                throw new FormatException($"word {i} of '{state}' is not a hexadecimal 64-bit number");
        SetState(words);
    }
}
