using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Thorax.Imaging.Ops;

/// <summary>Sample-type conversions between 8-bit, 16-bit and float images.</summary>
public static class PixelConvert
{
    /// <summary>float = byte * <paramref name="scale"/> (1/255 maps to [0, 1]).</summary>
    public static Image<float> ToFloat(Image<byte> src, float scale = 1f)
    {
        ArgumentNullException.ThrowIfNull(src);
        var dst = new Image<float>(src.Width, src.Height, src.Channels);
        var s = src.Pixels;
        var d = dst.Pixels;
        for (int i = 0; i < s.Length; i++) d[i] = s[i] * scale;
        return dst;
    }

    /// <summary>dst[i] = src[i] / 255f: 8-bit samples to [0, 1] (the float division, vectorised; same values as the
    /// scalar expression).</summary>
    /// <exception cref="ArgumentException"><paramref name="dst"/> is shorter than <paramref name="src"/>.</exception>
    public static void ToUnit(ReadOnlySpan<byte> src, Span<float> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException($"Destination holds {dst.Length} samples, source {src.Length}.", nameof(dst));
        ref byte s = ref MemoryMarshal.GetReference(src);
        ref float d = ref MemoryMarshal.GetReference(dst);
        int n = src.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var div = Vector256.Create(255f);
            for (; i + 16 <= n; i += 16)
            {
                var (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref s, (nuint)i));
                var w = Vector256.Create(lo, hi);
                var (a, b) = Vector256.Widen(w);
                (Vector256.ConvertToSingle(a.AsInt32()) / div).StoreUnsafe(ref d, (nuint)i);
                (Vector256.ConvertToSingle(b.AsInt32()) / div).StoreUnsafe(ref d, (nuint)i + 8);
            }
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) = Unsafe.Add(ref s, i) / 255f;
    }

    /// <summary>float = ushort * <paramref name="scale"/>.</summary>
    public static Image<float> ToFloat(Image<ushort> src, float scale = 1f)
    {
        ArgumentNullException.ThrowIfNull(src);
        var dst = new Image<float>(src.Width, src.Height, src.Channels);
        var s = src.Pixels;
        var d = dst.Pixels;
        for (int i = 0; i < s.Length; i++) d[i] = s[i] * scale;
        return dst;
    }

    /// <summary>byte = clamp(round-half-even(v * <paramref name="scale"/>), 0, 255) (OpenCV saturate_cast). NaN maps to 0.</summary>
    public static Image<byte> ToByte(Image<float> src, float scale = 1f)
    {
        ArgumentNullException.ThrowIfNull(src);
        var dst = new Image<byte>(src.Width, src.Height, src.Channels);
        var s = src.Pixels;
        var d = dst.Pixels;
        for (int i = 0; i < s.Length; i++)
        {
            float v = MathF.Round(s[i] * scale);
            d[i] = float.IsNaN(v) ? (byte)0 : (byte)Math.Clamp(v, 0f, 255f);
        }
        return dst;
    }

    /// <summary>Grey from RGB(A) with ITU-R 601 weights as PIL's <c>convert("L")</c>: (19595 R + 38470 G + 7471 B + 32768) &gt;&gt; 16.
    /// A grey or grey+alpha image returns its first channel.</summary>
    public static Image<byte> ToGrey(Image<byte> src)
    {
        ArgumentNullException.ThrowIfNull(src);
        var dst = new Image<byte>(src.Width, src.Height);
        var s = src.Pixels;
        var d = dst.Pixels;
        int cn = src.Channels;
        for (int i = 0; i < d.Length; i++)
            d[i] = cn >= 3
                ? (byte)((s[i * cn] * 19595 + s[i * cn + 1] * 38470 + s[i * cn + 2] * 7471 + 0x8000) >> 16)
                : s[i * cn];
        return dst;
    }
}
