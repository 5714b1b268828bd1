using System.Buffers;
using System.Numerics;

namespace Thorax.Synthetic.Internal;

/// <summary>Anti-aliased polygon fill (non-zero winding) with 4 sub-scanlines per row and exact
/// horizontal span coverage. Coordinates are in pixels; pixel (x, y) covers [x, x+1) x [y, y+1).</summary>
internal static class Rasterizer
{
    private const int Sub = 4;
    private const float SubWeight = 1f / Sub;

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

        float[] acc = ArrayPool<float>.Shared.Rent(bw + 1);
        float[] ex = ArrayPool<float>.Shared.Rent(n * 5);
        float[] xs = ArrayPool<float>.Shared.Rent(n);
        int[] ds = ArrayPool<int>.Shared.Rent(n);
        int[] order = ArrayPool<int>.Shared.Rent(n);
        int[] active = ArrayPool<int>.Shared.Rent(n);
        float[] keys = ArrayPool<float>.Shared.Rent(n);
        try
        {
            // Edge table: (ya, yb, xa, slope, dir) for non-horizontal edges, ya < yb.
            int ne = 0;
            for (int i = 0; i < n; i++)
            {
                Vector2 a = poly[i], b = poly[(i + 1) % n];
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

            acc.AsSpan(0, bw + 1).Clear();
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
                var row = acc.AsSpan(0, bw + 1);
                int lo = bw, hi = -1;
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
                    if (c < 2) continue;
                    int wind = 0;
                    float start = 0;
                    for (int i = 0; i < c; i++)
                    {
                        int prev = wind;
                        wind += ds[i];
                        if (prev == 0 && wind != 0) start = xs[i];
                        else if (prev != 0 && wind == 0)
                        {
                            float a0 = start - x0, b0 = xs[i] - x0;
                            AddSpan(row, a0, b0, bw);
                            lo = Math.Min(lo, Math.Max(0, (int)a0));
                            hi = Math.Max(hi, Math.Min(bw - 1, (int)b0));
                        }
                    }
                }
                if (hi < lo) continue;
                ApplyRow(dst.Data.AsSpan(y * dst.Width + x0 + lo, hi - lo + 1), row.Slice(lo, hi - lo + 1), value, blend);
                row.Slice(lo, hi - lo + 1).Clear();
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(acc);
            ArrayPool<float>.Shared.Return(ex);
            ArrayPool<float>.Shared.Return(xs);
            ArrayPool<int>.Shared.Return(ds);
            ArrayPool<int>.Shared.Return(order);
            ArrayPool<int>.Shared.Return(active);
            ArrayPool<float>.Shared.Return(keys);
        }
    }

    private static void AddSpan(Span<float> acc, float a, float b, int bw)
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
        for (int k = ia + 1; k < ib; k++) acc[k] += SubWeight;
        if (ib < bw) acc[ib] += (b - ib) * SubWeight;
    }

    private static void ApplyRow(Span<float> dst, ReadOnlySpan<float> cov, float value, Blend blend)
    {
        switch (blend)
        {
            case Blend.Add:
                for (int i = 0; i < dst.Length; i++)
                {
                    float c = cov[i];
                    if (c > 0) dst[i] += value * MathF.Min(c, 1f);
                }
                break;
            case Blend.Max:
                for (int i = 0; i < dst.Length; i++)
                {
                    float c = cov[i];
                    if (c > 0) dst[i] = MathF.Max(dst[i], value * MathF.Min(c, 1f));
                }
                break;
            default:
                for (int i = 0; i < dst.Length; i++)
                {
                    float c = cov[i];
                    if (c > 0) dst[i] += (value - dst[i]) * MathF.Min(c, 1f);
                }
                break;
        }
    }
}
