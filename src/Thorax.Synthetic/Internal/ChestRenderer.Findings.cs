using System.Numerics;
using System.Runtime.CompilerServices;

namespace Thorax.Synthetic.Internal;

internal sealed partial class ChestRenderer
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot pixel loop, called a few times per study
    private RenderInfo BuildFindings(StudyPlan plan, Anatomy an, PneumothoraxShape? ptx, ref Rng rng)
    {
        float s = _s;
        var a = _a.Data;
        var findings = new List<(Vector2, float)>();
        BodySide? pnaSide = null;
        string? pnaZone = null;
        bool effusion = false;
        var w = _w1.Data;
        var ts = _tissue.Data;
        // Haze blobs are collected in _w1 (it still holds the body coverage) and weighted by the lung tissue.
        if (plan.Class != FindingClass.Normal) _w1.Clear();
        _tissue.TryGetTouched(out int tx0, out int ty0, out int tx1, out int ty1);

        if (plan.Class == FindingClass.HeartFailure)
        {
            // Perihilar (bat-wing) haze and, often, small basal effusions with a lateral meniscus.
            foreach (var h in new[] { an.RightHilum, an.LeftHilum })
            {
                float sg = h.X < an.Cx ? -1f : 1f;
                for (int k = 0; k < 3; k++)
                    AddGaussian(_w1, h.X + sg * rng.Range(0.0, 0.06) * s, h.Y + rng.Range(-0.05, 0.08) * s,
                        rng.Range(0.05, 0.08) * s, rng.Range(0.035, 0.06) * s, rng.Range(0.1, 0.18), rng.Range(-0.5, 0.5));
            }
            for (int y = ty0; y <= ty1; y++)
                RowOps.AddProduct(_w1.Row(y)[tx0..(tx1 + 1)], _tissue.Row(y)[tx0..(tx1 + 1)], _a.Row(y)[tx0..(tx1 + 1)]);
            findings.Add((an.HeartCenter, an.HeartWidth * 0.5f));
            findings.Add((an.RightHilum, 0.08f * s));
            findings.Add((an.LeftHilum, 0.08f * s));
            if (rng.Chance(0.6))
            {
                effusion = true;
                AddEffusion(an.RightLung, _lungR, an, rng.Range(0.025, 0.06) * s);
                AddEffusion(an.LeftLung, _lungL, an, rng.Range(0.02, 0.06) * s);
            }
        }
        else if (plan.Class == FindingClass.Pneumonia)
        {
            var side = rng.Chance(0.5) ? BodySide.Right : BodySide.Left;
            string[] zones = ["upper", "middle", "lower"];
            int zi = rng.Next(3);
            var lung = side == BodySide.Right ? _lungR : _lungL;
            var box = RectangleF.Of(an.Lung(side));
            var c = new Vector2(box.X + box.Width / 2, box.Y + box.Height * (zi + 0.5f) / 3);
            for (int tries = 0; tries < 60; tries++)
            {
                float px = box.X + rng.Range(0.1, 0.9) * box.Width;
                float py = box.Y + box.Height * (zi + rng.Range(0.15, 0.85)) / 3;
                int idx = (int)py * _s + (int)px;
                if (lung.Data[idx] > 0.95f && _heart.Data[idx] < 0.05f) { c = new Vector2(px, py); break; }
            }
            float spread = rng.Range(0.035, 0.07) * s;
            int blobs = 6 + rng.Next(9);
            for (int k = 0; k < blobs; k++)
                AddGaussian(_w1, c.X + rng.Normal(0, 1) * spread, c.Y + rng.Normal(0, 0.8) * spread,
                    rng.Range(0.012, 0.035) * s, rng.Range(0.012, 0.03) * s, rng.Range(0.12, 0.3), rng.Range(0, 3.1));
            // Patchy texture: the mottle field sampled 4x coarser (larger blobs).
            int ox = rng.Next(_s), oy = rng.Next(_s);
            var mot = _tex.Mottle;
            for (int y = ty0; y <= ty1; y++)
            {
                int row = y * _s, my = (y / 4 + oy) % _s;
                for (int x = tx0; x <= tx1; x++)
                {
                    int i = row + x;
                    float v = w[i];
                    if (v < 1e-4f) continue;
                    int mx = (x / 4 + ox) % _s;
                    float m = 0.85f + 0.2f * mot[my * _s + mx];
                    a[i] += MathF.Min(v, 0.55f) * MathF.Max(m, 0.4f) * ts[i];
                }
            }
            findings.Add((c, spread * 1.8f));
            pnaSide = side;
            pnaZone = zones[zi];
        }

        if (ptx is not null)
        {
            var side = plan.Pneumothorax!.Side;
            var lungRaster = side == BodySide.Right ? _lungR : _lungL;
            var lung = lungRaster.Data;
            var hd = _heart.Data;
            bool large = plan.Pneumothorax.Size == PneumothoraxSize.Large;
            float extraAir = rng.Range(0.08, 0.14);
            double sx = 0, sy = 0;
            int n = 0;
            // Air and retraction only change pixels inside the lung on that side.
            lungRaster.TryGetTouched(out int lx0, out int ly0, out int lx1, out int ly1);
            for (int y = ly0; y <= ly1; y++)
                for (int x = lx0; x <= lx1; x++)
                {
                    int i = y * _s + x;
                    float gap = lung[i] - ts[i];
                    if (gap > 0.5f) { sx += x; sy += y; n++; }
                    if (gap > 0) a[i] -= extraAir * gap * (1f - hd[i]);
                    else if (large && lung[i] > 0) a[i] += 0.08f * ts[i];
                }
            float lw = MathF.Max(1.3f, 0.0022f * s);
            foreach (var line in ptx.PleuralLines)
                Rasterizer.FillPolygon(_a, Shapes.Ribbon(line, lw, lw), rng.Range(0.16, 0.26), Blend.Add);
            var center = n > 0 ? new Vector2((float)(sx / n), (float)(sy / n)) : ptx.Focus;
            float radius = Math.Clamp(MathF.Sqrt(n / MathF.PI), 0.04f * s, 0.15f * s);
            findings.Add((center, radius));
        }

        double ctr = an.HeartWidth / (2 * an.HalfWidth);
        return new RenderInfo(RectangleF.Of(an.RightLung), RectangleF.Of(an.LeftLung), an.HeartCenter, findings,
            pnaSide, pnaZone, effusion, ctr);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot pixel loop, called a few times per study
    private void AddEffusion(Vector2[] lungPoly, Raster lung, Anatomy an, float height)
    {
        var box = RectangleF.Of(lungPoly);
        float bottom = box.Y + box.Height;
        float lateralX = lungPoly[0].X < an.Cx ? box.X : box.X + box.Width;
        var a = _a.Data;
        int y0 = Math.Max(0, (int)(bottom - height - 0.06f * _s));
        for (int y = y0; y < _s; y++)
        {
            var lr = lung.Row(y);
            for (int x = (int)box.X; x <= Math.Min(_s - 1, (int)(box.X + box.Width)); x++)
            {
                float c = lr[x];
                if (c <= 0) continue;
                float lat = 1f - MathF.Min(1f, MathF.Abs(x - lateralX) / (0.5f * box.Width));
                float level = bottom - height - 0.6f * height * lat;
                a[y * _s + x] += 0.55f * c * PneumothoraxShape.SmoothStep(level - 0.02f * _s, level + 0.015f * _s, y);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot pixel loop, called a few times per study
    private void BuildVessels(StudyPlan plan, Anatomy an, ref Rng rng)
    {
        float s = _s;
        float congest = plan.Class == FindingClass.HeartFailure ? 1.4f : 1f;
        foreach (var side in new[] { BodySide.Right, BodySide.Left })
        {
            float sg = Anatomy.Sign(side);
            var h = an.Hilum(side);
            // Hilar shadow: the main pulmonary artery and bronchus before they branch.
            AddGaussian(_vessel, h.X + sg * 0.01f * s, h.Y, 0.022f * s * congest, 0.035f * s, 0.1f * rng.Range(0.8, 1.2), 0.3f * sg);
            int trunks = 7;
            for (int t = 0; t < trunks; t++)
            {
                float ang = -1.2f + 2.45f * (t + rng.Range(0.2, 0.8)) / trunks;
                var d = new Vector2(sg * MathF.Cos(ang), MathF.Sin(ang));
                float wMul = ang < -0.3f ? (congest > 1 ? 1.35f : 0.85f) : congest;
                Branch(h, d, rng.Range(0.07, 0.1) * s, 0.0095f * s * wMul, 0, ref rng);
            }
        }
        var mot = _tex.Mottle;
        int ox = _tex.Size == _s ? rng.Next(_s) : 0, oy = rng.Next(_s);
        float mk = rng.Range(0.018, 0.03);
        for (int y = 0; y < _s; y++)
        {
            int my = (y + oy) % _s;
            var tr = _tissue.Row(y);
            int first = tr.IndexOfAnyExcept(0f);
            if (first < 0) continue;
            int last = tr.LastIndexOfAnyExcept(0f);
            // a += t * (vessel * (1 - 0.6 heart) + mk * mottle), the mottle row read with a wrap-around offset.
            int split = Math.Clamp(_s - ox, first, last + 1);
            if (split > first)
                RowOps.AddVessels(tr[first..split], _vessel.Row(y)[first..split], _heart.Row(y)[first..split],
                    mot.AsSpan(my * _s + first + ox, split - first), mk, _a.Row(y)[first..split]);
            if (last + 1 > split)
                RowOps.AddVessels(tr[split..(last + 1)], _vessel.Row(y)[split..(last + 1)], _heart.Row(y)[split..(last + 1)],
                    mot.AsSpan(my * _s + split + ox - _s, last + 1 - split), mk, _a.Row(y)[split..(last + 1)]);
        }
    }

    private void Branch(Vector2 p, Vector2 d, float len, float width, int depth, ref Rng rng)
    {
        var perp = new Vector2(-d.Y, d.X);
        var end = p + d * len;
        var mid = p + d * (len * 0.5f) + perp * (len * rng.Normal(0, 0.1));
        var path = Shapes.CatmullRomOpen(new[] { p, mid, end }, 4);
        float value = 0.035f + 0.11f * MathF.Min(1f, width / (0.008f * _s));
        Rasterizer.FillPolygon(_vessel, Shapes.Ribbon(path, width, width * 0.8f), value, Blend.Max);
        if (depth >= 5 || width < 0.9f) return;
        int ex = (int)end.X, ey = (int)end.Y;
        if (ex < 0 || ey < 0 || ex >= _s || ey >= _s || _tissue.Data[ey * _s + ex] < 0.5f) return;
        for (int k = 0; k < 2; k++)
        {
            float ang = (k == 0 ? 1 : -1) * rng.Range(0.25, 0.6) + rng.Normal(0, 0.1);
            float c = MathF.Cos(ang), sn = MathF.Sin(ang);
            var nd = new Vector2(d.X * c - d.Y * sn, d.X * sn + d.Y * c);
            Branch(end, nd, len * rng.Range(0.65, 0.85), width * rng.Range(0.62, 0.75), depth + 1, ref rng);
        }
    }

    private void BuildDevices(StudyPlan plan, Anatomy an, ref Rng rng)
    {
        float s = _s;
        if ((plan.Devices & SupportDevices.EcgLeads) != 0)
        {
            int leads = 3 + rng.Next(2);
            for (int i = 0; i < leads; i++)
            {
                float sg = i % 2 == 0 ? -1f : 1f;
                var c = new Vector2(an.Cx + sg * rng.Range(0.15, 0.32) * s, (i < 2 ? rng.Range(0.12, 0.25) : rng.Range(0.6, 0.8)) * s);
                float r = 0.013f * s;
                Rasterizer.FillPolygon(_a, Shapes.Ellipse(c.X, c.Y, r, r), 0.6f, Blend.Add);
                Rasterizer.FillPolygon(_a, Shapes.Ellipse(c.X, c.Y, 0.65f * r, 0.65f * r), -0.45f, Blend.Add);
                Rasterizer.FillPolygon(_a, Shapes.Ellipse(c.X, c.Y, 0.25f * r, 0.25f * r), 0.9f, Blend.Add);
                var end = new Vector2(c.X + sg * rng.Range(0.05, 0.25) * s, s * 1.05f);
                var wire = Shapes.CubicBezier(c, c + new Vector2(sg * 0.1f * s, 0.1f * s),
                    end + new Vector2(rng.Range(-0.1, 0.1) * s, -0.3f * s), end, 40);
                Rasterizer.FillPolygon(_a, Shapes.Ribbon(wire, 0.003f * s, 0.003f * s), 0.55f, Blend.Add);
            }
        }
        if ((plan.Devices & SupportDevices.ChestTube) != 0)
        {
            float sg = Anatomy.Sign(plan.ChestTubeSide);
            float dome = plan.ChestTubeSide == BodySide.Right ? an.DomeRightY : an.DomeLeftY;
            var outside = new Vector2(an.Cx + sg * (an.BodyHalf + 0.06f * s), dome + 0.1f * s);
            var entry = new Vector2(an.Cx + sg * (an.HalfWidth + 0.005f * s), dome - 0.07f * s);
            var inner = new Vector2(an.Cx + sg * (an.HalfWidth - 0.06f * s), dome - 0.22f * s);
            var tip = new Vector2(an.Cx + sg * rng.Range(0.14, 0.22) * s, an.ApexY + rng.Range(0.05, 0.1) * s);
            var path = Shapes.CatmullRomOpen(new[] { outside, entry, inner, tip }, 16);
            Rasterizer.FillPolygon(_a, Shapes.Ribbon(path, 0.01f * s, 0.009f * s), 0.3f, Blend.Add);
            var stripe = new Vector2[path.Length];
            for (int i = 0; i < path.Length; i++) stripe[i] = path[i] + new Vector2(0.003f * s, 0);
            Rasterizer.FillPolygon(_a, Shapes.Ribbon(stripe, 0.0025f * s, 0.0025f * s), 0.9f, Blend.Add);
            // The tube's region (wall and stripe) for masks/chest-tube.
            Rasterizer.FillPolygon(_tube, Shapes.Ribbon(path, 0.01f * s, 0.009f * s), 1f, Blend.Max);
            Rasterizer.FillPolygon(_tube, Shapes.Ribbon(stripe, 0.0025f * s, 0.0025f * s), 1f, Blend.Max);
        }
    }

    /// <summary>Blurs the attenuation image (detector blur, Gaussian <paramref name="blurSigma"/> pixels), maps it
    /// through the tone curve and adds pixel noise. A small blur is fused with the tone mapping row by row.</summary>
    private void ToBrightness(StudyPlan plan, float blurSigma, ref Rng rng)
    {
        var kernel = Blur.DirectKernel(blurSigma);
        float[]? pad = null;
        if (kernel is not null)
        {
            Blur.VerticalKernel(_a.Data, _w1.Data, _s, _s, kernel);
            pad = new float[_s + kernel.Length];
        }
        else Blur.Gaussian(_a, blurSigma, _w1);
        float k = rng.Range(0.8, 1.2), lo = rng.Range(0.0, 0.06), hi = rng.Range(0.9, 1.0), gamma = rng.Range(0.75, 1.35);
        bool curve = plan.ShortcutCue && _shortcut == ShortcutKind.IntensityCurve;
        float sd = rng.Range(0.004, 0.011);
        ulong noiseSeed = rng.NextULong();
        var tone = new ToneMapper(av =>
        {
            float b = 1f - MathF.Exp(-k * MathF.Max(av, 0f));
            b = Math.Clamp((b - lo) / (hi - lo), 0f, 1f);
            b = MathF.Pow(b, gamma);
            return curve ? 0.12f + 0.8f * MathF.Pow(b, 0.6f) : b;
        }, sd, _tex.Normals);
        for (int y = 0; y < _s; y++)
        {
            var row = _a.Row(y);
            if (kernel is not null) Blur.HorizontalRow(_w1.Row(y), row, kernel, pad!);
            tone.MapRow(row, noiseSeed + (ulong)y * 0xD1B54A32D192ED03UL);
        }
    }

    private void BuildMarkers(StudyPlan plan, Anatomy an, ref Rng rng)
    {
        float s = _s;
        float cell = MathF.Max(1f, MathF.Round(0.0045f * s));
        // Laterality marker on the patient's right (image left), as on most PA films.
        Glyphs.Draw(_a, "R", MathF.Round(rng.Range(0.03, 0.08) * s), MathF.Round(rng.Range(0.12, 0.2) * s), cell, rng.Range(0.85, 0.98));
        if (!plan.ShortcutCue) return;
        if (_shortcut == ShortcutKind.CornerMarker)
        {
            float m = MathF.Round(0.035f * s), x = s - m - MathF.Round(0.02f * s), y = MathF.Round(0.02f * s);
            Rasterizer.FillPolygon(_a, new Vector2[] { new(x, y), new(x + m, y), new(x + m, y + m), new(x, y + m) }, 1f, Blend.Over);
        }
        else if (_shortcut == ShortcutKind.TextToken)
        {
            float c = MathF.Max(1f, MathF.Round(0.005f * s));
            Glyphs.Draw(_a, "PORTABLE", MathF.Round(0.02f * s), MathF.Round(0.02f * s), c, 0.95f);
        }
    }
}
