using System.Runtime.InteropServices;
using System.Text.Json;

namespace Thorax.Models.Tests.Support;

/// <summary>Locates and decodes the golden files under tests/data/golden (made by the scripts under tools/golden).</summary>
internal static class Golden
{
    private static readonly Lazy<string> RootLazy = new(() =>
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null)
        {
            var p = Path.Combine(d.FullName, "tests", "data", "golden");
            if (Directory.Exists(Path.Combine(p, "nn"))) return p;
            d = d.Parent;
        }
        throw new DirectoryNotFoundException("tests/data/golden not found above " + AppContext.BaseDirectory);
    });

    /// <summary>Path of <paramref name="name"/> under tests/data/golden/<paramref name="area"/>.</summary>
    public static string PathOf(string area, string name) => Path.Combine(RootLazy.Value, area, name);

    /// <summary>Parses tests/data/golden/nn/<paramref name="name"/>.</summary>
    public static JsonDocument Json(string name) => JsonDocument.Parse(File.ReadAllBytes(PathOf("nn", name)));

    /// <summary>Decodes {"shape", "dtype", "b64"} into a new CPU tensor (owned by the caller or the current dispose scope).</summary>
    public static Tensor Decode(JsonElement e)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        var bytes = Convert.FromBase64String(e.GetProperty("b64").GetString()!);
        return e.GetProperty("dtype").GetString() switch
        {
            "float32" => torch.tensor(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), shape),
            "float64" => torch.tensor(MemoryMarshal.Cast<byte, double>(bytes).ToArray(), shape),
            "int64" => torch.tensor(MemoryMarshal.Cast<byte, long>(bytes).ToArray(), shape),
            "bool" => torch.tensor(bytes.Select(b => b != 0).ToArray(), shape),
            var d => throw new NotSupportedException($"golden dtype {d}"),
        };
    }

    /// <summary>Decodes an object of named tensors.</summary>
    public static Dictionary<string, Tensor> DecodeDict(JsonElement e) =>
        e.EnumerateObject().ToDictionary(p => p.Name, p => Decode(p.Value));

    /// <summary>Asserts equal shape and |a − e| ≤ atol + rtol·|e| elementwise, naming the first failing element.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, string what, double rtol = 1e-5, double atol = 1e-6)
    {
        Assert.Equal(expected.shape, actual.shape);
        double[] ev, av;
        using (var e = expected.detach().cpu().to_type(ScalarType.Float64).contiguous()) ev = e.data<double>().ToArray();
        using (var a = actual.detach().cpu().to_type(ScalarType.Float64).contiguous()) av = a.data<double>().ToArray();
        for (var i = 0; i < ev.Length; i++)
        {
            var ok = double.IsInfinity(ev[i]) ? ev[i] == av[i] : Math.Abs(av[i] - ev[i]) <= atol + rtol * Math.Abs(ev[i]);
            Assert.True(ok, $"{what}[{i}]: expected {ev[i]:R}, got {av[i]:R} (|diff| {Math.Abs(av[i] - ev[i]):G3}, rtol {rtol}, atol {atol})");
        }
    }

    /// <summary>"max |diff| a, max rel r" of two tensors (relative to max(|expected|, 1e-3), so values near 0 count by their absolute error), for test logs.</summary>
    public static string Diff(Tensor expected, Tensor actual)
    {
        using var scope = torch.NewDisposeScope();
        var d = (actual.detach().cpu().to_type(ScalarType.Float64) - expected.detach().cpu().to_type(ScalarType.Float64)).abs();
        var rel = d / expected.detach().cpu().to_type(ScalarType.Float64).abs().clamp_min(1e-3);
        return $"max |diff| {d.max().item<double>():G3}, max rel {rel.max().item<double>():G3}";
    }

    /// <summary>The values of a tensor as float32 (copied to the CPU).</summary>
    public static float[] Floats(Tensor t)
    {
        using var c = t.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return c.data<float>().ToArray();
    }
}
