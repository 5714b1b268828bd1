using System.Numerics;

namespace Thorax.Synthetic.Internal;

/// <summary>Per-study geometry of a PA chest radiograph, in pixels. Built from a handful of randomised
/// normalised landmarks (thorax half-width, apex and diaphragm levels, cardiothoracic ratio) joined by
/// Catmull-Rom splines.</summary>
internal sealed class Anatomy
{
    public required float Size { get; init; }
    public required float Cx { get; init; }
    public required float HalfWidth { get; init; }
    public required float BodyHalf { get; init; }
    public required float ApexY { get; init; }
    public required float DomeRightY { get; init; }
    public required float DomeLeftY { get; init; }
    public required Vector2[] Body { get; init; }
    public required Vector2[][] Arms { get; init; }
    public required Vector2[] RightLung { get; init; }
    public required Vector2[] LeftLung { get; init; }
    public required Vector2[] Heart { get; init; }
    public required Vector2 HeartCenter { get; init; }
    public required float HeartWidth { get; init; }
    public required Vector2[] Mediastinum { get; init; }
    public required Vector2[] AorticKnob { get; init; }
    public required Vector2[] Trachea { get; init; }
    public required Vector2 RightHilum { get; init; }
    public required Vector2 LeftHilum { get; init; }
    public required float RibSpacing { get; init; }
    public required bool Female { get; init; }

    public Vector2[] Lung(BodySide side) => side == BodySide.Right ? RightLung : LeftLung;
    public Vector2 Hilum(BodySide side) => side == BodySide.Right ? RightHilum : LeftHilum;

    /// <summary>Image-x sign of a side: patient right is image left (-1).</summary>
    public static float Sign(BodySide side) => side == BodySide.Right ? -1f : 1f;

    public static Anatomy Create(ref Rng rng, int size, bool enlargedHeart, bool female)
    {
        float s = size;
        float cx = 0.5f + rng.Normal(0, 0.008);
        float hw = rng.Range(0.33, 0.39);
        float apex = rng.Range(0.09, 0.14);
        float domeR = rng.Range(0.66, 0.73);
        float domeL = domeR + rng.Range(0.01, 0.03);
        float bodyHalf = hw + rng.Range(0.06, 0.11);
        var rngCopy = rng;

        Vector2 P(float x, float y) => new(x * s, y * s);
        float J() => rngCopy.Normal(0, 0.004);

        Vector2[] LungPoints(float sign, float dome)
        {
            float cp = dome + rngCopy.Range(0.06, 0.09);
            float medial = sign < 0 ? 0.06f : 0.055f;
            (float dx, float y)[] c =
            [
                (0.13f + J(), apex),
                (0.185f, apex + 0.015f + J()),
                (0.245f + J(), apex + 0.075f),
                (hw - 0.045f + J(), apex + 0.2f),
                (hw - 0.01f + J(), cp - 0.17f),
                (hw, cp - 0.06f),
                (hw - 0.018f, cp),
                (hw - 0.07f, dome + 0.04f + J()),
                (0.17f, dome + 0.008f),
                (0.10f, dome + J()),
                (medial + 0.005f, dome + 0.03f),
                (medial, dome - 0.07f),
                (medial + 0.012f + J(), 0.44f),
                (medial + 0.02f, 0.36f),
                (medial + 0.003f, apex + 0.12f),
                (0.085f, apex + 0.025f),
            ];
            var ctrl = new Vector2[c.Length];
            for (int i = 0; i < c.Length; i++) ctrl[i] = P(cx + sign * c[i].dx, c[i].y);
            if (sign > 0) Array.Reverse(ctrl); // keep a consistent orientation
            return Shapes.CatmullRomClosed(ctrl, 12);
        }

        var right = LungPoints(-1, domeR);
        var left = LungPoints(1, domeL);

        float ctr = enlargedHeart ? rngCopy.Range(0.55, 0.66) : rngCopy.Range(0.40, 0.49);
        float heartW = ctr * 2 * hw;
        float rx = heartW * 0.5f, ry = heartW * 0.37f;
        float hcx = cx + 0.15f * heartW, hcy = domeL + 0.05f - ry * 0.8f;
        float rot = rngCopy.Range(0.25, 0.45);
        // Heart as a slightly egg-shaped closed spline: a bigger left-ventricle bulge (image right).
        var hctrl = new Vector2[12];
        float cr = MathF.Cos(rot), sr = MathF.Sin(rot);
        for (int i = 0; i < hctrl.Length; i++)
        {
            float t = 2 * MathF.PI * i / hctrl.Length;
            float ex = MathF.Cos(t), ey = MathF.Sin(t);
            float bulge = ex > 0 ? 1.05f : 0.92f;
            float x = rx * ex * bulge, y = ry * ey * (ey < 0 ? 0.9f : 1f);
            hctrl[i] = P(hcx + x * cr - y * sr, hcy + x * sr + y * cr);
        }
        var heart = Shapes.CatmullRomClosed(hctrl, 8);
        float heartTop = hcy - ry * 0.9f;

        var med = Shapes.CatmullRomClosed(new[]
        {
            P(cx - 0.055f, -0.02f), P(cx + 0.055f, -0.02f), P(cx + 0.055f, apex + 0.1f),
            P(cx + 0.065f, heartTop + 0.03f), P(cx + 0.05f, heartTop + 0.12f), P(cx - 0.05f, heartTop + 0.12f),
            P(cx - 0.07f, heartTop + 0.04f), P(cx - 0.06f, apex + 0.12f),
        }, 8);
        var knob = Shapes.Ellipse(s * (cx + 0.05f), s * (apex + rngCopy.Range(0.15, 0.18)), s * 0.035f, s * 0.03f);
        float carina = apex + rngCopy.Range(0.17, 0.21);
        var trachea = Shapes.CatmullRomOpen(new[] { P(cx, -0.02f), P(cx + 0.002f, apex + 0.08f), P(cx + 0.006f, carina) }, 10);

        var body = Shapes.CatmullRomClosed(new[]
        {
            P(cx - 0.085f, -0.05f), P(cx - 0.09f, 0.05f), P(cx - 0.2f, 0.075f), P(cx - 0.35f, 0.1f),
            P(cx - bodyHalf, 0.18f), P(cx - bodyHalf + 0.01f, 0.5f), P(cx - bodyHalf - 0.01f, 0.95f),
            P(cx - bodyHalf, 1.1f), P(cx + bodyHalf, 1.1f), P(cx + bodyHalf + 0.01f, 0.95f),
            P(cx + bodyHalf - 0.01f, 0.5f), P(cx + bodyHalf, 0.18f), P(cx + 0.35f, 0.1f), P(cx + 0.2f, 0.075f),
            P(cx + 0.09f, 0.05f), P(cx + 0.085f, -0.05f),
        }, 10);

        var arms = new List<Vector2[]>();
        if (bodyHalf < 0.46f && rngCopy.Chance(0.6))
        {
            float gap = rngCopy.Range(0.015, 0.04);
            foreach (float sign in new[] { -1f, 1f })
            {
                float inner = bodyHalf + gap, outer = bodyHalf + gap + 0.14f;
                arms.Add(Shapes.CatmullRomClosed(new[]
                {
                    P(cx + sign * inner, 0.25f), P(cx + sign * (inner + 0.01f), 0.6f), P(cx + sign * inner, 1.1f),
                    P(cx + sign * outer, 1.1f), P(cx + sign * outer, 0.2f), P(cx + sign * (inner + 0.05f), 0.14f),
                }, 8));
            }
        }

        float hilumY = rngCopy.Range(0.40, 0.45);
        rng = rngCopy;
        return new Anatomy
        {
            Size = s, Cx = cx * s, HalfWidth = hw * s, BodyHalf = bodyHalf * s, ApexY = apex * s,
            DomeRightY = domeR * s, DomeLeftY = domeL * s, Body = body, Arms = arms.ToArray(),
            RightLung = right, LeftLung = left, Heart = heart, HeartCenter = P(hcx, hcy), HeartWidth = heartW * s,
            Mediastinum = med, AorticKnob = knob, Trachea = trachea,
            RightHilum = P(cx - 0.085f, hilumY), LeftHilum = P(cx + 0.08f, hilumY - 0.015f),
            RibSpacing = (domeR - apex) / 7.6f * s, Female = female,
        };
    }
}
