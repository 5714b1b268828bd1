using System.Numerics;

namespace Thorax.Synthetic.Internal;

/// <summary>Geometry of a pneumothorax: the lung outline (chest wall) stays, the visceral pleura
/// retracts toward the hilum around a focus point; the gap between them is the pleural air.</summary>
internal sealed class PneumothoraxShape
{
    public required Vector2[] Retracted { get; init; }
    public required List<Vector2[]> PleuralLines { get; init; }
    public required Vector2 Focus { get; init; }

    /// <param name="depthScale">Multiplies the rim depth and extent of each size class (1 for procedural chests).</param>
    public static PneumothoraxShape Create(Vector2[] lung, Vector2 hilum, float cx, float size, PneumothoraxFinding f, float depthScale = 1f)
    {
        int n = lung.Length;
        float minY = float.MaxValue, maxY = float.MinValue;
        foreach (var p in lung) { minY = MathF.Min(minY, p.Y); maxY = MathF.Max(maxY, p.Y); }
        float h = maxY - minY;

        int focus = 0;
        float best = float.MinValue;
        for (int i = 0; i < n; i++)
        {
            var p = lung[i];
            float lat = MathF.Abs(p.X - cx);
            float score = f.Location switch
            {
                PneumothoraxLocation.Apical => -p.Y + 0.15f * lat,
                PneumothoraxLocation.Lateral => p.Y > minY + 0.3f * h && p.Y < minY + 0.65f * h ? lat : float.MinValue,
                _ => 0.8f * lat + (p.Y - minY),
            };
            if (score > best) { best = score; focus = i; }
        }
        var fp = lung[focus];
        (float radius, float depth, float floor) = f.Size switch
        {
            PneumothoraxSize.Small => (0.10f, 0.016f, 0f),
            PneumothoraxSize.Moderate => (0.16f, 0.035f, 0f),
            _ => (0.30f, 0.07f, 0.45f),
        };
        radius *= size * MathF.Sqrt(depthScale);
        depth *= size * depthScale;

        var w = new float[n];
        var ret = new Vector2[n];
        for (int i = 0; i < n; i++)
        {
            var p = lung[i];
            float d = Vector2.Distance(p, fp);
            float wi = MathF.Max(MathF.Exp(-0.5f * d * d / (radius * radius)), floor);
            float lat = MathF.Abs(p.X - cx);
            wi *= SmoothStep(0.06f * size, 0.12f * size, lat);
            if (wi < 0.02f) wi = 0;
            w[i] = wi;
            var toH = hilum - p;
            float len = toH.Length();
            float shift = MathF.Min(depth * wi, 0.7f * len);
            ret[i] = len > 1e-3f ? p + toH / len * shift : p;
        }

        var lines = new List<Vector2[]>();
        var run = new List<Vector2>();
        // Start the walk at a vertex with low weight so runs do not wrap around index 0.
        int start = 0;
        for (int i = 0; i < n; i++) if (w[i] < w[start]) start = i;
        for (int k = 0; k <= n; k++)
        {
            int i = (start + k) % n;
            if (w[i] > 0.2f && k < n) run.Add(ret[i]);
            else if (run.Count > 0)
            {
                if (run.Count >= 3) lines.Add(run.ToArray());
                run.Clear();
            }
        }
        return new PneumothoraxShape { Retracted = ret, PleuralLines = lines, Focus = fp };
    }

    public static float SmoothStep(float e0, float e1, float x)
    {
        float t = Math.Clamp((x - e0) / (e1 - e0), 0f, 1f);
        return t * t * (3 - 2 * t);
    }
}
