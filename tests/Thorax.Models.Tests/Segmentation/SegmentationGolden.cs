using System.Text.Json;
using Thorax.Models.Tests.Support;
using Thorax.Models.Weights;

namespace Thorax.Models.Tests.Segmentation;

/// <summary>
/// Locates and decodes tests/data/golden/models (made by tools/golden/models/make_segmentation_goldens.py with torch 1.13).
/// </summary>
internal static class SegmentationGolden
{
    private static readonly Lazy<JsonDocument> DocLazy = new(() => JsonDocument.Parse(File.ReadAllBytes(Golden.PathOf("models", "segmentation.json"))));

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
    public static void LoadWeights(nn.Module module, JsonElement model)
    {
        var path = Golden.PathOf("models", model.GetProperty("weights").GetString()!);
        var sd = SafeTensors.Load(path);
        try
        {
            StateDicts.Load(module, sd, strict: true, path);
        }
        finally
        {
            sd.DisposeAll();
        }
        module.eval();
    }

    /// <summary>The golden cases of a model ("even" 16x16 and "odd" 19x23 inputs).</summary>
    public static IEnumerable<JsonElement> Cases(JsonElement model) => model.GetProperty("cases").EnumerateArray();

    /// <summary>Decodes {"shape", "dtype": "float32", "b64"} into a new tensor (owned by the caller or current scope).</summary>
    public static Tensor Decode(JsonElement e)
    {
        Assert.Equal("float32", e.GetProperty("dtype").GetString());
        return Golden.Decode(e);
    }

    /// <summary>Asserts equal shape and |a − e| ≤ atol + rtol·|e| elementwise, naming the first failing element.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, string what, double rtol = Rtol, double atol = Atol) =>
        Golden.AssertClose(expected, actual, what, rtol, atol);

    /// <summary>Number of parameter elements of <paramref name="module"/>.</summary>
    public static long ParameterCount(nn.Module module) => module.parameters().Sum(p => p.numel());
}
