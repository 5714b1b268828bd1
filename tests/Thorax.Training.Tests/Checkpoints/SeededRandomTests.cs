using System.Globalization;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;


namespace Thorax.Training.Tests.Checkpoints;

/// <summary>SeededRandom against reference outputs of SplitMix64 / xoshiro256** (tools/golden/swa/make_swa_golden.py).</summary>
public class SeededRandomTests
{
    private static JsonElement Golden() => JsonDocument.Parse(File.ReadAllBytes(Support.TestData.Golden("swa/seeded_random.json"))).RootElement;

    private static ulong Hex(JsonElement e) => ulong.Parse(e.GetString()!, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    [Fact]
    public void SplitMix64_Seed0_MatchesPublishedFirstOutputs()
    {
        ulong s = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, SeededRandom.SplitMix64(ref s));
        var rest = Golden().GetProperty("splitmix64_seed0").EnumerateArray().Skip(1).Select(Hex).ToArray();
        Assert.Equal(rest, new[] { SeededRandom.SplitMix64(ref s), SeededRandom.SplitMix64(ref s), SeededRandom.SplitMix64(ref s) });
    }

    [Theory]
    [InlineData("0", 0UL)]
    [InlineData("42", 42UL)]
    [InlineData("16045690984503098046", 0xDEADBEEFCAFEBABEUL)]
    public void Outputs_MatchReferenceImplementation(string key, ulong seed)
    {
        var g = Golden().GetProperty("xoshiro").GetProperty(key);
        var r = new SeededRandom(seed);
        Assert.Equal(g.GetProperty("state").EnumerateArray().Select(Hex).ToArray(), r.GetState());
        Assert.Equal(g.GetProperty("u64").EnumerateArray().Select(Hex).ToArray(), Enumerable.Range(0, 8).Select(_ => r.NextUInt64()).ToArray());
        var ranges = g.GetProperty("bounded_ranges").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(g.GetProperty("bounded").EnumerateArray().Select(e => e.GetInt32()).ToArray(), ranges.Select(r.Next).ToArray());
        Assert.Equal(g.GetProperty("doubles").EnumerateArray().Select(e => e.GetDouble()).ToArray(), Enumerable.Range(0, 4).Select(_ => r.NextDouble()).ToArray());
        Assert.Equal(g.GetProperty("permutation12").EnumerateArray().Select(e => e.GetInt32()).ToArray(), r.Permutation(12));
    }

    [Fact]
    public void SetState_AfterAnyNumberOfDraws_ContinuesTheSameSequence_Property()
    {
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), Gen.Choose(0, 200).ToArbitrary(), (seed, draws) =>
        {
            var a = new SeededRandom(seed);
            for (var i = 0; i < draws; i++) a.Next(1 + i);
            var saved = a.GetStateString();
            var expected = Enumerable.Range(0, 16).Select(_ => a.NextUInt64()).ToArray();
            var b = new SeededRandom(12345L);
            b.SetStateString(saved);
            return expected.SequenceEqual(Enumerable.Range(0, 16).Select(_ => b.NextUInt64()));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Next_AlwaysWithinBounds_Property()
    {
        Prop.ForAll(Gen.Choose(1, int.MaxValue).ToArbitrary(), Gen.Choose(-1000, 1000).ToArbitrary(), (max, lo) =>
        {
            var r = new SeededRandom((long)max * 31 + lo);
            for (var i = 0; i < 50; i++)
            {
                var v = r.Next(max);
                var w = r.Next(lo, lo + max);
                var d = r.NextDouble();
                if (v < 0 || v >= max || w < lo || w >= lo + max || d < 0 || d >= 1) return false;
            }
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Permutation_IsAPermutation_AndRoughlyUniformInFirstPosition()
    {
        var r = new SeededRandom(7L);
        var counts = new int[5];
        for (var i = 0; i < 5000; i++)
        {
            var p = r.Permutation(5);
            Assert.Equal(new[] { 0, 1, 2, 3, 4 }, p.Order().ToArray());
            counts[p[0]]++;
        }
        Assert.All(counts, c => Assert.InRange(c, 850, 1150)); // expected 1000 each; ±150 is > 4.7 sigma
    }

    [Fact]
    public void SetState_InvalidStates_Throw()
    {
        var r = new SeededRandom(1L);
        Assert.Throws<ArgumentException>(() => r.SetState(new ulong[4]));
        Assert.Throws<ArgumentException>(() => r.SetState(new ulong[] { 1, 2, 3 }));
        Assert.Throws<FormatException>(() => r.SetStateString("zz-1-2-3"));
        Assert.Throws<FormatException>(() => r.SetStateString("1-2-3"));
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Next(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Next(5L, 5L));
    }
}
