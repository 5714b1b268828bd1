using System.Text.Json;
using Thorax.Nn;

namespace Thorax.Models.Tests.Segmentation;

/// <summary>
/// Locates and decodes tests/data/golden/models (made by tools/golden/models/make_segmentation_goldens.py with torch 1.13).
/// </summary>
internal static class SegmentationGolden
{
    private static readonly Lazy<string> DirLazy = new(() =>
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null)
        {
            var p = Path.Combine(d.FullName, "tests", "data", "golden", "models");
            if (File.Exists(Path.Combine(p, "segmentation.json"))) return p;
            d = d.Parent;
        }
        throw new DirectoryNotFoundException("tests/data/golden/models/segmentation.json not found above " + AppContext.BaseDirectory);
    });

    private static readonly Lazy<JsonDocument> DocLazy = new(() => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(DirLazy.Value, "segmentation.json"))));

    /// <summary>The root object of segmentation.json.</summary>
    public static JsonElement Root => DocLazy.Value.RootElement;

    /// <summary>Relative tolerance the goldens are compared at.</summary>
    public const double Rtol = 1e-4;

    /// <summary>Absolute tolerance the goldens are compared at.</summary>
    public const double Atol = 1e-5;

    public static JsonElement Model(string key) => Root.GetProperty(key);

    public static long[] Longs(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt64()).ToArray();

    public static long ReferenceParameters(string key) => Root.GetProperty("reference_parameters").GetProperty(key).GetInt64();

    /// <summary>Loads the model's safetensors file into <paramref name="module"/> (strict) and switches it to eval mode.</summary>
    public static void LoadWeights(Module module, JsonElement model)
    {
        using var sd = SafeTensors.Load(Path.Combine(DirLazy.Value, model.GetProperty("weights").GetString()!));
        module.LoadStateDict(sd, strict: true);
        module.Eval();
    }

    /// <summary>The golden cases of a model ("even" 16x16 and "odd" 19x23 inputs).</summary>
    public static IEnumerable<JsonElement> Cases(JsonElement model) => model.GetProperty("cases").EnumerateArray();

    /// <summary>Decodes {"shape", "dtype": "float32", "b64"} into a new tensor (owned by the caller or current scope).</summary>
    public static Tensor Decode(JsonElement e)
    {
        Assert.Equal("float32", e.GetProperty("dtype").GetString());
        var shape = Longs(e.GetProperty("shape"));
        var bytes = Convert.FromBase64String(e.GetProperty("b64").GetString()!);
        var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        return Torch.FromArray(values, shape);
    }

    /// <summary>Asserts equal shape and |a − e| ≤ atol + rtol·|e| elementwise, naming the first failing element.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, string what, double rtol = Rtol, double atol = Atol)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        using var e = expected.To(DType.Float64);
        using var a = actual.Detach().To(DType.Float64);
        var ev = e.ToArray<double>();
        var av = a.ToArray<double>();
        for (var i = 0; i < ev.Length; i++)
            Assert.True(Math.Abs(av[i] - ev[i]) <= atol + rtol * Math.Abs(ev[i]), $"{what}[{i}]: expected {ev[i]:R}, got {av[i]:R}");
    }
}
