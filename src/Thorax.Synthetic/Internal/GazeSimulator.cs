using System.Numerics;

namespace Thorax.Synthetic.Internal;

/// <summary>Simulated radiologist reading of a PA film: an initial central glance, a systematic survey of
/// six lung zones (right-then-left or the reverse), heart, mediastinum and costophrenic angles, with clusters
/// of longer fixations on each finding, glances at devices and burned-in text, and a confirming return to each
/// finding at the end. Durations are log-normal
/// (median 0.22 s survey, 0.35 s dwell) and saccades take 20-50 ms.</summary>
internal static class GazeSimulator
{
    public static List<Fixation> Simulate(RenderInfo info, int size, ref Rng rng)
    {
        var fx = new List<Fixation>(64);
        double t = rng.Range(0.4, 1.2);
        var findings = info.Findings;
        var rl = info.RightLungBox;
        var ll = info.LeftLungBox;

        void Add(Vector2 p, double median, ref Rng r)
        {
            float x = Math.Clamp(p.X, 0f, size - 1f), y = Math.Clamp(p.Y, 0f, size - 1f);
            double d = median * Math.Exp(0.35 * r.Normal());
            fx.Add(new Fixation(x, y, Math.Round(t, 4), Math.Round(d, 4)));
            t += d + r.Range(0.02, 0.05);
        }

        void Zone(RectangleF box, float v0, float v1, int count, ref Rng r)
        {
            for (int i = 0; i < count; i++)
                Add(new Vector2(box.X + box.Width * r.Range(0.2, 0.8), box.Y + box.Height * r.Range(v0, v1)), 0.22, ref r);
        }

        void Dwell((Vector2 Center, float Radius) f, int count, ref Rng r)
        {
            for (int i = 0; i < count; i++)
                Add(f.Center + new Vector2(r.Normal(0, 0.45) * f.Radius, r.Normal(0, 0.45) * f.Radius), 0.35, ref r);
        }

        Add(new Vector2(size * 0.5f + rng.Normal(0, 0.03) * size, size * 0.45f + rng.Normal(0, 0.03) * size), 0.25, ref rng);
        // Salient findings are often caught at first glance.
        var noticed = new bool[findings.Count];
        for (int i = 0; i < findings.Count; i++)
            if (rng.Chance(0.5)) { Dwell(findings[i], 2 + rng.Next(3), ref rng); noticed[i] = true; }

        bool rightFirst = rng.Chance(0.7);
        var boxes = rightFirst ? new[] { rl, ll } : new[] { ll, rl };
        foreach (var box in boxes)
            for (int z = 0; z < 3; z++)
            {
                Zone(box, z / 3f, (z + 1) / 3f, 2 + rng.Next(3), ref rng);
                for (int i = 0; i < findings.Count; i++)
                {
                    var c = findings[i].Center;
                    bool inZone = c.X >= box.X && c.X <= box.X + box.Width
                        && c.Y >= box.Y + box.Height * z / 3f && c.Y <= box.Y + box.Height * (z + 1) / 3f;
                    if (inZone && !noticed[i]) { Dwell(findings[i], 4 + rng.Next(6), ref rng); noticed[i] = true; }
                }
            }
        Dwell((info.HeartCenter, 0.06f * size), 2 + rng.Next(2), ref rng);
        Add(new Vector2(size * 0.5f, rl.Y + rl.Height * 0.25f), 0.22, ref rng);
        Add(new Vector2(rl.X + rl.Width * 0.1f, rl.Y + rl.Height * 0.95f), 0.2, ref rng);
        Add(new Vector2(ll.X + ll.Width * 0.9f, ll.Y + ll.Height * 0.95f), 0.2, ref rng);
        // Devices and burned-in text draw a glance or two (none on studies without them, so the draws above are
        // unchanged for those).
        foreach (var d in info.Distractors)
            if (rng.Chance(0.6)) Dwell((d, 0.015f * size), 1 + rng.Next(2), ref rng);
        for (int i = 0; i < findings.Count; i++)
        {
            if (!noticed[i]) Dwell(findings[i], 4 + rng.Next(5), ref rng);
            Dwell(findings[i], 2 + rng.Next(3), ref rng);
        }
        return fx;
    }
}
