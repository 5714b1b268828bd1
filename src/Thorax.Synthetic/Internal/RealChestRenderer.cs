using System.Numerics;
using Thorax.Imaging;
using Thorax.Imaging.Ops;

namespace Thorax.Synthetic.Internal;

/// <summary>
/// Inserts planted findings, devices and shortcut cues into a real chest X-ray (<see cref="RealChest"/>), working on
/// brightness in [0, 1] (MONOCHROME2, bright = dense), where a change of density is close to a change of value.
/// Anatomy comes from the lung masks: each lung's rows and medial/lateral borders, the midline, the hila (on the
/// medial border 40% down each lung) and the cardiac silhouette (the space between the lungs from below the hila to
/// the lung bases). Not thread-safe: one instance per worker.
/// </summary>
internal sealed partial class RealChestRenderer
{
    private readonly int _s;
    private readonly Textures _tex;
    private readonly ShortcutKind _shortcut;
    /// <summary>Factor on every pixel change a pneumothorax makes (<see cref="SynthOptions.PneumothoraxConspicuity"/>).</summary>
    private readonly float _ptxConspicuity;
    private readonly Raster _b, _low, _scratch, _cov, _cov2, _field, _weight;

    public RealChestRenderer(int size, Textures textures, ShortcutKind shortcut, float pneumothoraxConspicuity = 1f)
    {
        _ptxConspicuity = pneumothoraxConspicuity;
        _s = size;
        _tex = textures;
        _shortcut = shortcut;
        _b = new Raster(size, size);
        _low = new Raster(size, size);
        _scratch = new Raster(size, size);
        _cov = new Raster(size, size);
        _cov2 = new Raster(size, size);
        _field = new Raster(size, size);
        _weight = new Raster(size, size);
    }

    /// <summary>Final brightness in [0, 1] (MONOCHROME2), valid after <see cref="Render"/>.</summary>
    public float[] Brightness => _b.Data;

    public byte[] RightLungMask { get; private set; } = [];
    public byte[] LeftLungMask { get; private set; } = [];
    public byte[] HeartMask { get; private set; } = [];
    public byte[] PneumothoraxMask { get; private set; } = [];
    public byte[] EvidenceMask { get; private set; } = [];
    public byte[] ChestTubeMask { get; private set; } = [];
    public int PneumothoraxPixels { get; private set; }

    /// <summary>Measured geometry of the lungs of the image being rendered.</summary>
    private sealed class Lung
    {
        public required BodySide Side { get; init; }
        public required byte[] Mask { get; init; }
        public required int Top { get; init; }
        public required int Bottom { get; init; }
        /// <summary>Per row (index y - Top): smallest and largest x of the lung, -1 when the row is empty.</summary>
        public required int[] MinX { get; init; }
        public required int[] MaxX { get; init; }
        public required int Left { get; init; }
        public required int Right { get; init; }
        public int Height => Bottom - Top + 1;
        public int Width => Right - Left + 1;
        public RectangleF Box => new(Left, Top, Width, Height);

        /// <summary>Medial border x at row y (nearest non-empty row), toward the midline.</summary>
        public int Medial(int y) => Side == BodySide.Right ? Row(MaxX, y) : Row(MinX, y);

        /// <summary>Lateral border x at row y (nearest non-empty row).</summary>
        public int Lateral(int y) => Side == BodySide.Right ? Row(MinX, y) : Row(MaxX, y);

        private int Row(int[] xs, int y)
        {
            int i = Math.Clamp(y - Top, 0, xs.Length - 1);
            for (int d = 0; d < xs.Length; d++)
            {
                if (i - d >= 0 && xs[i - d] >= 0) return xs[i - d];
                if (i + d < xs.Length && xs[i + d] >= 0) return xs[i + d];
            }
            return Side == BodySide.Right ? Right : Left;
        }
    }

    private static Lung Measure(byte[] mask, int s, BodySide side)
    {
        int top = -1, bottom = -1, left = s, right = -1;
        for (int y = 0; y < s; y++)
        {
            var row = mask.AsSpan(y * s, s);
            int a = row.IndexOfAnyExcept((byte)0);
            if (a < 0) continue;
            if (top < 0) top = y;
            bottom = y;
            left = Math.Min(left, a);
            right = Math.Max(right, row.LastIndexOfAnyExcept((byte)0));
        }
        int h = bottom - top + 1;
        var minX = new int[h];
        var maxX = new int[h];
        for (int y = top; y <= bottom; y++)
        {
            var row = mask.AsSpan(y * s, s);
            int a = row.IndexOfAnyExcept((byte)0);
            minX[y - top] = a;
            maxX[y - top] = a < 0 ? -1 : row.LastIndexOfAnyExcept((byte)0);
        }
        return new Lung { Side = side, Mask = mask, Top = top, Bottom = bottom, MinX = minX, MaxX = maxX, Left = left, Right = right };
    }

    /// <summary>Renders study <paramref name="plan"/> on <paramref name="chest"/>; masks go into
    /// <paramref name="buffers"/> when given.</summary>
    public RenderInfo Render(StudyPlan plan, RealChest chest, ref Rng rng, StudyBuffers? buffers = null)
    {
        int s = _s, n = s * s;
        if (chest.Size != s) throw new ArgumentException($"Background is {chest.Size} px, the renderer {s} px.", nameof(chest));
        byte[] right, left, heart, ptx, evidence, tube;
        if (buffers is not null)
        {
            (right, left, heart, ptx, evidence, tube) = (buffers.RightLung, buffers.LeftLung, buffers.Heart, buffers.Pneumothorax, buffers.Evidence, buffers.ChestTube);
            Array.Clear(heart); Array.Clear(ptx); Array.Clear(evidence); Array.Clear(tube);
        }
        else { right = new byte[n]; left = new byte[n]; heart = new byte[n]; ptx = new byte[n]; evidence = new byte[n]; tube = new byte[n]; }
        chest.Image.AsSpan().CopyTo(_b.Data);
        chest.RightLung.AsSpan().CopyTo(right);
        chest.LeftLung.AsSpan().CopyTo(left);

        if (plan.Pneumothorax is { Tension: true } t)
            ShiftMediastinum(t.Side, right, left, ref rng);

        var lr = Measure(right, s, BodySide.Right);
        var ll = Measure(left, s, BodySide.Left);
        float cx = Midline(lr, ll);
        BuildHeart(lr, ll, heart, out var heartCenter, out int heartWidth);
        float heartLevel = MeanOver(heart, _b.Data, fallback: 0.7f);

        var findings = new List<(Vector2 Center, float Radius)>();
        var distractors = new List<Vector2>();
        BodySide? pnaSide = null;
        string? pnaZone = null;
        bool effusion = false;
        if (plan.Class == FindingClass.HeartFailure)
        {
            heartWidth = EnlargeHeart(lr, ll, heart, right, left, evidence, heartLevel, ref rng, out heartCenter);
            Perihilar(lr, ll, right, left, evidence, heartLevel, findings, ref rng);
            findings.Insert(0, (heartCenter, heartWidth * 0.5f));
            if (rng.Chance(0.6))
            {
                effusion = true;
                foreach (var lung in new[] { lr, ll })
                    Effusion(lung, evidence, heartLevel, rng.Range(0.025, 0.06) * s, findings);
            }
        }
        else if (plan.Class == FindingClass.Pneumonia)
        {
            var side = rng.Chance(0.5) ? BodySide.Right : BodySide.Left;
            int zone = rng.Next(3);
            Pneumonia(side == BodySide.Right ? lr : ll, heart, evidence, heartLevel, zone, findings, ref rng);
            pnaSide = side;
            pnaZone = zone switch { 0 => "upper", 1 => "middle", _ => "lower" };
        }

        int ptxPixels = 0;
        if (plan.Pneumothorax is { } f)
            ptxPixels = Pneumothorax(f, f.Side == BodySide.Right ? lr : ll, cx, heart, ptx, findings, ref rng);

        Devices(plan, lr, ll, distractors, tube, ref rng);
        Markers(plan, distractors, ref rng);
        var b = _b.Data;
        for (int i = 0; i < b.Length; i++) b[i] = Math.Clamp(b[i], 0f, 1f);

        // Lung fields exclude the (possibly enlarged) cardiac silhouette.
        for (int i = 0; i < n; i++)
            if (heart[i] != 0) { right[i] = 0; left[i] = 0; }
        RightLungMask = right; LeftLungMask = left; HeartMask = heart; PneumothoraxMask = ptx; EvidenceMask = evidence; ChestTubeMask = tube;
        PneumothoraxPixels = ptxPixels;
        double ctr = heartWidth / Math.Max(1.0, ll.Right - lr.Left + 1);
        return new RenderInfo(lr.Box, ll.Box, heartCenter, findings, pnaSide, pnaZone, effusion, ctr) { Distractors = distractors };
    }

    private static float Midline(Lung r, Lung l)
    {
        int y0 = Math.Max(r.Top, l.Top), y1 = Math.Min(r.Bottom, l.Bottom);
        if (y1 < y0) return 0.5f * (r.Right + l.Left);
        var mids = new List<float>();
        for (int y = y0 + (y1 - y0) / 4; y <= y0 + (y1 - y0) / 2; y++) mids.Add(0.5f * (r.Medial(y) + l.Medial(y)));
        mids.Sort();
        return mids[mids.Count / 2];
    }

    private static Vector2 Hilum(Lung lung) =>
        new(lung.Medial(lung.Top + (int)(0.4f * lung.Height)) + (lung.Side == BodySide.Right ? -0.12f : 0.12f) * lung.Width,
            lung.Top + 0.4f * lung.Height);

    /// <summary>Cardiac silhouette: the space between the lungs' medial borders from 45% of the lung height down to
    /// the higher of the two bases, inside an ellipse fitted to the gap 70% of the way down (so the narrowing lung bases
    /// do not widen it) with its upper corners rounded.</summary>
    private void BuildHeart(Lung r, Lung l, byte[] heart, out Vector2 center, out int width)
    {
        int s = _s;
        int top = Math.Max(r.Top, l.Top), bottom = Math.Min(r.Bottom, l.Bottom);
        int y0 = top + (int)(0.45f * (bottom - top)), y1 = bottom;
        int y70 = top + (int)(0.7f * (bottom - top));
        float ga = r.Medial(y70), gb = l.Medial(y70);
        float ex = 0.5f * (ga + gb), ea = MathF.Max(2f, 0.62f * (gb - ga));
        float ey = y70, eb = MathF.Max(2f, 0.62f * (y1 - y0));
        double sx = 0, sy = 0;
        long cnt = 0;
        width = 0;
        for (int y = y0; y <= y1; y++)
        {
            float dy = (y - ey) / eb;
            if (dy * dy >= 1f) continue;
            float half = ea * MathF.Sqrt(1f - dy * dy);
            int a = Math.Max(r.Medial(y) + 1, (int)MathF.Ceiling(ex - half));
            int b = Math.Min(l.Medial(y) - 1, (int)MathF.Floor(ex + half));
            // Round the upper corners: the silhouette narrows toward its top.
            float u = (float)(y - y0) / Math.Max(1, y1 - y0);
            if (u < 0.2f)
            {
                int cut = (int)(0.3f * (1 - u / 0.2f) * 0.5f * (b - a + 1));
                a += cut; b -= cut;
            }
            if (b < a) continue;
            width = Math.Max(width, b - a + 1);
            for (int x = Math.Max(0, a); x <= Math.Min(s - 1, b); x++)
            {
                int i = y * s + x;
                if (r.Mask[i] != 0 || l.Mask[i] != 0) continue;
                heart[i] = 255; sx += x; sy += y; cnt++;
            }
        }
        center = cnt > 0 ? new Vector2((float)(sx / cnt), (float)(sy / cnt)) : new Vector2(0.5f * s, 0.6f * s);
    }

    private static float MeanOver(byte[] mask, float[] values, float fallback)
    {
        double sum = 0;
        long cnt = 0;
        for (int i = 0; i < mask.Length; i++) if (mask[i] != 0) { sum += values[i]; cnt++; }
        return cnt > 0 ? (float)(sum / cnt) : fallback;
    }

    /// <summary>Tension: a smooth horizontal displacement moves the mediastinum, heart and the opposite lung's medial
    /// border away from the affected side (image and masks warped together).</summary>
    private void ShiftMediastinum(BodySide affected, byte[] right, byte[] left, ref Rng rng)
    {
        int s = _s;
        var r0 = Measure(right, s, BodySide.Right);
        var l0 = Measure(left, s, BodySide.Left);
        float cx = Midline(r0, l0);
        float shift = rng.Range(0.03, 0.055) * s * (affected == BodySide.Right ? 1f : -1f); // image x grows to the patient's left
        float wx = 0.12f * s;
        int top = Math.Min(r0.Top, l0.Top), bottom = Math.Max(r0.Bottom, l0.Bottom);
        var src = (float[])_b.Data.Clone();
        var mr = (byte[])right.Clone();
        var ml = (byte[])left.Clone();
        for (int y = 0; y < s; y++)
        {
            float vy = Math.Min(PneumothoraxShape.SmoothStep(top - 0.05f * s, top + 0.1f * s, y),
                1f - PneumothoraxShape.SmoothStep(bottom, bottom + 0.08f * s, y));
            if (vy <= 0) continue;
            for (int x = 0; x < s; x++)
            {
                float dx = (x - cx) / wx;
                float d = shift * vy * MathF.Exp(-0.5f * dx * dx);
                float xs = x - d;
                int x0 = (int)MathF.Floor(xs);
                float t = xs - x0;
                int i = y * s + x;
                int a = Math.Clamp(x0, 0, s - 1), b = Math.Clamp(x0 + 1, 0, s - 1);
                _b.Data[i] = src[y * s + a] * (1 - t) + src[y * s + b] * t;
                int nn = Math.Clamp((int)MathF.Round(xs), 0, s - 1);
                right[i] = mr[y * s + nn];
                left[i] = ml[y * s + nn];
            }
        }
    }
}
