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

            for (int y = y0; y <= y1; y++)
            {
                var row = acc.AsSpan(0, bw + 1);
                row.Clear();
                bool any = false;
                for (int s = 0; s < Sub; s++)
                {
                    float sy = y + (s + 0.5f) * SubWeight;
                    int c = 0;
                    for (int e = 0; e < ne; e++)
                    {
                        int o = e * 5;
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
                            AddSpan(row, start - x0, xs[i] - x0, bw);
                            any = true;
                        }
                    }
                }
                if (!any) continue;
                ApplyRow(dst.Data.AsSpan(y * dst.Width + x0, bw), row[..bw], value, blend);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(acc);
            ArrayPool<float>.Shared.Return(ex);
            ArrayPool<float>.Shared.Return(xs);
            ArrayPool<int>.Shared.Return(ds);
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
