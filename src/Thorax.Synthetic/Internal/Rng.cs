namespace Thorax.Synthetic.Internal;

/// <summary>Small deterministic generator (SplitMix64). Platform- and runtime-independent, so the same
/// seed gives the same stream everywhere (System.Random's algorithm is not a documented contract).</summary>
internal struct Rng
{
    private ulong _state;

    public Rng(ulong seed) => _state = seed;

    /// <summary>Derives an independent stream for (seed, stream, index) by hashing the three values.</summary>
    public static Rng For(long seed, ulong stream, long index)
    {
        ulong h = Mix((ulong)seed ^ 0x9E3779B97F4A7C15UL);
        h = Mix(h ^ (stream * 0xBF58476D1CE4E5B9UL));
        h = Mix(h ^ ((ulong)index * 0x94D049BB133111EBUL));
        return new Rng(h);
    }

    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextULong()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [lo, hi).</summary>
    public float Range(double lo, double hi) => (float)(lo + (hi - lo) * NextDouble());

    /// <summary>Uniform integer in [0, n).</summary>
    public int Next(int n) => (int)((NextULong() >> 33) % (ulong)n);

    public bool Chance(double p) => NextDouble() < p;

    /// <summary>Standard normal (Box-Muller).</summary>
    public double Normal()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    public float Normal(double mean, double sd) => (float)(mean + sd * Normal());
}
