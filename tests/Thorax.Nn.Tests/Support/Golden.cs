using System.Text.Json;

namespace Thorax.Nn.Tests.Support;

/// <summary>Locates and decodes the golden files under tests/data/golden/nn.</summary>
internal static class Golden
{
    private static readonly Lazy<string> DirLazy = new(() =>
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null)
        {
            var p = Path.Combine(d.FullName, "tests", "data", "golden", "nn");
            if (Directory.Exists(p)) return p;
            d = d.Parent;
        }
        throw new DirectoryNotFoundException("tests/data/golden/nn not found above " + AppContext.BaseDirectory);
    });

    public static string Dir => DirLazy.Value;

    public static string PathOf(string name) => System.IO.Path.Combine(Dir, name);

    public static JsonDocument Json(string name) => JsonDocument.Parse(File.ReadAllBytes(PathOf(name)));

    /// <summary>Decodes {"shape", "dtype", "b64"} into a new tensor (owned by the caller or current scope).</summary>
    public static Tensor Decode(JsonElement e)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        var bytes = Convert.FromBase64String(e.GetProperty("b64").GetString()!);
        Tensor t = e.GetProperty("dtype").GetString() switch
        {
            "float32" => Torch.FromArray(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray()),
            "float64" => Torch.FromArray(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(bytes).ToArray()),
            "int64" => Torch.FromArray(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(bytes).ToArray()),
            "bool" => Torch.FromArray(bytes.Select(b => b != 0).ToArray()),
            var d => throw new NotSupportedException(d),
        };
        return t.Reshape(shape);
    }

    public static StateDict DecodeDict(JsonElement e)
    {
        var d = new StateDict();
        foreach (var p in e.EnumerateObject()) d.Add(p.Name, Decode(p.Value));
        return d;
    }

    /// <summary>Asserts equal shape and |a − e| ≤ atol + rtol·|e| elementwise, naming the first failing element.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, string what, double rtol = 1e-5, double atol = 1e-6)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        using var e = expected.To(DType.Float64);
        using var a = actual.Detach().To(DType.Float64);
        var ev = e.ToArray<double>();
        var av = a.ToArray<double>();
        for (var i = 0; i < ev.Length; i++)
        {
            var ok = double.IsInfinity(ev[i]) ? ev[i] == av[i] : Math.Abs(av[i] - ev[i]) <= atol + rtol * Math.Abs(ev[i]);
            Assert.True(ok, $"{what}[{i}]: expected {ev[i]:R}, got {av[i]:R}");
        }
    }
}
