using System.Text.Json;

namespace Thorax.Optim.Tests;

/// <summary>Loads the committed golden files of tests/data/golden/optim (made by tools/golden/optim/make_optim_goldens.py).</summary>
internal static class Golden
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "tests", "data", "golden", "optim");
            if (Directory.Exists(p)) return p;
        }
        throw new DirectoryNotFoundException("tests/data/golden/optim not found above " + AppContext.BaseDirectory);
    });

    private static readonly Dictionary<string, JsonDocument> Cache = new();

    /// <summary>The parsed golden file <paramref name="name"/> (cached; do not dispose).</summary>
    public static JsonElement Load(string name)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(name, out var doc))
                Cache[name] = doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Root.Value, name)));
            return doc.RootElement;
        }
    }

    public static float[] Floats(JsonElement a) => a.EnumerateArray().Select(x => (float)x.GetDouble()).ToArray();

    public static double[] Doubles(JsonElement a) => a.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    public static long[] Longs(JsonElement a) => a.EnumerateArray().Select(x => x.GetInt64()).ToArray();

    /// <summary>Asserts |actual - expected| ≤ atol + rtol·|expected| element-wise, naming the first failure.</summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol, double atol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var diff = Math.Abs((double)actual[i] - expected[i]);
            if (!(diff <= atol + rtol * Math.Abs((double)expected[i])))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (diff {diff:E3})");
        }
    }

    /// <summary>Asserts relative closeness of doubles.</summary>
    public static void Close(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double rtol, double atol, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var diff = Math.Abs(actual[i] - expected[i]);
            if (!(diff <= atol + rtol * Math.Abs(expected[i])))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (diff {diff:E3})");
        }
    }

    /// <summary>Distance in units in the last place between two floats (0 = bit-identical).</summary>
    public static long Ulps(float a, float b)
    {
        int ia = BitConverter.SingleToInt32Bits(a), ib = BitConverter.SingleToInt32Bits(b);
        if (ia < 0) ia = int.MinValue - ia;
        if (ib < 0) ib = int.MinValue - ib;
        return Math.Abs((long)ia - ib);
    }
}
