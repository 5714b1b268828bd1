using System.Text.Json;

namespace Thorax.Models.Tests.Support;

/// <summary>
/// The deterministic weights of tools/golden/common/hashed_weights.py, rebuilt from a golden's key list
/// ([[name, shape, dtype], ...]) bit for bit, so full-size reference models are checked without committing their
/// weights. See that script for the rule.
/// </summary>
internal static class HashedWeights
{
    private const ulong G = 0x9E3779B97F4A7C15UL, M1 = 0xBF58476D1CE4E5B9UL, M2 = 0x94D049BB133111EBUL;

    /// <summary>A new state dictionary with the golden's key names, shapes and dtypes, in its order.</summary>
    public static Dictionary<string, Tensor> FromKeyList(JsonElement keys)
    {
        var result = new Dictionary<string, Tensor>();
        var k = 0;
        foreach (var entry in keys.EnumerateArray())
        {
            var name = entry[0].GetString()!;
            var shape = entry[1].EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var dtype = entry[2].GetString()!;
            result[name] = Value(k++, name, shape, dtype);
        }
        return result;
    }

    private static Tensor Value(int k, string name, long[] shape, string dtype)
    {
        var n = shape.Aggregate(1L, (a, b) => a * b);
        if (dtype != "float32") return torch.zeros(shape, dtype: dtype == "int64" ? ScalarType.Int64 : throw new NotSupportedException(dtype));
        var v = new float[n];
        var fanIn = shape.Length >= 2 ? n / shape[0] : 0;
        var a = fanIn > 0 ? Math.Sqrt(6.0 / fanIn) : 0;
        for (long i = 0; i < n; i++)
        {
            unchecked
            {
                var z = (ulong)(k + 1) * G + (ulong)i * M1;
                z ^= z >> 30;
                z *= M1;
                z ^= z >> 27;
                z *= M2;
                z ^= z >> 31;
                var u = (z >> 11) * (1.0 / 9007199254740992.0);
                double x;
                if (name.EndsWith("running_mean", StringComparison.Ordinal)) x = 0.1 * (2 * u - 1);
                else if (name.EndsWith("running_var", StringComparison.Ordinal)) x = 1 + 0.5 * u;
                else if (name.EndsWith("weight", StringComparison.Ordinal) && shape.Length == 1) x = 1 + 0.1 * (2 * u - 1);
                else if (shape.Length >= 2) x = a * (2 * u - 1);
                else x = 0.1 * (2 * u - 1);
                v[i] = (float)x;
            }
        }
        return torch.tensor(v, shape);
    }
}
