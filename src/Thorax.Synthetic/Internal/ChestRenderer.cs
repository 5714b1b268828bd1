using System.Numerics;
using System.Runtime.CompilerServices;

namespace Thorax.Synthetic.Internal;

/// <summary>Renders one study into reusable rasters. The image is built in an attenuation domain A
/// (sum of soft tissue, bone, device and pathology terms, minus lung air), then mapped to brightness
/// 1 - exp(-kA) with per-study exposure, window, gamma and noise. Not thread-safe: one instance per worker.</summary>
internal sealed partial class ChestRenderer
{
    private readonly int _s;
    private readonly Textures _tex;
    private readonly Raster _a, _w1, _w2, _lungR, _lungL, _heart, _central, _tissue, _vessel, _tube;
    private readonly int _lowF;
    private readonly Raster _low, _lowScratch;
    private readonly int[] _upX0, _upX1;
    private readonly float[] _upTx, _upRow, _upFull;

    private readonly ShortcutKind _shortcut;

    public ChestRenderer(int size, Textures textures, ShortcutKind shortcut)
    {
        _s = size;
        _shortcut = shortcut;
        _tex = textures;
        _a = new Raster(size, size);
        _w1 = new Raster(size, size);
        _w2 = new Raster(size, size);
        _lungR = new Raster(size, size);
        _lungL = new Raster(size, size);
        _heart = new Raster(size, size);
        _central = new Raster(size, size);
        _tissue = new Raster(size, size);
        _vessel = new Raster(size, size);
        _tube = new Raster(size, size);
        _lowF = Math.Max(1, size / 128);
        int ls = (size + _lowF - 1) / _lowF;
        _low = new Raster(ls, ls);
        _lowScratch = new Raster(ls, ls);
        // Bilinear upsampling taps from the low-resolution grid to full-resolution columns.
        _upX0 = new int[size]; _upX1 = new int[size]; _upTx = new float[size]; _upRow = new float[ls]; _upFull = new float[size];
        for (int x = 0; x < size; x++)
        {
            float fx = (x + 0.5f) / _lowF - 0.5f;
            int x0 = Math.Clamp((int)MathF.Floor(fx), 0, ls - 1);
            _upX0[x] = x0;
            _upX1[x] = Math.Min(x0 + 1, ls - 1);
            _upTx[x] = Math.Clamp(fx - x0, 0f, 1f);
        }
    }

    /// <summary>Final brightness in [0, 1] (MONOCHROME2), valid after <see cref="Render"/>.</summary>
    public float[] Brightness => _a.Data;

    public byte[] RightLungMask { get; private set; } = [];
    public byte[] LeftLungMask { get; private set; } = [];
    public byte[] HeartMask { get; private set; } = [];
    public byte[] PneumothoraxMask { get; private set; } = [];
    public byte[] ChestTubeMask { get; private set; } = [];
    public int PneumothoraxPixels { get; private set; }

    /// <summary>Renders a study; the masks go into <paramref name="buffers"/> when given (cleared first), else into
    /// new arrays.</summary>
    public RenderInfo Render(StudyPlan plan, Anatomy an, ref Rng rng, StudyBuffers? buffers = null)
    {
        // _a and _w2 are fully overwritten before they are read. The coverage layers are written only by the
        // rasterizer, so clearing the box drawn last time is enough.
        _w1.Clear();
        foreach (var r in new[] { _lungR, _lungL, _heart, _central, _tissue, _vessel, _tube }) r.ClearTouched();
        float s = _s;

        // Coverage layers (crisp, anti-aliased): lungs, heart.
        Rasterizer.FillPolygon(_lungR, an.RightLung, 1f, Blend.Over);
        Rasterizer.FillPolygon(_lungL, an.LeftLung, 1f, Blend.Over);
        Rasterizer.FillPolygon(_heart, an.Heart, 1f, Blend.Over);
        // Central shadow: heart, mediastinum and aortic knob as one density (no double counting).
        Rasterizer.FillPolygon(_central, an.Heart, 1f, Blend.Over);
        Rasterizer.FillPolygon(_central, an.Mediastinum, 1f, Blend.Max);
        Rasterizer.FillPolygon(_central, an.AorticKnob, 1f, Blend.Max);

        // Lung tissue (what carries vessels): the retracted lung on a pneumothorax side.
        PneumothoraxShape? ptx = null;
        if (plan.Pneumothorax is { } f)
            ptx = PneumothoraxShape.Create(an.Lung(f.Side), an.Hilum(f.Side), an.Cx, s, f);
        Rasterizer.FillPolygon(_tissue, ptx is not null && plan.Pneumothorax!.Side == BodySide.Right ? ptx.Retracted : an.RightLung, 1f, Blend.Over);
        Rasterizer.FillPolygon(_tissue, ptx is not null && plan.Pneumothorax!.Side == BodySide.Left ? ptx.Retracted : an.LeftLung, 1f, Blend.Over);

        BuildSoftTissue(an, ref rng);
        BuildBones(an, ref rng);
        var info = BuildFindings(plan, an, ptx, ref rng);
        BuildVessels(plan, an, ref rng);
        BuildDevices(plan, an, ref rng);

        ToBrightness(plan, 0.0016f * s, ref rng);
        BuildMarkers(plan, an, ref rng);
        BuildMasks(plan, an, buffers);
        return info;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot pixel loop, called a few times per study
    private void BuildSoftTissue(Anatomy an, ref Rng rng)
    {
        float s = _s;
        var a = _a.Data;
        // Body: elliptical cross-section, thicker abdomen below the diaphragm.
        Rasterizer.FillPolygon(_w1, an.Body, 1f, Blend.Over);
        foreach (var arm in an.Arms) Rasterizer.FillPolygon(_w1, arm, 0.75f, Blend.Max);
        float dome = 0.5f * (an.DomeRightY + an.DomeLeftY);
        float thick = rng.Range(1.0, 1.25);
        var prof = new float[_s];
        for (int x = 0; x < _s; x++)
        {
            float u = (x + 0.5f - an.Cx) / an.BodyHalf;
            prof[x] = MathF.Sqrt(MathF.Max(0f, 1f - u * u));
        }
        for (int y = 0; y < _s; y++)
        {
            float abd = PneumothoraxShape.SmoothStep(dome - 0.05f * s, dome + 0.05f * s, y);
            float neck = PneumothoraxShape.SmoothStep(0.02f * s, an.ApexY + 0.02f * s, y);
            float k = (thick * 0.6f + 0.6f * abd) * (0.55f + 0.45f * neck);
            RowOps.Profile(_w1.Row(y), prof, 0.3f, k, _a.Row(y));
        }
        if (an.Female)
            foreach (float sign in new[] { -1f, 1f })
                AddGaussian(_a, an.Cx + sign * 0.24f * s, an.DomeRightY + 0.02f * s, 0.1f * s, 0.07f * s, 0.22f);

        // Lung air: crisp edge times a smooth thickness term (darker centrally).
        var air = _w2.Data;
        var lr = _lungR.Data; var ll = _lungL.Data;
        var cw = _central.Data;
        RowOps.SumMasked(lr, ll, cw, air);
        LowPass(_w2, 0.035f * s);
        float depth = rng.Range(0.85, 1.0);
        float baseFade = rng.Range(0.15, 0.35);
        for (int y = 0; y < _s; y++)
        {
            var airRow = _w2.Row(y);
            int first = airRow.IndexOfAnyExcept(0f);
            if (first < 0) continue;
            int last = airRow.LastIndexOfAnyExcept(0f);
            var ar = a.AsSpan(y * _s, _s);
            var low = LowRow(y);
            float rowDepth = depth * (1f - baseFade * PneumothoraxShape.SmoothStep(0.45f * s, dome + 0.05f * s, y));
            // ar[x] -= c * rowDepth * (0.16 + 0.36 min(1, 1.35 t)) where c > 0, t the upsampled low-pass.
            int len = last - first + 1;
            RowOps.Upsample(low, _upX0, _upX1, _upTx, first, _upFull.AsSpan(first, len));
            RowOps.AddRamp(airRow.Slice(first, len), _upFull.AsSpan(first, len), -rowDepth, 0.16f, 0.36f, 1.35f, ar.Slice(first, len));
        }

        // Heart, mediastinum, aortic knob, trachea.
        // Gastric air bubble under the left hemidiaphragm.
        if (rng.Chance(0.6))
            Rasterizer.FillPolygon(_a, Shapes.Ellipse(an.Cx + rng.Range(0.1, 0.2) * s, an.DomeLeftY + rng.Range(0.05, 0.08) * s,
                rng.Range(0.03, 0.06) * s, rng.Range(0.02, 0.035) * s, rng.Range(-0.3, 0.3)), -rng.Range(0.12, 0.25), Blend.Add);
        // Central shadow (heart, mediastinum, aortic knob): its density follows the body's thickness through it,
        // so it is graded (densest where the shadow is widest, about half as dense along its borders) while the
        // borders stay sharp; it merges into the abdomen at the diaphragm.
        float central = rng.Range(0.3, 0.4);
        if (_central.TryGetTouched(out int cx0, out int cy0, out int cx1, out int cy1))
        {
            LowPass(_central, 0.03f * s);
            for (int y = cy0; y <= cy1; y++)
            {
                float f = central * (1f - PneumothoraxShape.SmoothStep(dome - 0.06f * s, dome + 0.02f * s, y));
                if (f <= 0) continue;
                var low = LowRow(y);
                int len = cx1 - cx0 + 1;
                // ar[x] += f * c * (0.5 + 0.5 min(1, 1.4 t)) where c > 0.
                RowOps.Upsample(low, _upX0, _upX1, _upTx, cx0, _upFull.AsSpan(cx0, len));
                RowOps.AddRamp(_central.Row(y).Slice(cx0, len), _upFull.AsSpan(cx0, len), f, 0.5f, 0.5f, 1.4f, _a.Row(y).Slice(cx0, len));
            }
        }
        Rasterizer.FillPolygon(_a, Shapes.Ribbon(an.Trachea, 0.03f * s, 0.024f * s), -0.22f, Blend.Add);
        var carina = an.Trachea[^1];
        foreach (float sign in new[] { -1f, 1f })
        {
            var b = Shapes.CatmullRomOpen(new[] { carina, carina + new Vector2(sign * 0.03f * s, 0.03f * s), carina + new Vector2(sign * 0.05f * s, 0.07f * s) }, 6);
            Rasterizer.FillPolygon(_a, Shapes.Ribbon(b, 0.018f * s, 0.01f * s), -0.12f, Blend.Add);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot pixel loop, called a few times per study
    private void BuildBones(Anatomy an, ref Rng rng)
    {
        float s = _s, cx = an.Cx;
        _w2.Clear();
        // Spine: vertebral bodies, pedicles.
        float vh = 0.041f * s * rng.Range(0.95, 1.05);
        for (float y = rng.Range(-0.5, 0.5) * vh; y < s; y += vh)
        {
            float wv = 0.065f * s * (1 + 0.25f * y / s);
            Rasterizer.FillPolygon(_w2, Shapes.Ellipse(cx, y + 0.42f * vh, wv * 0.5f, vh * 0.4f), 0.07f, Blend.Add);
            foreach (float sign in new[] { -1f, 1f })
                Rasterizer.FillPolygon(_w2, Shapes.Ellipse(cx + sign * wv * 0.38f, y + 0.3f * vh, 0.008f * s, 0.011f * s), 0.06f, Blend.Add);
            Rasterizer.FillPolygon(_w2, Shapes.Ellipse(cx, y + 0.75f * vh, 0.006f * s, 0.012f * s), 0.04f, Blend.Add);
        }

        float ribW = 0.02f * s, boneK = rng.Range(0.8, 1.2);
        foreach (BodySide side in new[] { BodySide.Right, BodySide.Left })
        {
            float sg = Anatomy.Sign(side);
            float hw = an.HalfWidth / s;
            Vector2 P(float dx, float y) => new((an.Cx / s + sg * dx) * s, y * s);
            float cy = an.ApexY / s + rng.Range(0.02, 0.05);
            // Clavicle: S-shaped, rising from the sternal end (low, beside the spine) to the acromion.
            var clav = Shapes.CubicBezier(P(0.03f, cy + 0.05f), P(0.12f, cy + 0.035f), P(0.19f, cy - 0.035f), P(0.32f, cy - 0.025f), 24);
            StrokeBone(clav, 0.03f * s, 0.024f * s, 0.2f * boneK);
            // Posterior ribs (near-horizontal from the spine, turning down at the lateral wall)
            // and fainter anterior ribs (running down-medially).
            float y0 = an.ApexY / s - 0.03f + rng.Range(-0.01, 0.01);
            float sp = an.RibSpacing / s;
            for (int i = 0; i < 10; i++)
            {
                float y = y0 + i * sp * (1f + 0.02f * i) + rng.Normal(0, 0.003);
                float reach = MathF.Min(hw + 0.01f, 0.16f + 0.07f * i);
                var post = Shapes.CatmullRomOpen(new[]
                {
                    P(0.03f, y + 0.03f), P(0.1f, y), P(0.5f * (0.1f + reach), y + 0.005f),
                    P(reach - 0.01f, y + 0.05f), P(reach, y + 0.1f), P(reach - 0.03f, y + 0.16f),
                }, 8);
                StrokeBone(post, ribW * 0.9f, ribW * 0.8f, 0.11f * boneK);
                if (i < 7)
                {
                    var ant = Shapes.CatmullRomOpen(new[]
                    {
                        P(reach - 0.03f, y + 0.16f), P(reach - 0.1f, y + 0.19f), P(0.11f, y + 0.28f),
                    }, 8);
                    StrokeBone(ant, ribW * 0.8f, ribW * 0.6f, 0.045f * boneK);
                }
            }
            // Scapula: faint lateral wedge over the upper chest wall.
            var scap = Shapes.CatmullRomClosed(new[]
            {
                P(hw - 0.02f, an.ApexY / s + 0.02f), P(hw + 0.05f, an.ApexY / s + 0.01f),
                P(hw + 0.04f, an.ApexY / s + 0.2f), P(hw - 0.03f, an.ApexY / s + 0.32f),
            }, 6);
            Rasterizer.FillPolygon(_w2, scap, 0.07f * boneK, Blend.Add);
        }
        // Bone contrast fades below the diaphragm (thick abdominal soft tissue).
        float dome = 0.5f * (an.DomeRightY + an.DomeLeftY);
        var a = _a.Data;
        for (int y = 0; y < _s; y++)
        {
            float f = 1f - 0.7f * PneumothoraxShape.SmoothStep(dome - 0.01f * s, dome + 0.1f * s, y);
            var br = _w2.Row(y);
            var ar = a.AsSpan(y * _s, _s);
            for (int x = 0; x < _s; x++) ar[x] += f * br[x];
        }
    }

    /// <summary>A bone band of density <paramref name="value"/>: thin, denser cortical margins (the outer 15% on
    /// each side) around a less dense medulla, as ribs and clavicles look on a radiograph.</summary>
    private void StrokeBone(Vector2[] path, float w0, float w1, float value)
    {
        Rasterizer.FillPolygon(_w2, Shapes.Ribbon(path, w0, w1), value, Blend.Add);
        Rasterizer.FillPolygon(_w2, Shapes.Ribbon(path, w0 * 0.7f, w1 * 0.7f), -0.3f * value, Blend.Add);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot pixel loop, called a few times per study
    private void BuildMasks(StudyPlan plan, Anatomy an, StudyBuffers? buffers)
    {
        int n = _s * _s;
        byte[] right, left, heart, ptx, tube;
        if (buffers is not null)
        {
            if (buffers.Size != _s) throw new ArgumentException($"Buffers are for {buffers.Size} px, the renderer for {_s} px.", nameof(buffers));
            (right, left, heart, ptx, tube) = (buffers.RightLung, buffers.LeftLung, buffers.Heart, buffers.Pneumothorax, buffers.ChestTube);
            Array.Clear(right); Array.Clear(left); Array.Clear(heart); Array.Clear(ptx); Array.Clear(tube);
        }
        else { right = new byte[n]; left = new byte[n]; heart = new byte[n]; ptx = new byte[n]; tube = new byte[n]; }
        Threshold(_tube, null, tube, _s - 1);
        // The heart silhouette ends at the diaphragm (the part below is hidden in the abdomen shadow).
        int heartEnd = Math.Clamp((int)(an.DomeLeftY + 0.015f * _s), 0, _s) - 1;
        Threshold(_heart, null, heart, heartEnd);
        Threshold(_lungR, _central, right, _s - 1);
        Threshold(_lungL, _central, left, _s - 1);
        MaskOps.KeepLargestComponent(right, _s, _s);
        MaskOps.KeepLargestComponent(left, _s, _s);
        int count = 0;
        if (plan.Pneumothorax is { } f)
        {
            var side = f.Side == BodySide.Right ? right : left;
            var ts = _tissue.Data;
            if ((f.Side == BodySide.Right ? _lungR : _lungL).TryGetTouched(out int x0, out int y0, out int x1, out int y1))
                for (int y = y0; y <= y1; y++)
                    for (int i = y * _s + x0; i <= y * _s + x1; i++)
                        if (side[i] != 0 && ts[i] < 0.5f) { ptx[i] = 255; count++; }
        }
        RightLungMask = right; LeftLungMask = left; HeartMask = heart; PneumothoraxMask = ptx; PneumothoraxPixels = count; ChestTubeMask = tube;
    }

    /// <summary>mask = 255 where cov &gt;= 0.5 and exclude &lt; 0.5, over the rasterized box of
    /// <paramref name="cov"/> up to row <paramref name="lastRow"/>; the rest of mask is left zero.</summary>
    private void Threshold(Raster cov, Raster? exclude, byte[] mask, int lastRow)
    {
        if (!cov.TryGetTouched(out int x0, out int y0, out int x1, out int y1)) return;
        for (int y = y0; y <= Math.Min(y1, lastRow); y++)
        {
            var ex = exclude is null ? default : exclude.Row(y)[x0..(x1 + 1)];
            RowOps.Threshold(cov.Row(y)[x0..(x1 + 1)], ex, mask.AsSpan(y * _s + x0, x1 - x0 + 1));
        }
    }

    /// <summary>Box-downsamples <paramref name="src"/> into the low-resolution raster and blurs it there.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot pixel loop, called a few times per study
    private void LowPass(Raster src, float sigma)
    {
        int f = _lowF, ls = _low.Width;
        float inv = 1f / (f * f);
        _low.Clear();
        for (int y = 0; y < _s; y++)
        {
            var row = src.Row(y);
            var lrow = _low.Row(Math.Min(y / f, ls - 1));
            for (int lx = 0, x = 0; x < _s; lx++)
            {
                int end = Math.Min(x + f, _s);
                if (lx == ls - 1) end = _s;
                float sum = 0;
                for (; x < end; x++) sum += row[x];
                lrow[lx] += sum * inv;
            }
        }
        Blur.Gaussian(_low, sigma / f, _lowScratch);
    }

    /// <summary>Row <paramref name="y"/> of the low-resolution raster interpolated vertically (bilinear in y);
    /// sample column x as <c>row[_upX0[x]] + (row[_upX1[x]] - row[_upX0[x]]) * _upTx[x]</c>.</summary>
    private float[] LowRow(int y)
    {
        int f = _lowF, ls = _low.Width;
        float fy = (y + 0.5f) / f - 0.5f;
        int y0 = Math.Clamp((int)MathF.Floor(fy), 0, ls - 1), y1 = Math.Min(y0 + 1, ls - 1);
        float ty = Math.Clamp(fy - y0, 0f, 1f);
        var r0 = _low.Row(y0); var r1 = _low.Row(y1);
        for (int i = 0; i < ls; i++) _upRow[i] = r0[i] + (r1[i] - r0[i]) * ty;
        return _upRow;
    }

    /// <summary>Adds an (optionally rotated) anisotropic Gaussian bump of height <paramref name="amp"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot pixel loop, called a few times per study
    internal static void AddGaussian(Raster dst, float cx, float cy, float sx, float sy, float amp, float rot = 0f)
    {
        float r = 3f * MathF.Max(sx, sy);
        int x0 = Math.Max(0, (int)(cx - r)), x1 = Math.Min(dst.Width - 1, (int)(cx + r));
        int y0 = Math.Max(0, (int)(cy - r)), y1 = Math.Min(dst.Height - 1, (int)(cy + r));
        if (x1 < x0 || y1 < y0) return;
        dst.MarkTouched(x0, y0, x1, y1);
        float ix = 1f / (2 * sx * sx), iy = 1f / (2 * sy * sy);
        if (rot == 0f)
        {
            // Axis-aligned: exp(-(dx^2 ix + dy^2 iy)) = ex(x) * ey(y).
            var ex = new float[x1 - x0 + 1];
            for (int x = x0; x <= x1; x++)
            {
                float dx = x + 0.5f - cx;
                ex[x - x0] = MathF.Exp(-dx * dx * ix);
            }
            for (int y = y0; y <= y1; y++)
            {
                float dy = y + 0.5f - cy;
                RowOps.AddScaled(ex, amp * MathF.Exp(-dy * dy * iy), dst.Row(y).Slice(x0, ex.Length));
            }
            return;
        }
        float c = MathF.Cos(rot), sn = MathF.Sin(rot);
        // exponent t = A dx^2 + B dx dy + C dy^2; terms beyond t = ExpTable.Range (< 1.3e-4 of amp) are skipped.
        float qa = c * c * ix + sn * sn * iy, qb = 2 * c * sn * (ix - iy), qc = sn * sn * ix + c * c * iy;
        for (int y = y0; y <= y1; y++)
        {
            float dy = y + 0.5f - cy;
            float rowC = qc * dy * dy, rowB = qb * dy;
            ExpTable.AddBumpRow(dst.Row(y), x0, x1, cx, qa, rowB, rowC, amp);
        }
    }
}
