using System.Text.Json;

namespace Thorax.Training.Tests.Support;

/// <summary>Locates the repository's committed goldens (tests/data/golden) and reads golden tensors as TorchSharp tensors.</summary>
internal static class TestData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Golden(string relative) => Path.Combine(RepoRoot, "tests", "data", "golden", relative);

    private static readonly Dictionary<string, JsonDocument> Cache = new();

    /// <summary>The parsed golden file (cached; do not dispose).</summary>
    public static JsonElement Load(string relative)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(relative, out var doc))
                Cache[relative] = doc = JsonDocument.Parse(File.ReadAllBytes(Golden(relative)));
            return doc.RootElement;
        }
    }

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Thorax.slnx"))) return d.FullName;
        throw new DirectoryNotFoundException("repository root (Thorax.slnx) not found above " + AppContext.BaseDirectory);
    }

    public static float[] Floats(JsonElement a) => a.EnumerateArray().Select(x => (float)x.GetDouble()).ToArray();

    public static double[] Doubles(JsonElement a) => a.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    public static long[] Longs(JsonElement a) => a.EnumerateArray().Select(x => x.GetInt64()).ToArray();

    /// <summary>A golden tensor <c>{"shape": [...], "dtype": "float32", "data": [...]}</c> (0-d when the shape is empty).</summary>
    public static Tensor ReadTensor(JsonElement e)
    {
        var shape = Longs(e.GetProperty("shape"));
        var dtype = e.GetProperty("dtype").GetString();
        var data = e.GetProperty("data");
        return dtype switch
        {
            "float32" => torch.tensor(Floats(data), shape),
            "float64" => torch.tensor(Doubles(data), shape),
            "int64" => torch.tensor(Longs(data), shape),
            "bool" => torch.tensor(data.EnumerateArray().Select(x => x.GetBoolean()).ToArray(), shape),
            _ => throw new NotSupportedException("golden dtype " + dtype),
        };
    }

    /// <summary>Asserts a tensor equals a golden tensor: exactly for integer/bool, within atol + rtol·|expected| otherwise.</summary>
    public static void AssertClose(JsonElement expected, Tensor actual, string what, double rtol = 1e-5, double atol = 1e-6)
    {
        using var scope = torch.NewDisposeScope();
        var exp = ReadTensor(expected);
        Assert.True(exp.shape.SequenceEqual(actual.shape), $"{what}: shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", exp.shape)}]");
        if (exp.dtype is ScalarType.Int64 or ScalarType.Bool)
        {
            Assert.Equal(exp.to(ScalarType.Float64).data<double>().ToArray(), actual.to(ScalarType.Float64).data<double>().ToArray());
            return;
        }
        Close(exp.to(ScalarType.Float64).data<double>().ToArray(), actual.detach().to(ScalarType.Float64).data<double>().ToArray(), rtol, atol, what);
    }

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

    /// <summary>Same dtype, shape and bytes.</summary>
    public static bool BitEqual(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.cpu().contiguous().bytes.ToArray().AsSpan().SequenceEqual(b.cpu().contiguous().bytes.ToArray());

    /// <summary>The values of a float32 tensor.</summary>
    public static float[] Values(Tensor t) => t.detach().cpu().contiguous().data<float>().ToArray();
}
