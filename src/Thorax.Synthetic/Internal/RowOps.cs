using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Thorax.Synthetic.Internal;

/// <summary>Vectorised element-wise row kernels used by the renderer.</summary>
internal static class RowOps
{
    /// <summary>dst[i] += a * x[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddScaled(ReadOnlySpan<float> x, float a, Span<float> dst)
    {
        int i = 0, n = x.Length;
        if (dst.Length < n) throw new ArgumentException("Destination shorter than source.", nameof(dst));
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ds = ref MemoryMarshal.GetReference(dst);
        if (Vector.IsHardwareAccelerated)
        {
            var va = new Vector<float>(a);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
                Vector.StoreUnsafe(Vector.LoadUnsafe(ref ds, (nuint)i) + va * Vector.LoadUnsafe(ref xs, (nuint)i), ref ds, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref ds, i) += a * Unsafe.Add(ref xs, i);
    }

    /// <summary>dst[i] += x[i] * y[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddProduct(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst)
    {
        int i = 0, n = x.Length;
        if (y.Length < n || dst.Length < n) throw new ArgumentException("Rows of different lengths.");
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float ds = ref MemoryMarshal.GetReference(dst);
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
                Vector.StoreUnsafe(Vector.LoadUnsafe(ref ds, (nuint)i) + Vector.LoadUnsafe(ref xs, (nuint)i) * Vector.LoadUnsafe(ref ys, (nuint)i), ref ds, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref ds, i) += Unsafe.Add(ref xs, i) * Unsafe.Add(ref ys, i);
    }

    /// <summary>dst[i] += t[i] * (v[i] * (1 - 0.6 h[i]) + mk * m[i]) (lung tissue weight t, vessel density v,
    /// heart coverage h, mottle m).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddVessels(ReadOnlySpan<float> t, ReadOnlySpan<float> v, ReadOnlySpan<float> h, ReadOnlySpan<float> m,
        float mk, Span<float> dst)
    {
        int i = 0, n = t.Length;
        if (v.Length < n || h.Length < n || m.Length < n || dst.Length < n) throw new ArgumentException("Rows of different lengths.");
        ref float ts = ref MemoryMarshal.GetReference(t);
        ref float vs = ref MemoryMarshal.GetReference(v);
        ref float hs = ref MemoryMarshal.GetReference(h);
        ref float ms = ref MemoryMarshal.GetReference(m);
        ref float ds = ref MemoryMarshal.GetReference(dst);
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<float>.One;
            var k = new Vector<float>(0.6f);
            var vmk = new Vector<float>(mk);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var term = Vector.LoadUnsafe(ref vs, (nuint)i) * (one - k * Vector.LoadUnsafe(ref hs, (nuint)i))
                    + vmk * Vector.LoadUnsafe(ref ms, (nuint)i);
                Vector.StoreUnsafe(Vector.LoadUnsafe(ref ds, (nuint)i) + Vector.LoadUnsafe(ref ts, (nuint)i) * term, ref ds, (nuint)i);
            }
        }
        for (; i < n; i++)
            Unsafe.Add(ref ds, i) += Unsafe.Add(ref ts, i)
                * (Unsafe.Add(ref vs, i) * (1f - 0.6f * Unsafe.Add(ref hs, i)) + mk * Unsafe.Add(ref ms, i));
    }

    /// <summary>dst[i] = cov[i] * (b + k * prof[i]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Profile(ReadOnlySpan<float> cov, ReadOnlySpan<float> prof, float b, float k, Span<float> dst)
    {
        int i = 0, n = cov.Length;
        if (prof.Length < n || dst.Length < n) throw new ArgumentException("Rows of different lengths.");
        ref float cs = ref MemoryMarshal.GetReference(cov);
        ref float ps = ref MemoryMarshal.GetReference(prof);
        ref float ds = ref MemoryMarshal.GetReference(dst);
        if (Vector.IsHardwareAccelerated)
        {
            var vb = new Vector<float>(b);
            var vk = new Vector<float>(k);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
                Vector.StoreUnsafe(Vector.LoadUnsafe(ref cs, (nuint)i) * (vb + vk * Vector.LoadUnsafe(ref ps, (nuint)i)), ref ds, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref ds, i) = Unsafe.Add(ref cs, i) * (b + k * Unsafe.Add(ref ps, i));
    }

    /// <summary>dst[i] = (p[i] + q[i]) * (1 - m[i]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SumMasked(ReadOnlySpan<float> p, ReadOnlySpan<float> q, ReadOnlySpan<float> m, Span<float> dst)
    {
        int i = 0, n = p.Length;
        if (q.Length < n || m.Length < n || dst.Length < n) throw new ArgumentException("Rows of different lengths.");
        ref float ps = ref MemoryMarshal.GetReference(p);
        ref float qs = ref MemoryMarshal.GetReference(q);
        ref float ms = ref MemoryMarshal.GetReference(m);
        ref float ds = ref MemoryMarshal.GetReference(dst);
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
                Vector.StoreUnsafe((Vector.LoadUnsafe(ref ps, (nuint)i) + Vector.LoadUnsafe(ref qs, (nuint)i))
                    * (Vector<float>.One - Vector.LoadUnsafe(ref ms, (nuint)i)), ref ds, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref ds, i) = (Unsafe.Add(ref ps, i) + Unsafe.Add(ref qs, i)) * (1f - Unsafe.Add(ref ms, i));
    }

    /// <summary>dst[i] = 255 where cov[i] &gt;= 0.5 and (exclude is empty or exclude[i] &lt; 0.5), else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Threshold(ReadOnlySpan<float> cov, ReadOnlySpan<float> exclude, Span<byte> dst)
    {
        int n = cov.Length, i = 0;
        bool hasEx = !exclude.IsEmpty;
        if (dst.Length < n || (hasEx && exclude.Length < n)) throw new ArgumentException("Rows of different lengths.");
        ref float c = ref MemoryMarshal.GetReference(cov);
        ref float e = ref MemoryMarshal.GetReference(exclude);
        ref byte d = ref MemoryMarshal.GetReference(dst);
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<float>.Count;
            var half = new Vector<float>(0.5f);
            for (; i <= n - 4 * w; i += 4 * w)
            {
                var m0 = Vector.GreaterThanOrEqual(Vector.LoadUnsafe(ref c, (nuint)i), half);
                var m1 = Vector.GreaterThanOrEqual(Vector.LoadUnsafe(ref c, (nuint)(i + w)), half);
                var m2 = Vector.GreaterThanOrEqual(Vector.LoadUnsafe(ref c, (nuint)(i + 2 * w)), half);
                var m3 = Vector.GreaterThanOrEqual(Vector.LoadUnsafe(ref c, (nuint)(i + 3 * w)), half);
                if (hasEx)
                {
                    m0 = Vector.AndNot(m0, Vector.GreaterThanOrEqual(Vector.LoadUnsafe(ref e, (nuint)i), half));
                    m1 = Vector.AndNot(m1, Vector.GreaterThanOrEqual(Vector.LoadUnsafe(ref e, (nuint)(i + w)), half));
                    m2 = Vector.AndNot(m2, Vector.GreaterThanOrEqual(Vector.LoadUnsafe(ref e, (nuint)(i + 2 * w)), half));
                    m3 = Vector.AndNot(m3, Vector.GreaterThanOrEqual(Vector.LoadUnsafe(ref e, (nuint)(i + 3 * w)), half));
                }
                // All-ones lanes (-1) narrow to 0xFF bytes, zero lanes to 0.
                var bytes = Vector.AsVectorByte(Vector.Narrow(Vector.Narrow(m0, m1), Vector.Narrow(m2, m3)));
                Vector.StoreUnsafe(bytes, ref d, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            bool on = Unsafe.Add(ref c, i) >= 0.5f && (!hasEx || Unsafe.Add(ref e, i) < 0.5f);
            Unsafe.Add(ref d, i) = on ? (byte)255 : (byte)0;
        }
    }

    /// <summary>Bilinear upsampling of one low-resolution row: dst[k] = low[x0[x]] + (low[x1[x]] - low[x0[x]]) * tx[x]
    /// for x = from + k (same float operations as the scalar formula in every path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Upsample(float[] low, int[] x0, int[] x1, float[] tx, int from, Span<float> dst)
    {
        int n = dst.Length;
        if (from < 0 || from + n > x0.Length || from + n > x1.Length || from + n > tx.Length) throw new ArgumentException("Tap tables shorter than the row.");
        int i = 0;
        fixed (float* l = low, t = tx, d = dst)
        fixed (int* i0 = x0, i1 = x1)
        {
            if (Avx2.IsSupported)
            {
                // The tap indices are in [0, low.Length) by construction (ChestRenderer clamps them).
                for (; i <= n - 8; i += 8)
                {
                    var a = Avx2.GatherVector256(l, Avx.LoadVector256(i0 + from + i), 4);
                    var b = Avx2.GatherVector256(l, Avx.LoadVector256(i1 + from + i), 4);
                    Avx.Store(d + i, Avx.Add(a, Avx.Multiply(Avx.Subtract(b, a), Avx.LoadVector256(t + from + i))));
                }
            }
            for (; i < n; i++)
            {
                int x = from + i;
                d[i] = low[x0[x]] + (low[x1[x]] - low[x0[x]]) * tx[x];
            }
        }
    }

    /// <summary>dst[i] += (c[i] * scale) * (a + b * min(1, t[i] * k)) where c[i] &gt; 0: a coverage c shaped by a
    /// clamped ramp of t (lung air with a negative scale, the central shadow with a positive one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddRamp(ReadOnlySpan<float> c, ReadOnlySpan<float> t, float scale, float a, float b, float k, Span<float> dst)
    {
        int i = 0, n = c.Length;
        if (t.Length < n || dst.Length < n) throw new ArgumentException("Rows of different lengths.");
        ref float cs = ref MemoryMarshal.GetReference(c);
        ref float ts = ref MemoryMarshal.GetReference(t);
        ref float ds = ref MemoryMarshal.GetReference(dst);
        if (Vector.IsHardwareAccelerated)
        {
            var vs = new Vector<float>(scale);
            var va = new Vector<float>(a);
            var vb = new Vector<float>(b);
            var vk = new Vector<float>(k);
            var one = Vector<float>.One;
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var cv = Vector.LoadUnsafe(ref cs, (nuint)i);
                var dv = Vector.LoadUnsafe(ref ds, (nuint)i);
                var nv = dv + cv * vs * (va + vb * Vector.Min(one, Vector.LoadUnsafe(ref ts, (nuint)i) * vk));
                Vector.StoreUnsafe(Vector.ConditionalSelect(Vector.GreaterThan(cv, Vector<float>.Zero), nv, dv), ref ds, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float cc = Unsafe.Add(ref cs, i);
            if (cc <= 0) continue;
            Unsafe.Add(ref ds, i) += cc * scale * (a + b * MathF.Min(1f, Unsafe.Add(ref ts, i) * k));
        }
    }
}
