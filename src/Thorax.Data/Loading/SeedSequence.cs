namespace Thorax.Data.Loading;

/// <summary>Seed derivation (SplitMix64) so that every epoch and every sample position gets its own independent,
/// reproducible stream, whatever the number of workers.</summary>
public static class SeedSequence
{
    /// <summary>SplitMix64 finaliser of <paramref name="x"/>.</summary>
    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    /// <summary>Seed of epoch <paramref name="epoch"/> for base seed <paramref name="seed"/>.</summary>
    public static ulong Epoch(ulong seed, int epoch) => Mix(Mix(seed) ^ (ulong)(uint)epoch);

    /// <summary>Seed of the sample at <paramref name="position"/> in an epoch's order.</summary>
    public static ulong Sample(ulong epochSeed, long position) => Mix(epochSeed ^ Mix((ulong)position + 0x5851F42D4C957F2DUL));

    /// <summary>A <see cref="Random"/> seeded from a derived 64-bit seed (System.Random's seeded algorithm is fixed across platforms).</summary>
    public static Random CreateRandom(ulong seed) => new((int)(seed & 0x7FFFFFFF));
}
