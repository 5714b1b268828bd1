using System.Numerics;

namespace Thorax.Synthetic.Internal;

/// <summary>Polygon builders: ellipses, splines, Bezier curves and variable-width ribbons.</summary>
internal static class Shapes
{
    public static Vector2[] Ellipse(float cx, float cy, float rx, float ry, float rotation = 0f, int segments = 0)
    {
        if (segments <= 0) segments = Math.Clamp((int)(MathF.Max(rx, ry) * 0.8f), 16, 256);
        var pts = new Vector2[segments];
        float c = MathF.Cos(rotation), s = MathF.Sin(rotation);
        for (int i = 0; i < segments; i++)
        {
            float t = 2f * MathF.PI * i / segments;
            float ex = rx * MathF.Cos(t), ey = ry * MathF.Sin(t);
            pts[i] = new Vector2(cx + ex * c - ey * s, cy + ex * s + ey * c);
        }
        return pts;
    }

    /// <summary>Closed centripetal-free (uniform) Catmull-Rom spline through the control points.</summary>
    public static Vector2[] CatmullRomClosed(ReadOnlySpan<Vector2> ctrl, int perSpan)
    {
        int n = ctrl.Length;
        var pts = new Vector2[n * perSpan];
        for (int i = 0; i < n; i++)
        {
            Vector2 p0 = ctrl[(i - 1 + n) % n], p1 = ctrl[i], p2 = ctrl[(i + 1) % n], p3 = ctrl[(i + 2) % n];
            for (int k = 0; k < perSpan; k++)
                pts[i * perSpan + k] = CatmullRom(p0, p1, p2, p3, (float)k / perSpan);
        }
        return pts;
    }

    /// <summary>Open Catmull-Rom spline through all control points (end tangents by reflection).</summary>
    public static Vector2[] CatmullRomOpen(ReadOnlySpan<Vector2> ctrl, int perSpan)
    {
        int n = ctrl.Length;
        if (n < 2) return ctrl.ToArray();
        var pts = new Vector2[(n - 1) * perSpan + 1];
        for (int i = 0; i < n - 1; i++)
        {
            Vector2 p1 = ctrl[i], p2 = ctrl[i + 1];
            Vector2 p0 = i > 0 ? ctrl[i - 1] : 2 * p1 - p2;
            Vector2 p3 = i + 2 < n ? ctrl[i + 2] : 2 * p2 - p1;
            for (int k = 0; k < perSpan; k++)
                pts[i * perSpan + k] = CatmullRom(p0, p1, p2, p3, (float)k / perSpan);
        }
        pts[^1] = ctrl[n - 1];
        return pts;
    }

    public static Vector2[] CubicBezier(Vector2 p0, Vector2 p1, Vector2 p2, Vector2 p3, int segments)
    {
        var pts = new Vector2[segments + 1];
        for (int i = 0; i <= segments; i++)
        {
            float t = (float)i / segments, u = 1 - t;
            pts[i] = u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3;
        }
        return pts;
    }

    private static Vector2 CatmullRom(Vector2 p0, Vector2 p1, Vector2 p2, Vector2 p3, float t)
    {
        float t2 = t * t, t3 = t2 * t;
        return 0.5f * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2 + (3 * p1 - p0 - 3 * p2 + p3) * t3);
    }

    /// <summary>Closed polygon around a polyline with a width that goes linearly from
    /// <paramref name="w0"/> to <paramref name="w1"/> (pixels, full width).</summary>
    public static Vector2[] Ribbon(ReadOnlySpan<Vector2> path, float w0, float w1)
    {
        int n = path.Length;
        if (n < 2) return [];
        var poly = new Vector2[2 * n];
        for (int i = 0; i < n; i++)
        {
            Vector2 a = path[Math.Max(0, i - 1)], b = path[Math.Min(n - 1, i + 1)];
            Vector2 d = b - a;
            float len = d.Length();
            Vector2 nrm = len > 1e-6f ? new Vector2(-d.Y / len, d.X / len) : new Vector2(0, 1);
            float w = 0.5f * (w0 + (w1 - w0) * i / (n - 1));
            poly[i] = path[i] + nrm * w;
            poly[2 * n - 1 - i] = path[i] - nrm * w;
        }
        return poly;
    }

    /// <summary>Scales normalised coordinates (0..1) to pixels, in place.</summary>
    public static Vector2[] Scale(Vector2[] pts, float width, float height)
    {
        for (int i = 0; i < pts.Length; i++) pts[i] = new Vector2(pts[i].X * width, pts[i].Y * height);
        return pts;
    }

    /// <summary>Area-weighted centroid of a simple polygon.</summary>
    public static Vector2 Centroid(ReadOnlySpan<Vector2> poly)
    {
        double a = 0, cx = 0, cy = 0;
        for (int i = 0; i < poly.Length; i++)
        {
            Vector2 p = poly[i], q = poly[(i + 1) % poly.Length];
            double cross = (double)p.X * q.Y - (double)q.X * p.Y;
            a += cross;
            cx += (p.X + q.X) * cross;
            cy += (p.Y + q.Y) * cross;
        }
        if (Math.Abs(a) < 1e-9) return poly.Length > 0 ? poly[0] : Vector2.Zero;
        return new Vector2((float)(cx / (3 * a)), (float)(cy / (3 * a)));
    }
}
