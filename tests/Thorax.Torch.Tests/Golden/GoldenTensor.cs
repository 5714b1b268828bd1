using System.Text.Json;

namespace Thorax.TorchTests.Golden;

/// <summary>Reads tensors written by the golden scripts: {"shape": [...], "dtype": "float32", "data": [...]}.</summary>
internal static class GoldenTensor
{
    public static Tensor Read(JsonElement e)
    {
        var t = ReadFlat(e);
        if (e.GetProperty("shape").GetArrayLength() > 0) return t;
        var scalar = t.Reshape(Array.Empty<long>()); // 0-d
        t.Dispose();
        return scalar;
    }

    private static Tensor ReadFlat(JsonElement e)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        var dtype = e.GetProperty("dtype").GetString();
        var data = e.GetProperty("data");
        switch (dtype)
        {
            case "float32":
                return Torch.FromArray(data.EnumerateArray().Select(x => (float)x.GetDouble()).ToArray(), shape);
            case "float64":
                return Torch.FromArray(data.EnumerateArray().Select(x => x.GetDouble()).ToArray(), shape);
            case "int64":
                return Torch.FromArray(data.EnumerateArray().Select(x => x.GetInt64()).ToArray(), shape);
            case "bool":
                return Torch.FromArray(data.EnumerateArray().Select(x => x.GetBoolean()).ToArray(), shape);
            default:
                throw new NotSupportedException("golden dtype " + dtype);
        }
    }

    /// <summary>Asserts equal shape and values within rtol/atol (float32: 1e-5 relative).</summary>
    public static void AssertClose(JsonElement expected, Tensor actual, string what, double rtol = 1e-5, double atol = 1e-6)
    {
        using var exp = Read(expected);
        Assert.True(exp.Shape.SequenceEqual(actual.Shape), $"{what}: shape {actual.ShapeString}, expected {exp.ShapeString}");
        if (exp.DType == DType.Int64 || exp.DType == DType.Bool)
        {
            using var a = actual.To(exp.DType);
            Assert.True(exp.Equal(a), $"{what}: values differ\nexpected {exp}\nactual {a}");
            return;
        }
        using var act = actual.To(DType.Float64);
        using var e64 = exp.To(DType.Float64);
        var ea = e64.ToArray<double>();
        var aa = act.ToArray<double>();
        for (var i = 0; i < ea.Length; i++)
        {
            var tol = atol + rtol * Math.Abs(ea[i]);
            if (!(Math.Abs(ea[i] - aa[i]) <= tol))
                Assert.Fail($"{what}: element {i} is {aa[i]:R}, expected {ea[i]:R} (|diff| {Math.Abs(ea[i] - aa[i]):E2} > {tol:E2})");
        }
    }
}
