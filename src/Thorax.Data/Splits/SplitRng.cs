namespace Thorax.Data.Splits;

/// <summary>SplitMix64: a tiny, platform-independent generator, so a seed gives the same split everywhere
/// and across .NET versions (System.Random's algorithm is an implementation detail).</summary>
internal struct SplitRng(ulong seed)
{
    private ulong _state = seed;

    public ulong NextULong()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [0, n) without modulo bias.</summary>
    public int NextInt(int n)
    {
        ulong bound = (ulong)n;
        ulong limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong v;
        do v = NextULong(); while (v >= limit);
        return (int)(v % bound);
    }

    /// <summary>Fisher-Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Derives an independent stream for sub-task <paramref name="index"/>.</summary>
    public static SplitRng Derive(ulong seed, ulong index)
    {
        var r = new SplitRng(seed ^ (0xD1B54A32D192ED03UL * (index + 1)));
        r.NextULong();
        return r;
    }
}
