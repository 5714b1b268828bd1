using System.Numerics;
using System.Runtime.CompilerServices;

namespace Thorax.Synthetic.Internal;

/// <summary>Brightness in [0, 1] to 12-bit and 8-bit pixel values.</summary>
internal static class Quantize
{
    /// <summary>v12 = round(b * 4095) (b clamped to [0, 1] by the caller), v8 = v12 &gt;&gt; 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot pixel loop, called a few times per study
    public static void To12And8(ReadOnlySpan<float> brightness, Span<ushort> img12, Span<byte> img8)
    {
        int n = brightness.Length, i = 0;
        if (img12.Length < n || img8.Length < n) throw new ArgumentException("Output shorter than input.");
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<float>.Count;
            var k = new Vector<float>(4095f);
            var half = new Vector<float>(0.5f);
            for (; i <= n - 4 * w; i += 4 * w)
            {
                var a = Vector.AsVectorUInt32(Vector.ConvertToInt32(new Vector<float>(brightness[i..]) * k + half));
                var b = Vector.AsVectorUInt32(Vector.ConvertToInt32(new Vector<float>(brightness[(i + w)..]) * k + half));
                var c = Vector.AsVectorUInt32(Vector.ConvertToInt32(new Vector<float>(brightness[(i + 2 * w)..]) * k + half));
                var d = Vector.AsVectorUInt32(Vector.ConvertToInt32(new Vector<float>(brightness[(i + 3 * w)..]) * k + half));
                var ab = Vector.Narrow(a, b);
                var cd = Vector.Narrow(c, d);
                ab.CopyTo(img12[i..]);
                cd.CopyTo(img12[(i + 2 * w)..]);
                Vector.Narrow(Vector.ShiftRightLogical(ab, 4), Vector.ShiftRightLogical(cd, 4)).CopyTo(img8[i..]);
            }
        }
        for (; i < n; i++)
        {
            int v = (int)(brightness[i] * 4095f + 0.5f);
            img12[i] = (ushort)v;
            img8[i] = (byte)(v >> 4);
        }
    }
}
