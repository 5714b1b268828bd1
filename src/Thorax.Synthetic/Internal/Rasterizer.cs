using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Thorax.Synthetic.Internal;

/// <summary>Anti-aliased polygon fill (non-zero winding) with 4 sub-scanlines per row and exact
/// horizontal span coverage. Coordinates are in pixels; pixel (x, y) covers [x, x+1) x [y, y+1).</summary>
internal static class Rasterizer
{
    private const int Sub = 4;
    private const float SubWeight = 1f / Sub;

    /// <summary>Per-thread work buffers (grown on demand, never shrunk).</summary>
    private sealed class Scratch
    {
        public float[] Acc = new float[256], Ex = new float[64 * 5], Xs = new float[64], Keys = new float[64], SpanA = new float[256], SpanB = new float[256];
        public int[] Delta = new int[256], Ds = new int[64], Order = new int[64], Active = new int[64];

        public void Ensure(int width, int edges)
        {
            if (Acc.Length < width + 2) { Acc = new float[width + 2]; Delta = new int[width + 2]; }
            if (Xs.Length < edges)
            {
                int n = Math.Max(edges, Xs.Length * 2);
                Ex = new float[n * 5]; Xs = new float[n]; Keys = new float[n];
                Ds = new int[n]; Order = new int[n]; Active = new int[n];
                SpanA = new float[Sub * n]; SpanB = new float[Sub * n];
            }
        }
    }

    [ThreadStatic] private static Scratch? t_scratch;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot pixel loop, called a few times per study
    public static void FillPolygon(Raster dst, ReadOnlySpan<Vector2> poly, float value, Blend blend)
    {
        int n = poly.Length;
        if (n < 3) return;
        float minX = float.MaxValue, minY = float.MaxValue, maxX = float.MinValue, maxY = float.MinValue;
        foreach (var p in poly)
        {
            if (p.X < minX) minX = p.X;
            if (p.X > maxX) maxX = p.X;
            if (p.Y < minY) minY = p.Y;
            if (p.Y > maxY) maxY = p.Y;
        }
        int x0 = Math.Max(0, (int)MathF.Floor(minX)), x1 = Math.Min(dst.Width - 1, (int)MathF.Ceiling(maxX));
        int y0 = Math.Max(0, (int)MathF.Floor(minY)), y1 = Math.Min(dst.Height - 1, (int)MathF.Ceiling(maxY));
        if (x1 < x0 || y1 < y0) return;
        int bw = x1 - x0 + 1;
        dst.MarkTouched(x0, y0, x1, y1);

        var sc = t_scratch ??= new Scratch();
        sc.Ensure(bw, n);
        float[] acc = sc.Acc, ex = sc.Ex, xs = sc.Xs, keys = sc.Keys;
        int[] delta = sc.Delta, ds = sc.Ds, order = sc.Order, active = sc.Active;
        float[] spanA = sc.SpanA, spanB = sc.SpanB;

        // Edge table: (ya, yb, xa, slope, dir) for non-horizontal edges, ya < yb.
        int ne = 0;
        for (int i = 0; i < n; i++)
        {
            Vector2 a = poly[i], b = poly[i + 1 == n ? 0 : i + 1];
            if (a.Y == b.Y) continue;
            int dir = 1;
            if (a.Y > b.Y) { (a, b) = (b, a); dir = -1; }
            int o = ne * 5;
            ex[o] = a.Y; ex[o + 1] = b.Y; ex[o + 2] = a.X; ex[o + 3] = (b.X - a.X) / (b.Y - a.Y); ex[o + 4] = dir;
            ne++;
        }
        // Edges sorted by top y; an active list holds the edges that overlap the current row.
        for (int e = 0; e < ne; e++) { order[e] = e; keys[e] = ex[e * 5]; }
        Array.Sort(keys, order, 0, ne);
        int next = 0, na = 0;
        acc.AsSpan(0, bw + 2).Clear();
        delta.AsSpan(0, bw + 2).Clear();
        for (int y = y0; y <= y1; y++)
        {
            float rowTop = y, rowBottom = y + 1;
            int keep = 0;
            for (int k = 0; k < na; k++) if (ex[active[k] * 5 + 1] > rowTop) active[keep++] = active[k];
            na = keep;
            while (next < ne && ex[order[next] * 5] < rowBottom)
            {
                int e = order[next++];
                if (ex[e * 5 + 1] > rowTop) active[na++] = e;
            }
            if (na < 2) continue;
            // Spans (box coordinates, clipped to [0, bw]) of each sub-scanline.
            int spanCount = 0;
            bool single = true;
            for (int s = 0; s < Sub; s++)
            {
                float sy = y + (s + 0.5f) * SubWeight;
                int c = 0;
                for (int ai = 0; ai < na; ai++)
                {
                    int o = active[ai] * 5;
                    if (sy < ex[o] || sy >= ex[o + 1]) continue;
                    float x = ex[o + 2] + (sy - ex[o]) * ex[o + 3];
                    // insertion sort by x
                    int k = c++;
                    int d = (int)ex[o + 4];
                    while (k > 0 && xs[k - 1] > x) { xs[k] = xs[k - 1]; ds[k] = ds[k - 1]; k--; }
                    xs[k] = x; ds[k] = d;
                }
                int before = spanCount;
                int wind = 0;
                float start = 0;
                for (int i = 0; i < c; i++)
                {
                    int prev = wind;
                    wind += ds[i];
                    if (prev == 0 && wind != 0) start = xs[i];
                    else if (prev != 0 && wind == 0)
                    {
                        float a0 = MathF.Max(start - x0, 0f), b0 = MathF.Min(xs[i] - x0, bw);
                        if (b0 <= a0) continue;
                        spanA[spanCount] = a0; spanB[spanCount] = b0;
                        spanCount++;
                    }
                }
                if (spanCount - before != 1) single = false;
            }
            if (spanCount == 0) continue;
            // With exactly one span per sub-scanline, pixels inside all four spans have coverage exactly 1:
            // they are blended directly and only the two ragged ends go through the coverage accumulator.
            int fullL = 0, fullR = 0;
            if (single)
            {
                float l = 0, r = bw;
                for (int k = 0; k < Sub; k++) { l = MathF.Max(l, spanA[k]); r = MathF.Min(r, spanB[k]); }
                fullL = (int)MathF.Ceiling(l);
                fullR = (int)MathF.Floor(r);
                if (fullR - fullL < 8) fullL = fullR = 0;
            }
            int lo = bw, hi = -1;
            for (int k = 0; k < spanCount; k++)
            {
                float a0 = spanA[k], b0 = spanB[k];
                if (fullR > fullL)
                {
                    AddSpan(acc, delta, a0, fullL, bw);
                    AddSpan(acc, delta, fullR, b0, bw);
                }
                else AddSpan(acc, delta, a0, b0, bw);
                lo = Math.Min(lo, (int)a0);
                hi = Math.Max(hi, Math.Min(bw - 1, (int)b0));
            }
            var row = dst.Data.AsSpan(y * dst.Width + x0, bw);
            if (fullR > fullL)
            {
                ApplyFull(row[fullL..fullR], value, blend);
                Accumulated(row, acc, delta, lo, fullL - 1, value, blend);
                Accumulated(row, acc, delta, fullR, hi, value, blend);
            }
            else Accumulated(row, acc, delta, lo, hi, value, blend);
        }
    }

    /// <summary>Blends pixels [lo, hi] of the box row with coverage = partial-pixel terms + running count of
    /// fully covered sub-scanlines, then clears the accumulators there (and one entry past hi).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot pixel loop, called a few times per study
    private static void Accumulated(Span<float> row, float[] acc, int[] delta, int lo, int hi, float value, Blend blend)
    {
        if (hi < lo) return;
        int len = hi - lo + 1;
        var cov = acc.AsSpan(lo, len);
        var dl = delta.AsSpan(lo, len);
        int run = 0;
        for (int i = 0; i < len; i++) { run += dl[i]; cov[i] += run * SubWeight; }
        ApplyRow(row.Slice(lo, len), cov, value, blend);
        acc.AsSpan(lo, len + 1).Clear();
        delta.AsSpan(lo, len + 1).Clear();
    }

    /// <summary>Blends with coverage exactly 1 (the formulas of <see cref="ApplyRow"/> at c = 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot pixel loop, called a few times per study
    private static void ApplyFull(Span<float> dst, float value, Blend blend)
    {
        int i = 0, n = dst.Length;
        ref float d = ref MemoryMarshal.GetReference(dst);
        if (Vector.IsHardwareAccelerated)
        {
            var v = new Vector<float>(value);
            int last = n - Vector<float>.Count;
            if (blend == Blend.Add)
                for (; i <= last; i += Vector<float>.Count)
                    Vector.StoreUnsafe(Vector.LoadUnsafe(ref d, (nuint)i) + v, ref d, (nuint)i);
            else if (blend == Blend.Max)
                for (; i <= last; i += Vector<float>.Count)
                    Vector.StoreUnsafe(Vector.Max(Vector.LoadUnsafe(ref d, (nuint)i), v), ref d, (nuint)i);
            else
                for (; i <= last; i += Vector<float>.Count)
                {
                    var dv = Vector.LoadUnsafe(ref d, (nuint)i);
                    Vector.StoreUnsafe(dv + (v - dv), ref d, (nuint)i);
                }
        }
        for (; i < n; i++)
        {
            ref float dd = ref Unsafe.Add(ref d, i);
            dd = blend switch { Blend.Add => dd + value, Blend.Max => MathF.Max(dd, value), _ => dd + (value - dd) };
        }
    }

    /// <summary>Adds the coverage of span [a, b) (box coordinates) for one sub-scanline: partial end pixels go
    /// to <paramref name="acc"/>, the fully covered interior as +1/-1 steps in <paramref name="delta"/>.
    /// Does nothing when the span is empty after clipping.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddSpan(float[] acc, int[] delta, float a, float b, int bw)
    {
        if (a < 0) a = 0;
        if (b > bw) b = bw;
        if (b <= a) return;
        int ia = (int)a, ib = (int)b;
        if (ia == ib)
        {
            acc[ia] += (b - a) * SubWeight;
            return;
        }
        acc[ia] += (ia + 1 - a) * SubWeight;
        delta[ia + 1]++;
        delta[ib]--;
        if (ib < bw) acc[ib] += (b - ib) * SubWeight;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot pixel loop, called a few times per study
    private static void ApplyRow(Span<float> dst, ReadOnlySpan<float> cov, float value, Blend blend)
    {
        int i = 0, n = dst.Length;
        ref float d = ref MemoryMarshal.GetReference(dst);
        ref float c = ref MemoryMarshal.GetReference(cov);
        if (cov.Length < n) throw new ArgumentException("Coverage shorter than destination.", nameof(cov));
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<float>.One;
            var zero = Vector<float>.Zero;
            var v = new Vector<float>(value);
            int last = n - Vector<float>.Count;
            switch (blend)
            {
                case Blend.Add:
                    for (; i <= last; i += Vector<float>.Count)
                    {
                        var cv = Vector.Max(Vector.Min(Vector.LoadUnsafe(ref c, (nuint)i), one), zero);
                        Vector.StoreUnsafe(Vector.LoadUnsafe(ref d, (nuint)i) + v * cv, ref d, (nuint)i);
                    }
                    break;
                case Blend.Max:
                    for (; i <= last; i += Vector<float>.Count)
                    {
                        var cv = Vector.Min(Vector.LoadUnsafe(ref c, (nuint)i), one);
                        var dv = Vector.LoadUnsafe(ref d, (nuint)i);
                        Vector.StoreUnsafe(Vector.ConditionalSelect(Vector.GreaterThan(cv, zero), Vector.Max(dv, v * cv), dv), ref d, (nuint)i);
                    }
                    break;
                default:
                    for (; i <= last; i += Vector<float>.Count)
                    {
                        var cv = Vector.Max(Vector.Min(Vector.LoadUnsafe(ref c, (nuint)i), one), zero);
                        var dv = Vector.LoadUnsafe(ref d, (nuint)i);
                        Vector.StoreUnsafe(dv + (v - dv) * cv, ref d, (nuint)i);
                    }
                    break;
            }
        }
        for (; i < n; i++)
        {
            float cc = Unsafe.Add(ref c, i);
            if (cc <= 0) continue;
            cc = MathF.Min(cc, 1f);
            ref float dd = ref Unsafe.Add(ref d, i);
            dd = blend switch
            {
                Blend.Add => dd + value * cc,
                Blend.Max => MathF.Max(dd, value * cc),
                _ => dd + (value - dd) * cc,
            };
        }
    }
}
