using System.Numerics;

namespace Thorax.Synthetic.Internal;

internal sealed partial class RealChestRenderer
{
    /// <summary>Cardiomegaly: the heart borders (the lungs' medial borders beside the silhouette) move into the lungs,
    /// mostly on the patient's left (image right), with a bulge peaking in the lower half; the lung they cover takes
    /// the density of the heart and leaves the lung masks. Returns the new silhouette width.</summary>
    private int EnlargeHeart(Lung r, Lung l, byte[] heart, byte[] right, byte[] left, byte[] evidence, float heartLevel,
        ref Rng rng, out Vector2 center)
    {
        int s = _s;
        float grow = rng.Range(0.04, 0.075) * s, growR = grow * rng.Range(0.3, 0.5);
        int y0 = -1, y1 = -1;
        for (int y = 0; y < s; y++)
            if (heart.AsSpan(y * s, s).IndexOfAnyExcept((byte)0) >= 0) { if (y0 < 0) y0 = y; y1 = y; }
        _cov.Clear();
        int width = 0;
        if (y0 >= 0)
        {
            for (int y = y0; y <= y1; y++)
            {
                float u = (float)(y - y0) / Math.Max(1, y1 - y0);
                float prof = MathF.Sin(MathF.PI * MathF.Min(1f, 0.1f + 0.85f * u)); // bulge in the lower half
                float fa = r.Medial(y) + 1 - growR * prof, fb = l.Medial(y) + grow * prof;
                var cr = _cov.Row(y);
                for (int x = Math.Max(0, (int)fa); x <= Math.Min(s - 1, (int)MathF.Ceiling(fb)); x++)
                    cr[x] = Math.Clamp(x + 1 - fa, 0f, 1f) * Math.Clamp(fb - x, 0f, 1f);
                width = Math.Max(width, (int)(fb - fa));
            }
        }
        Blur.Gaussian(_cov, MathF.Max(0.7f, 0.006f * s), _scratch);
        var bd = _b.Data;
        var c2 = _cov.Data;
        // The density the new part takes: per row, the silhouette's own brightness just inside each border (so the
        // widened heart does not get a band brighter than the heart itself).
        var rowLevelR = new float[s];
        var rowLevelL = new float[s];
        int inset = Math.Max(2, (int)(0.025f * s));
        for (int y = 0; y < s; y++)
        {
            rowLevelR[y] = rowLevelL[y] = heartLevel;
            if (y < y0 || y > y1) continue;
            rowLevelR[y] = MeanRow(y, r.Medial(y) + 1, r.Medial(y) + inset, heartLevel);
            rowLevelL[y] = MeanRow(y, l.Medial(y) - inset, l.Medial(y) - 1, heartLevel);
        }
        float mid = 0.5f * (r.Right + l.Left);
        double sx = 0, sy = 0;
        long cnt = 0;
        for (int i = 0; i < bd.Length; i++)
        {
            float c = c2[i];
            bool lung = (right[i] | left[i]) != 0;
            int yy = i / s;
            float level = (i % s) < mid ? rowLevelR[yy] : rowLevelL[yy];
            int xx = i % s;
            bool interior = yy >= y0 && yy <= y1 && xx > r.Medial(yy) + inset && xx < l.Medial(yy) - inset;
            if (c > 0.002f && !interior) bd[i] += c * 0.95f * MathF.Max(0f, level - bd[i]);
            if (heart[i] != 0 || (lung && c >= 0.5f))
            {
                heart[i] = 255;
                evidence[i] = 255;
                sx += i % s; sy += i / s; cnt++;
            }
        }
        center = cnt > 0 ? new Vector2((float)(sx / cnt), (float)(sy / cnt)) : new Vector2(0.5f * s, 0.6f * s);
        return Math.Max(width, 1);
    }

    private float MeanRow(int y, int x0, int x1, float fallback)
    {
        x0 = Math.Max(0, x0); x1 = Math.Min(_s - 1, x1);
        if (x1 < x0) return fallback;
        double sum = 0;
        for (int x = x0; x <= x1; x++) sum += _b.Data[y * _s + x];
        return (float)(sum / (x1 - x0 + 1));
    }

    /// <summary>Soft lung coverage (both lungs, 0..1), blurred by <paramref name="sigma"/>, into <see cref="_cov2"/>.</summary>
    private void LungCoverage(byte[] right, byte[] left, float sigma)
    {
        var c = _cov2.Data;
        for (int i = 0; i < c.Length; i++) c[i] = (right[i] | left[i]) != 0 ? 1f : 0f;
        Blur.Gaussian(_cov2, sigma, _scratch);
    }

    /// <summary>Perihilar (bat-wing) haze: soft density around both hila, inside the lungs, pulling toward soft tissue
    /// and blurring the lung markings there.</summary>
    private void Perihilar(Lung r, Lung l, byte[] right, byte[] left, byte[] evidence, float heartLevel,
        List<(Vector2, float)> findings, ref Rng rng)
    {
        int s = _s;
        _field.Clear();
        foreach (var lung in new[] { r, l })
        {
            var h = Hilum(lung);
            float sg = lung.Side == BodySide.Right ? -1f : 1f;
            for (int k = 0; k < 3; k++)
                ChestRenderer.AddGaussian(_field, h.X + sg * rng.Range(0.0, 0.05) * s, h.Y + rng.Range(-0.05, 0.08) * s,
                    rng.Range(0.05, 0.08) * s, rng.Range(0.035, 0.06) * s, rng.Range(0.25, 0.45), rng.Range(-0.5, 0.5));
            findings.Add((h, 0.08f * s));
        }
        LungCoverage(right, left, MathF.Max(1f, 0.01f * s));
        LowPass(MathF.Max(1f, 0.006f * s));
        // Moderate haze: at twice this strength a lung segmenter trained on normal lungs cut the hazy perihilar lung
        // out (mean Dice -0.013 on heart-failure studies against -0.0075 here; lungs realism).
        float amp = rng.Range(0.175, 0.3);
        var bd = _b.Data;
        var low = _low.Data;
        var fd = _field.Data;
        var lc = _cov2.Data;
        for (int i = 0; i < bd.Length; i++)
        {
            float hz = MathF.Min(fd[i], 0.7f) * lc[i];
            if (hz <= 1e-3f) continue;
            float v = bd[i] + 0.5f * hz * (low[i] - bd[i]);
            bd[i] = v + hz * amp * MathF.Max(0f, heartLevel - v);
            if (hz > 0.15f) evidence[i] = 255;
        }
    }

    /// <summary>Small effusion blunting the costophrenic angle: a meniscus rising laterally, as dense as the
    /// upper abdomen; its opaque part is evidence and leaves the lung mask.</summary>
    private void Effusion(Lung lung, byte[] evidence, float heartLevel, float height, List<(Vector2, float)> findings)
    {
        int s = _s;
        var bd = _b.Data;
        float bottom = lung.Bottom;
        float lateralX = lung.Side == BodySide.Right ? lung.Left : lung.Right;
        float target = MathF.Max(heartLevel, BelowLungLevel(lung));
        int y0 = Math.Max(0, (int)(bottom - 1.6f * height - 0.03f * s));
        // Reach a little beyond the mask (whose edge sits inside the visible lung border), fading out, so the
        // meniscus meets the diaphragm and chest wall without a seam; the pull toward the target does nothing where
        // the image is already that dense.
        int reach = Math.Max(2, (int)(0.015f * s));
        var soft = _cov2;
        soft.Clear();
        for (int y = Math.Max(0, y0 - reach); y <= Math.Min(s - 1, lung.Bottom + reach); y++)
            for (int x = Math.Max(0, lung.Left - reach); x <= Math.Min(s - 1, lung.Right + reach); x++)
                if (lung.Mask[y * s + x] != 0) soft.Data[y * s + x] = 1f;
        Blur.Gaussian(soft, reach * 0.6f, _scratch);
        for (int y = y0; y <= Math.Min(s - 1, lung.Bottom + reach); y++)
            for (int x = Math.Max(0, lung.Left - reach); x <= Math.Min(s - 1, lung.Right + reach); x++)
            {
                int i = y * s + x;
                float k = lung.Mask[i] != 0 ? 1f : MathF.Min(1f, 2f * soft.Data[i]);
                if (k <= 0) continue;
                float lat = 1f - MathF.Min(1f, MathF.Abs(x - lateralX) / (0.5f * lung.Width));
                float level = bottom - height - 0.6f * height * lat;
                float c = PneumothoraxShape.SmoothStep(level - 0.02f * s, level + 0.015f * s, y);
                if (c <= 0) continue;
                bd[i] += 0.85f * c * k * MathF.Max(0f, target - bd[i]);
                // Pleural fluid is not aerated lung: where the meniscus is opaque it leaves the lung field.
                if (c >= 0.5f && lung.Mask[i] != 0) { evidence[i] = 255; lung.Mask[i] = 0; }
            }
        findings.Add((new Vector2(lateralX + (lung.Side == BodySide.Right ? 0.1f : -0.1f) * lung.Width, bottom - height), 0.05f * s));
    }

    /// <summary>Mean brightness of the band just below a lung (the diaphragm and upper abdomen).</summary>
    private float BelowLungLevel(Lung lung)
    {
        int s = _s;
        double sum = 0;
        int cnt = 0;
        for (int y = lung.Bottom + 2; y < Math.Min(s, lung.Bottom + 2 + (int)(0.04f * s) + 1); y++)
            for (int x = lung.Left; x <= lung.Right; x++) { sum += _b.Data[y * s + x]; cnt++; }
        return cnt > 0 ? (float)(sum / cnt) : 0.7f;
    }

    /// <summary>Pneumonia: patchy airspace opacity (a cluster of blobs modulated by a mottled texture) in one zone of
    /// one lung, pulling toward soft-tissue density.</summary>
    private void Pneumonia(Lung lung, byte[] heart, byte[] evidence, float heartLevel, int zone,
        List<(Vector2, float)> findings, ref Rng rng)
    {
        int s = _s;
        var c = new Vector2(lung.Left + 0.5f * lung.Width, lung.Top + lung.Height * (zone + 0.5f) / 3);
        for (int tries = 0; tries < 60; tries++)
        {
            float py = lung.Top + lung.Height * (zone + rng.Range(0.15, 0.85)) / 3;
            float px = lung.Left + rng.Range(0.1, 0.9) * lung.Width;
            int idx = Math.Clamp((int)py, 0, s - 1) * s + Math.Clamp((int)px, 0, s - 1);
            if (lung.Mask[idx] != 0 && heart[idx] == 0) { c = new Vector2(px, py); break; }
        }
        _field.Clear();
        float spread = rng.Range(0.03, 0.06) * s;
        int blobs = 6 + rng.Next(9);
        for (int k = 0; k < blobs; k++)
            ChestRenderer.AddGaussian(_field, c.X + rng.Normal(0, 1) * spread, c.Y + rng.Normal(0, 0.8) * spread,
                rng.Range(0.012, 0.035) * s, rng.Range(0.012, 0.03) * s, rng.Range(0.2, 0.45), rng.Range(0, 3.1));
        // Coverage of this lung only, slightly soft at its border.
        var lc = _cov2.Data;
        for (int i = 0; i < lc.Length; i++) lc[i] = lung.Mask[i] != 0 ? 1f : 0f;
        Blur.Gaussian(_cov2, MathF.Max(0.7f, 0.004f * s), _scratch);
        float amp = rng.Range(0.45, 0.85);
        int ox = rng.Next(s), oy = rng.Next(s);
        var mot = _tex.Mottle;
        var bd = _b.Data;
        var fd = _field.Data;
        for (int y = 0; y < s; y++)
        {
            int my = (y / 4 + oy) % s;
            for (int x = 0; x < s; x++)
            {
                int i = y * s + x;
                float v = fd[i];
                if (v < 1e-4f || lc[i] <= 0) continue;
                float m = MathF.Max(0.85f + 0.25f * mot[my * s + (x / 4 + ox) % s], 0.3f);
                float o = MathF.Min(v, 0.6f) * m * lc[i] * amp;
                bd[i] += o * MathF.Max(0f, heartLevel + 0.05f - bd[i]);
                if (o > 0.08f && lung.Mask[i] != 0) evidence[i] = 255;
            }
        }
        findings.Add((c, spread * 1.8f));
    }

    /// <summary>Gaussian low-pass of the current image over the pixels of <paramref name="mask"/> only (normalised
    /// convolution), into <see cref="_low"/>: the local mean of the lung without the bright chest wall beside it.</summary>
    private void MaskedLowPass(byte[] mask, float sigma)
    {
        var b = _b.Data;
        var low = _low.Data;
        var w = _weight.Data;
        for (int i = 0; i < b.Length; i++)
        {
            float m = mask[i] != 0 ? 1f : 0f;
            low[i] = b[i] * m;
            w[i] = m;
        }
        Blur.Gaussian(_low, sigma, _scratch);
        Blur.Gaussian(_weight, sigma, _scratch);
        for (int i = 0; i < b.Length; i++) low[i] = w[i] > 1e-3f ? low[i] / w[i] : b[i];
    }

    /// <summary>Gaussian low-pass of the current image into <see cref="_low"/>.</summary>
    private void LowPass(float sigma)
    {
        _b.CopyTo(_low);
        Blur.Gaussian(_low, sigma, _scratch);
    }

    /// <summary>Pneumothorax along the apical, lateral or basal border of one lung: the visceral pleura retracts toward
    /// the hilum (<see cref="PneumothoraxShape"/> on the lung's traced outline); the pleural space between it and the
    /// chest wall loses the lung markings (fine detail replaced by the local mean plus matched noise) and is darker
    /// (more radiolucent); a thin bright visceral pleural line bounds it on the lung side (just outside the mask); the collapsed
    /// lung is slightly denser.
    /// Every one of these changes is scaled by the conspicuity (1: as described; 0: the image is left as it was), after
    /// the same random draws, so the mask and everything else drawn later do not depend on it.
    /// Writes the pleural space as the mask; returns its pixel count.</summary>
    private int Pneumothorax(PneumothoraxFinding f, Lung lung, float cx, byte[] heart, byte[] ptx, List<(Vector2, float)> findings, ref Rng rng)
    {
        int s = _s;
        var outline = Outline(lung);
        // Rims as radiologists grade them on a ~35 cm wide film: small about 1 cm, moderate about 2 cm, large about
        // 3 cm with the whole lung retracted toward the hilum (the procedural chest's depths times RimScale).
        var shape = PneumothoraxShape.Create(outline, Hilum(lung), cx, s, f, RimScale(f.Size));
        // Gap = outline coverage - retracted coverage, so unretracted borders cancel exactly.
        _cov.Clear();
        _cov2.Clear();
        Rasterizer.FillPolygon(_cov, outline, 1f, Blend.Over);
        Rasterizer.FillPolygon(_cov2, shape.Retracted, 1f, Blend.Over);
        var gap = _field.Data;
        var oc = _cov.Data;
        var rc = _cov2.Data;
        int count = 0;
        double sx = 0, sy = 0, gapSum = 0; // gapSum: intensity over the pleural space, for its lucency below
        for (int i = 0; i < gap.Length; i++)
        {
            float g = lung.Mask[i] != 0 && heart[i] == 0 ? MathF.Max(0f, oc[i] - rc[i]) : 0f;
            // Sub-pixel slivers of the gap along the tails of the retraction are dropped, so every changed pixel is
            // next to the mask (pixel truth: gap >= 0.5).
            gap[i] = g < 0.5f ? 0f : g;
            if (g >= 0.5f) { ptx[i] = 255; count++; sx += i % s; sy += i / s; gapSum += _b.Data[i]; }
        }
        float noise = NoiseLevel(lung);
        MaskedLowPass(lung.Mask, MathF.Max(1f, 0.006f * s));
        // Feather the gap by about half a pixel so its edge is not a step.
        var fe = new float[gap.Length];
        _field.CopyTo(_cov);
        Blur.Gaussian(_cov, 0.6f, _scratch);
        _cov.Data.AsSpan().CopyTo(fe);
        float cons = _ptxConspicuity;
        // Conspicuity scales each term (x 1 is exact, so the default rendering is unchanged bit for bit).
        float darken = rng.Range(0.2, 0.35) * cons;
        // Radiolucency is the lung tissue the air displaces along each ray, so it is an attenuation change: the same
        // amount over a rib or the clavicle as between them (subtracted, not a factor of the pixel, so bone keeps its
        // contrast across the pleural space), and proportional to how much lung the ray crossed there. The lung is
        // thin at its edges (the apical cap, the lateral and basal rims), so a thin rim of air next to the chest wall
        // darkens less: thickness is the lung mask blurred over about 3% of the image, 0.7 at the outline (the ray still
        // crosses the lung in front of and behind the rim), 1 from about 6% of the image inward; the narrow apical cap
        // is thinnest. The lung's front-to-back depth also grows from apex to base (the cupola is a few centimetres
        // deep, the lower lobes with their posterior recesses the deepest part), so the amount is scaled by the height
        // in the lung too (ApDepth: 0.6 at the top, 1.1 from 40% to 60% down, 1.45 at the base). The amount is the
        // factor drawn above times the pleural space's mean intensity.
        float lucency = count > 0 ? darken * (float)(gapSum / count) : 0f;
        var thickness = _weight.Data;
        for (int i = 0; i < thickness.Length; i++) thickness[i] = lung.Mask[i] != 0 ? 1f : 0f;
        Blur.Gaussian(_weight, 0.03f * s, _scratch);
        for (int y = 0; y < s; y++)
        {
            float depth = ApDepth(lung.Top, lung.Height, y);
            for (int i = y * s; i < (y + 1) * s; i++)
                thickness[i] = (0.7f + 0.3f * Math.Clamp(2f * (thickness[i] - 0.5f), 0f, 1f)) * depth;
        }
        float flatten = 0.85f * cons, matched = 0.8f * cons;
        // Collapsed lung: a large pneumothorax makes the whole retracted lung denser; a small or moderate one only the
        // lung next to the pleural space (weight: the gap blurred over about 3% of the image).
        float dens = f.Size switch
        {
            PneumothoraxSize.Large => rng.Range(0.06, 0.1),
            PneumothoraxSize.Moderate => rng.Range(0.03, 0.06),
            _ => rng.Range(0.02, 0.04),
        } * cons;
        _field.CopyTo(_cov);
        Blur.Gaussian(_cov, 0.03f * s, _scratch);
        float peak = 1e-6f;
        foreach (float v in _cov.Data) peak = MathF.Max(peak, v);
        var near = new float[_cov.Data.Length];
        for (int i = 0; i < near.Length; i++) near[i] = f.Size == PneumothoraxSize.Large ? 1f : MathF.Min(1f, 2f * _cov.Data[i] / peak);
        var bd = _b.Data;
        var low = _low.Data;
        ulong noiseSeed = rng.NextULong();
        var normals = _tex.Normals;
        for (int i = 0; i < bd.Length; i++)
        {
            float e = MathF.Min(1f, fe[i]);
            if (e > 1e-3f)
            {
                float v = bd[i] - e * flatten * (bd[i] - low[i]);
                v -= e * lucency * thickness[i];
                ulong h = Rng.Mix(noiseSeed + (ulong)i);
                v += e * matched * noise * normals[(int)(h >> 48)];
                bd[i] = v;
            }
            // Collapsed lung beneath: the retracted lung on this side, denser.
            if (lung.Mask[i] != 0 && rc[i] > 0 && near[i] > 0) bd[i] += dens * near[i] * rc[i] * (1f - e) * MathF.Max(0f, 1f - bd[i]);
        }
        // The visceral pleura is well under a millimetre thick: at coarse pixel spacing it is a partial-volume trace.
        float lw = MathF.Max(0.5f, 0.0012f * s);
        float lineAmp = rng.Range(0.07, 0.13) * Math.Clamp(s / 512f, 0.5f, 1f) * cons;
        _cov.Clear();
        // The pleura is the lung's surface: the line runs just inside the retracted lung, next to the mask's edge. Centred
        // on the edge it would lie where the half-pixel feather darkens the pleural space by about what it adds, leaving
        // no line brighter than both its sides.
        var hilum = Hilum(lung);
        foreach (var line in shape.PleuralLines)
            Rasterizer.FillPolygon(_cov, Shapes.Ribbon(OnLungSide(line, hilum, 0.5f + 0.5f * lw), lw, lw), 1f, Blend.Max);
        // The line bounds the pleural space: keep it within about 2 px of the mask.
        for (int i = 0; i < gap.Length; i++) _cov2.Data[i] = ptx[i] != 0 ? 1f : 0f;
        Blur.Gaussian(_cov2, 1.2f, _scratch);
        var lc = _cov.Data;
        var nm = _cov2.Data;
        for (int i = 0; i < bd.Length; i++)
            if (lc[i] > 0 && lung.Mask[i] != 0 && nm[i] > 0.02f) bd[i] += lineAmp * lc[i] * MathF.Min(1f, 8f * nm[i]);
        var center = count > 0 ? new Vector2((float)(sx / count), (float)(sy / count)) : shape.Focus;
        float radius = Math.Clamp(MathF.Sqrt(count / MathF.PI), 0.04f * s, 0.15f * s);
        findings.Add((center, radius));
        return count;
    }

    /// <summary>Front-to-back depth of the lung at row <paramref name="y"/>, as a factor on the pleural space's lucency:
    /// 0.6 at its top (the apical cupola), rising to 1.1 at 40% of its height, 1.1 to 60%, then to 1.45 at its base (the
    /// lower lobes and posterior recesses). A first profile 0.5 / 1 / 1.3 made the benchmark too subtle (README).</summary>
    internal static float ApDepth(int top, int height, int y)
    {
        float a = (y - top) / (float)Math.Max(1, height - 1);
        return 0.6f + 0.5f * PneumothoraxShape.SmoothStep(0f, 0.4f, a) + 0.35f * PneumothoraxShape.SmoothStep(0.6f, 1f, a);
    }

    /// <summary>The polyline moved by <paramref name="offset"/> px along its normal, to the side of
    /// <paramref name="hilum"/> (into the retracted lung).</summary>
    private static Vector2[] OnLungSide(Vector2[] line, Vector2 hilum, float offset)
    {
        int n = line.Length;
        var moved = new Vector2[n];
        for (int i = 0; i < n; i++)
        {
            Vector2 d = line[Math.Min(n - 1, i + 1)] - line[Math.Max(0, i - 1)];
            float len = d.Length();
            if (len < 1e-6f) { moved[i] = line[i]; continue; }
            var normal = new Vector2(-d.Y / len, d.X / len);
            if (Vector2.Dot(normal, hilum - line[i]) < 0) normal = -normal;
            moved[i] = line[i] + normal * offset;
        }
        return moved;
    }

    /// <summary>Depth scale of <see cref="PneumothoraxShape"/> on real backgrounds, per size class (rim depth about
    /// 2.8%, 5.6% and 8.4% of the image width).</summary>
    public static float RimScale(PneumothoraxSize size) => size switch
    {
        PneumothoraxSize.Small => 1.75f,
        PneumothoraxSize.Moderate => 1.6f,
        _ => 1.2f,
    };

    /// <summary>Pixel noise of the lung field: median absolute horizontal difference / (0.6745 sqrt 2).</summary>
    private float NoiseLevel(Lung lung)
    {
        int s = _s;
        var diffs = new List<float>();
        var bd = _b.Data;
        int step = Math.Max(1, lung.Height / 64);
        for (int y = lung.Top; y <= lung.Bottom; y += step)
            for (int x = lung.Left; x < lung.Right; x++)
            {
                int i = y * s + x;
                if (lung.Mask[i] != 0 && lung.Mask[i + 1] != 0) diffs.Add(MathF.Abs(bd[i + 1] - bd[i]));
            }
        if (diffs.Count == 0) return 0f;
        diffs.Sort();
        return diffs[diffs.Count / 2] / (0.6745f * MathF.Sqrt(2f));
    }

    /// <summary>The lung's outline as a polygon: per row the lateral and medial border points (pixel edges), down one
    /// side and up the other, lightly smoothed.</summary>
    private static Vector2[] Outline(Lung lung)
    {
        var down = new List<Vector2>();
        var up = new List<Vector2>();
        for (int y = lung.Top; y <= lung.Bottom; y++)
        {
            int k = y - lung.Top;
            if (lung.MinX[k] < 0) continue;
            down.Add(new Vector2(lung.MinX[k], y + 0.5f));
            up.Add(new Vector2(lung.MaxX[k] + 1f, y + 0.5f));
        }
        var pts = new List<Vector2>(down.Count * 2 + 2);
        if (down.Count == 0) return [];
        // Close the top and bottom with their row edges.
        pts.Add(new Vector2(down[0].X, lung.Top));
        pts.AddRange(down);
        pts.Add(new Vector2(down[^1].X, lung.Bottom + 1f));
        pts.Add(new Vector2(up[^1].X, lung.Bottom + 1f));
        for (int i = up.Count - 1; i >= 0; i--) pts.Add(up[i]);
        pts.Add(new Vector2(up[0].X, lung.Top));
        return pts.ToArray();
    }

    /// <summary>Chest tube (enters the lateral chest wall low on its side, runs up to the apex) and ECG leads; the tube's
    /// pixels (wall or stripe coverage &gt;= 0.5) are set to 255 in <paramref name="tube"/> (zeroed by the caller).</summary>
    private void Devices(StudyPlan plan, Lung r, Lung l, List<Vector2> distractors, byte[] tube, ref Rng rng)
    {
        float s = _s;
        if ((plan.Devices & SupportDevices.EcgLeads) != 0)
        {
            int leads = 3 + rng.Next(2);
            float cx = 0.5f * (r.Right + l.Left);
            for (int i = 0; i < leads; i++)
            {
                float sg = i % 2 == 0 ? -1f : 1f;
                var c = new Vector2(cx + sg * rng.Range(0.15, 0.32) * s, (i < 2 ? rng.Range(0.12, 0.25) : rng.Range(0.6, 0.8)) * s);
                float rad = 0.013f * s;
                Rasterizer.FillPolygon(_b, Shapes.Ellipse(c.X, c.Y, rad, rad), 0.92f, Blend.Over);
                Rasterizer.FillPolygon(_b, Shapes.Ellipse(c.X, c.Y, 0.65f * rad, 0.65f * rad), 0.6f, Blend.Over);
                Rasterizer.FillPolygon(_b, Shapes.Ellipse(c.X, c.Y, 0.25f * rad, 0.25f * rad), 0.97f, Blend.Over);
                var end = new Vector2(c.X + sg * rng.Range(0.05, 0.25) * s, s * 1.05f);
                var wire = Shapes.CubicBezier(c, c + new Vector2(sg * 0.1f * s, 0.1f * s), end + new Vector2(rng.Range(-0.1, 0.1) * s, -0.3f * s), end, 40);
                Rasterizer.FillPolygon(_b, Shapes.Ribbon(wire, MathF.Max(0.6f, 0.003f * s), MathF.Max(0.6f, 0.003f * s)), 0.85f, Blend.Over);
                distractors.Add(c);
            }
        }
        if ((plan.Devices & SupportDevices.ChestTube) != 0)
        {
            var lung = plan.ChestTubeSide == BodySide.Right ? r : l;
            float sg = plan.ChestTubeSide == BodySide.Right ? -1f : 1f; // outward, in image x
            int yEntry = lung.Bottom - (int)(0.25f * lung.Height);
            float xLat = lung.Lateral(yEntry);
            var outside = new Vector2(Math.Clamp(xLat + sg * 0.08f * s, 0f, s - 1f), Math.Min(s - 1f, yEntry + 0.09f * s));
            var entry = new Vector2(xLat + sg * 0.01f * s, yEntry);
            var inner = new Vector2(xLat - sg * 0.05f * s, yEntry - 0.14f * s);
            int yTip = lung.Top + (int)(rng.Range(0.08, 0.16) * lung.Height);
            var tip = new Vector2(lung.Lateral(yTip) - sg * rng.Range(0.25, 0.45) * lung.Width, yTip);
            var path = Shapes.CatmullRomOpen(new[] { outside, entry, inner, tip }, 16);
            // Tube wall (faint) and its radio-opaque stripe (bright).
            _cov.Clear();
            Rasterizer.FillPolygon(_cov, Shapes.Ribbon(path, 0.009f * s, 0.008f * s), 1f, Blend.Max);
            var bd = _b.Data;
            var cd = _cov.Data;
            for (int i = 0; i < bd.Length; i++) if (cd[i] > 0) bd[i] += 0.12f * cd[i] * (1f - bd[i]);
            var stripe = new Vector2[path.Length];
            for (int i = 0; i < path.Length; i++) stripe[i] = path[i] + new Vector2(0.002f * s, 0);
            float w = MathF.Max(0.7f, 0.0025f * s);
            Rasterizer.FillPolygon(_b, Shapes.Ribbon(stripe, w, w), 0.95f, Blend.Over);
            Rasterizer.FillPolygon(_cov, Shapes.Ribbon(stripe, w, w), 1f, Blend.Max);
            for (int i = 0; i < cd.Length; i++) if (cd[i] >= 0.5f) tube[i] = 255;
            distractors.Add(path[path.Length / 2]);
            distractors.Add(tip);
        }
    }

    /// <summary>Shortcut cues: a bright corner marker, burned-in "PORTABLE" text, or a site tone curve.</summary>
    private void Markers(StudyPlan plan, List<Vector2> distractors, ref Rng rng)
    {
        float s = _s;
        if (!plan.ShortcutCue) return;
        switch (_shortcut)
        {
            case ShortcutKind.CornerMarker:
            {
                float m = MathF.Round(0.035f * s), x = s - m - MathF.Round(0.02f * s), y = MathF.Round(0.02f * s);
                Rasterizer.FillPolygon(_b, new Vector2[] { new(x, y), new(x + m, y), new(x + m, y + m), new(x, y + m) }, 1f, Blend.Over);
                distractors.Add(new Vector2(x + m / 2, y + m / 2));
                break;
            }
            case ShortcutKind.TextToken:
            {
                float c = MathF.Max(1f, MathF.Round(0.005f * s));
                Glyphs.Draw(_b, "PORTABLE", MathF.Round(0.02f * s), MathF.Round(0.02f * s), c, 0.95f);
                distractors.Add(new Vector2(MathF.Round(0.02f * s) + Glyphs.Width("PORTABLE", c) / 2, MathF.Round(0.02f * s) + 3.5f * c));
                break;
            }
            case ShortcutKind.IntensityCurve:
            {
                var bd = _b.Data;
                for (int i = 0; i < bd.Length; i++) bd[i] = 0.12f + 0.8f * MathF.Pow(Math.Clamp(bd[i], 0f, 1f), 0.6f);
                break;
            }
        }
    }
}
