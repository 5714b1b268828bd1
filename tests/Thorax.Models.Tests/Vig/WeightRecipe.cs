using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Models.Tests.Vig;

/// <summary>
/// The seed-reproducible weight recipe of tools/golden/gdvig/make_gdvig_golden.py (integer hashing and IEEE float64
/// arithmetic only, so the float32 values equal the Python script's bit for bit). It stands in for weight files that
/// would exceed the golden size budget: the authors' GD-ViG constructors hard-code the full ViG-Ti / ViG-S widths.
/// </summary>
internal static class WeightRecipe
{
    /// <summary>FNV-1a, 32 bit, over the UTF-8 bytes of <paramref name="key"/>.</summary>
    public static uint Fnv1a32(string key)
    {
        var h = 0x811C9DC5u;
        foreach (var b in Encoding.UTF8.GetBytes(key)) h = unchecked((h ^ b) * 0x01000193u);
        return h;
    }

    /// <summary>u in [0, 1) for element <paramref name="i"/> of <paramref name="key"/> (murmur3 fmix32 of the mixed index).</summary>
    public static double Unit(uint keyHash, long i)
    {
        unchecked
        {
            var x = keyHash ^ (uint)((ulong)i * 0x9E3779B9ul);
            x ^= x >> 16;
            x *= 0x85EBCA6Bu;
            x ^= x >> 13;
            x *= 0xC2B2AE35u;
            x ^= x >> 16;
            return x / 4294967296.0;
        }
    }

    /// <summary>The recipe's float32 values of one state-dict entry, or null for <c>num_batches_tracked</c> (zero).</summary>
    public static float[]? Values(string key, long[] shape, ISet<string> keys)
    {
        if (key.EndsWith("num_batches_tracked", StringComparison.Ordinal)) return null;
        var n = shape.Aggregate(1L, (a, b) => a * b);
        var h = Fnv1a32(key);
        var prefix = key.Contains('.') ? key[..(key.LastIndexOf('.') + 1)] : "";
        var isBn = keys.Contains(prefix + "running_var");
        var fanScale = shape.Length >= 2 ? Math.Sqrt(3.0 / ((double)n / shape[0])) : 0;
        var v = new float[n];
        for (long i = 0; i < n; i++)
        {
            var u = Unit(h, i);
            var s = 2.0 * u - 1.0;
            double value;
            if (key.EndsWith("running_var", StringComparison.Ordinal)) value = 0.5 + u;
            else if (key.EndsWith("running_mean", StringComparison.Ordinal)) value = 0.1 * s;
            else if (isBn && key.EndsWith(".weight", StringComparison.Ordinal)) value = 1.0 + 0.25 * s;
            else if (isBn && key.EndsWith(".bias", StringComparison.Ordinal)) value = 0.1 * s;
            else if (shape.Length >= 2 && key.EndsWith("weight", StringComparison.Ordinal)) value = s * fanScale;
            else value = 0.05 * s;
            v[i] = (float)value;
        }
        return v;
    }

    /// <summary>Fills every state-dict entry of <paramref name="module"/> by the recipe.</summary>
    /// <returns>The sum of |value| over all entries (the golden's <c>recipe_abs_sum</c>).</returns>
    public static double Apply(nn.Module module)
    {
        var sd = module.state_dict();
        var keys = sd.Keys.ToHashSet();
        var total = 0.0;
        using var _ = no_grad();
        foreach (var (key, t) in sd)
        {
            var v = Values(key, t.shape, keys);
            if (v is null)
            {
                t.zero_();
                continue;
            }
            using var src = torch.tensor(v, t.shape);
            t.copy_(src);
            foreach (var f in v) total += Math.Abs((double)f);
        }
        return total;
    }

    /// <summary>A tensor of recipe values 2u − 1 (float32) under <paramref name="key"/>.</summary>
    public static Tensor Signed(string key, params long[] shape)
    {
        var n = shape.Aggregate(1L, (a, b) => a * b);
        var h = Fnv1a32(key);
        var v = new float[n];
        for (long i = 0; i < n; i++) v[i] = (float)(2.0 * Unit(h, i) - 1.0);
        return torch.tensor(v, shape);
    }
}

/// <summary>Error measures reported by the parity tests.</summary>
internal static class Parity
{
    /// <summary>max |a − e| / max |e| over all elements (relative to the largest expected magnitude).</summary>
    public static double MaxRelative(Tensor expected, Tensor actual)
    {
        using var e = expected.detach().to_type(ScalarType.Float64);
        using var a = actual.detach().to_type(ScalarType.Float64);
        using var d = a.sub(e).abs().max();
        using var m = e.abs().max();
        return d.item<double>() / m.item<double>();
    }

    /// <summary>max |a − e| / (max e − min e): error relative to the expected map's range.</summary>
    public static double MaxOfRange(Tensor expected, Tensor actual)
    {
        using var e = expected.detach().to_type(ScalarType.Float64);
        using var a = actual.detach().to_type(ScalarType.Float64);
        using var d = a.sub(e).abs().max();
        using var r = e.max().sub(e.min());
        return d.item<double>() / r.item<double>();
    }
}
