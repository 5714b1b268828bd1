using System.Text.Json;

namespace Thorax.Metrics.Tests;

/// <summary>Loads golden JSON written by tools/golden/metrics/make_metrics_golden.py.</summary>
internal static class Golden
{
    private static readonly Lazy<string> Dir = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "data", "golden", "metrics");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }

            dir = dir.Parent;
        }

        throw new DirectoryNotFoundException("tests/data/golden/metrics not found above " + AppContext.BaseDirectory);
    });

    public static JsonElement Load(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Dir.Value, file)));
        return doc.RootElement.Clone();
    }

    public static double D(this JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.String => e.GetString() switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            var s => throw new FormatException("Not a number: " + s),
        },
        _ => throw new FormatException("Not a number: " + e),
    };

    public static double D(this JsonElement e, string name) => e.GetProperty(name).D();

    public static double[] Doubles(this JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(D).ToArray();

    public static float[] Floats(this JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(x => (float)x.D()).ToArray();

    public static int[] Ints(this JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(x => x.GetInt32()).ToArray();

    public static byte[] Bytes(this JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(x => (byte)x.GetInt32()).ToArray();

    public static IEnumerable<JsonElement> Items(this JsonElement e, string name) => e.GetProperty(name).EnumerateArray();

    public static string Name(this JsonElement e) => e.GetProperty("name").GetString()!;

    /// <summary>Asserts |actual − expected| ≤ atol + rtol·|expected| (NaN equals NaN, ∞ equals ∞).</summary>
    public static void Close(double expected, double actual, double rtol = 1e-12, double atol = 1e-12, string? what = null)
    {
        if (double.IsNaN(expected) || double.IsInfinity(expected))
        {
            Assert.True(expected.Equals(actual), $"{what}: expected {expected}, got {actual}");
            return;
        }

        Assert.True(Math.Abs(actual - expected) <= atol + rtol * Math.Abs(expected),
            $"{what}: expected {expected:R}, got {actual:R} (diff {actual - expected:E3})");
    }

    public static void AllClose(double[] expected, double[] actual, double rtol = 1e-12, double atol = 1e-12, string? what = null)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (var i = 0; i < expected.Length; i++)
        {
            Close(expected[i], actual[i], rtol, atol, $"{what}[{i}]");
        }
    }
}
