using Thorax.Imaging.Ops;

namespace Thorax.Imaging.Tests.Ops;

/// <summary>
/// The vectorised / run-based fast paths of resize, CLAHE and connected components against plain per-pixel
/// reference implementations of the same OpenCV formulas (the straightforward versions those fast paths replaced,
/// which the cv2 goldens validated). The goldens are small; these cases are large enough to exercise every SIMD
/// body, band split and table edge.
/// </summary>
public class FastPathReferenceTests
{
    private static Image<byte> Smooth(int w, int h, int cn, int seed)
    {
        var rng = new Random(seed);
        var img = new Image<byte>(w, h, cn);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < cn; c++)
                {
                    double v = 128 + 70 * Math.Sin(x / 7.0 + c) * Math.Cos(y / 9.0) + 40 * Math.Sin((x + y) / 13.0) + rng.Next(-25, 26);
                    img[x, y, c] = (byte)Math.Clamp((int)v, 0, 255);
                }
        return img;
    }

    public static TheoryData<int, int, int, int, int> ResizeShapes => new()
    {
        // src w, src h, dst w, dst h, channels
        { 1024, 96, 224, 21, 1 },   // 4.57x: SSSE3 linear groups, generic area
        { 640, 480, 320, 240, 1 },  // exact 2x: linear -> area 2x2 fast path
        { 300, 201, 150, 67, 1 },   // integer 2x3 area
        { 257, 131, 97, 61, 1 },
        { 120, 80, 333, 190, 1 },   // upscale
        { 200, 150, 71, 49, 3 },
        { 64, 48, 32, 24, 3 },
        { 97, 33, 256, 40, 1 },
        { 1024, 1024, 224, 224, 1 }, // the CXLSeg model-input geometry: paired AVX2 linear rows, 6-tap area columns
        { 1000, 64, 500, 32, 1 },   // exact 2x, 500 columns: AVX2 (32), SSSE3 (16) and scalar 2x2 tails
        { 1000, 300, 213, 77, 1 },  // area with a padded last column group (213 = 26 * 8 + 5)
        { 300, 200, 251, 170, 1 },  // area below 2x: 2-3 taps per column, shared source rows
        { 1024, 64, 13, 5, 1 },     // area with ~80 taps per column
    };

    [Theory]
    [MemberData(nameof(ResizeShapes))]
    public void ResizeUInt8_EqualsReference(int sw, int sh, int dw, int dh, int cn)
    {
        var src = Smooth(sw, sh, cn, sw + dh);
        foreach (var interp in Enum.GetValues<Interpolation>())
        {
            var expected = Reference.Resize(src, dw, dh, interp);
            var actual = Resampling.Resize(src, dw, dh, interp);
            Assert.True(expected.Data.AsSpan().SequenceEqual(actual.Data), $"{interp} {sw}x{sh}x{cn} -> {dw}x{dh}: first mismatch at {Mismatch(expected.Data, actual.Data)}");
        }
    }

    [Theory]
    [MemberData(nameof(ResizeShapes))]
    public void ResizeFloat32_EqualsReference(int sw, int sh, int dw, int dh, int cn)
    {
        var b = Smooth(sw, sh, cn, sw * 3 + dh);
        var src = new Image<float>(sw, sh, cn, Array.ConvertAll(b.Data, v => v / 255f - 0.25f));
        foreach (var interp in Enum.GetValues<Interpolation>())
        {
            var expected = Reference.Resize(src, dw, dh, interp);
            var actual = Resampling.Resize(src, dw, dh, interp);
            for (int i = 0; i < expected.Data.Length; i++)
                Assert.True(Math.Abs(expected.Data[i] - actual.Data[i]) <= 1e-6 + 1e-6 * Math.Abs(expected.Data[i]),
                    $"{interp} {sw}x{sh}x{cn} -> {dw}x{dh} at {i}: {expected.Data[i]} vs {actual.Data[i]}");
        }
    }

    [Theory]
    [InlineData(1024, 1024, 2.0, 8, 8)]
    [InlineData(517, 389, 3.0, 8, 8)]
    [InlineData(300, 200, 40.0, 5, 7)]
    [InlineData(67, 45, 0.0, 3, 2)]
    public void ClaheUInt8_EqualsReference(int w, int h, double clip, int tx, int ty)
    {
        var src = Smooth(w, h, 1, w * h);
        var expected = Reference.Clahe(src, clip, tx, ty);
        var actual = Histogram.Clahe(src, clip, tx, ty);
        Assert.True(expected.Data.AsSpan().SequenceEqual(actual.Data), $"first mismatch at {Mismatch(expected.Data, actual.Data)}");
    }

    [Theory]
    [InlineData(256, 256, 0.5, 1)]
    [InlineData(301, 177, 0.3, 2)]
    [InlineData(300, 200, 0.62, 3)]
    [InlineData(150, 151, 0.45, 4)]
    [InlineData(1, 40, 0.5, 5)]
    [InlineData(40, 1, 0.5, 6)]
    [InlineData(64, 64, 1.0, 7)]
    [InlineData(64, 64, 0.0, 8)]
    public void ConnectedComponents_EqualsReference(int w, int h, double density, int seed)
    {
        var rng = new Random(seed);
        var mask = new Image<byte>(w, h);
        // Mix of isolated noise and blocky blobs so runs, diagonal joins and U-shaped merges all occur.
        for (int i = 0; i < mask.Data.Length; i++) mask.Data[i] = rng.NextDouble() < density * 0.6 ? (byte)1 : (byte)0;
        for (int b = 0; b < w * h / 60; b++)
        {
            int x0 = rng.Next(w), y0 = rng.Next(h), bw = rng.Next(1, 9), bh = rng.Next(1, 9);
            for (int y = y0; y < Math.Min(h, y0 + bh); y++)
                for (int x = x0; x < Math.Min(w, x0 + bw); x++) mask[x, y] = density > 0 ? (byte)255 : (byte)0;
        }
        foreach (var conn in new[] { Connectivity.Four, Connectivity.Eight })
        {
            var (labels, stats) = Reference.Label(mask, conn);
            var actual = ConnectedComponents.Label(mask, conn);
            Assert.Equal(stats.Length, actual.Count);
            Assert.True(labels.AsSpan().SequenceEqual(actual.Labels.Data), $"{conn}: labels differ at {Mismatch(labels, actual.Labels.Data)}");
            for (int k = 0; k < stats.Length; k++) Assert.Equal(stats[k], actual.Stats[k]);
        }
    }

    private static int Mismatch<T>(T[] a, T[] b) where T : IEquatable<T>
    {
        for (int i = 0; i < a.Length; i++) if (!a[i].Equals(b[i])) return i;
        return -1;
    }

    /// <summary>Per-pixel transcriptions of OpenCV's formulas, no SIMD, no caching.</summary>
    internal static class Reference
    {
        // The tap tables are the library's own (their values are checked against OpenCV by the golden tests); this
        // reference applies them with plain loops, so the tests here pin the SIMD and fixed-point kernels only.
        private static (int[] Index, float[] Alpha, int K) Axis(int ssize, int dsize, Interpolation interp)
        {
            var t = Resampling.BuildAxis(ssize, dsize, interp);
            return (t.Index, t.Alpha, t.KSize);
        }

        private static int Fixed(float v) => (short)Math.Clamp(MathF.Round(v * 2048f), short.MinValue, short.MaxValue);

        private static bool IntegerScale(int sw, int sh, int dw, int dh, out int ix, out int iy)
        {
            double sx = (double)sw / dw, sy = (double)sh / dh;
            ix = (int)Math.Round(sx);
            iy = (int)Math.Round(sy);
            return Math.Abs(sx - ix) < double.Epsilon && Math.Abs(sy - iy) < double.Epsilon;
        }

        public static Image<byte> Resize(Image<byte> src, int dw, int dh, Interpolation interp)
        {
            int sw = src.Width, sh = src.Height, cn = src.Channels;
            var dst = new Image<byte>(dw, dh, cn);
            if (interp == Interpolation.Nearest)
            {
                for (int y = 0; y < dh; y++)
                    for (int x = 0; x < dw; x++)
                        for (int c = 0; c < cn; c++) dst[x, y, c] = src[NearestIndex(x, sw, dw), NearestIndex(y, sh, dh), c];
                return dst;
            }
            if (interp == Interpolation.Area && dw <= sw && dh <= sh)
            {
                AreaDown(src.Data, dst.Data, sw, sh, dw, dh, cn, v => (byte)Math.Clamp(MathF.Round(v), 0f, 255f), b => b, true);
                return dst;
            }
            // Linear at an exact 2x2 downscale is computed the same way (OpenCV switches to INTER_AREA; the values agree).
            var (xi, xa, k) = Axis(sw, dw, interp);
            var (yi, ya, _) = Axis(sh, dh, interp);
            var ia = Array.ConvertAll(xa, Fixed);
            var ib = Array.ConvertAll(ya, Fixed);
            for (int y = 0; y < dh; y++)
                for (int x = 0; x < dw; x++)
                    for (int c = 0; c < cn; c++)
                    {
                        var h = new int[k];
                        for (int t = 0; t < k; t++)
                            for (int u = 0; u < k; u++) h[t] += src[xi[x * k + u], yi[y * k + t], c] * ia[x * k + u];
                        int v;
                        if (k == 2)
                            v = ((((h[0] >> 4) * ib[y * 2]) >> 16) + (((h[1] >> 4) * ib[y * 2 + 1]) >> 16) + 2) >> 2;
                        else
                        {
                            const float s = 1f / (2048 * 2048);
                            float f = h[0] * (ib[y * 4] * s) + h[1] * (ib[y * 4 + 1] * s) + h[2] * (ib[y * 4 + 2] * s) + h[3] * (ib[y * 4 + 3] * s);
                            v = (int)MathF.Round(f);
                        }
                        dst[x, y, c] = (byte)Math.Clamp(v, 0, 255);
                    }
            return dst;
        }

        public static Image<float> Resize(Image<float> src, int dw, int dh, Interpolation interp)
        {
            int sw = src.Width, sh = src.Height, cn = src.Channels;
            var dst = new Image<float>(dw, dh, cn);
            if (interp == Interpolation.Nearest)
            {
                for (int y = 0; y < dh; y++)
                    for (int x = 0; x < dw; x++)
                        for (int c = 0; c < cn; c++) dst[x, y, c] = src[NearestIndex(x, sw, dw), NearestIndex(y, sh, dh), c];
                return dst;
            }
            bool linear2x = interp == Interpolation.Linear && sw == 2 * dw && sh == 2 * dh;
            if ((interp == Interpolation.Area && dw <= sw && dh <= sh) || linear2x)
            {
                AreaDown(src.Data, dst.Data, sw, sh, dw, dh, cn, v => v, v => v, false);
                return dst;
            }
            var (xi, xa, k) = Axis(sw, dw, interp);
            var (yi, ya, _) = Axis(sh, dh, interp);
            for (int y = 0; y < dh; y++)
                for (int x = 0; x < dw; x++)
                    for (int c = 0; c < cn; c++)
                    {
                        float acc = 0;
                        for (int t = 0; t < k; t++)
                        {
                            float h = src[xi[x * k], yi[y * k + t], c] * xa[x * k];
                            for (int u = 1; u < k; u++) h += src[xi[x * k + u], yi[y * k + t], c] * xa[x * k + u];
                            acc = t == 0 ? h * ya[y * k] : acc + h * ya[y * k + t];
                        }
                        dst[x, y, c] = acc;
                    }
            return dst;
        }

        private static int NearestIndex(int d, int ssize, int dsize) =>
            Math.Min((int)Math.Floor(d * (1.0 / ((double)dsize / ssize))), ssize - 1);

        private static List<(int D, int S, float A)> AreaTable(int ssize, int dsize, double scale)
        {
            var tab = new List<(int, int, float)>();
            for (int dx = 0; dx < dsize; dx++)
            {
                double fsx1 = dx * scale, fsx2 = fsx1 + scale;
                double cell = Math.Min(scale, ssize - fsx1);
                int sx1 = (int)Math.Ceiling(fsx1), sx2 = Math.Min((int)Math.Floor(fsx2), ssize - 1);
                sx1 = Math.Min(sx1, sx2);
                if (sx1 - fsx1 > 1e-3) tab.Add((dx, sx1 - 1, (float)((sx1 - fsx1) / cell)));
                for (int sx = sx1; sx < sx2; sx++) tab.Add((dx, sx, (float)(1.0 / cell)));
                if (fsx2 - sx2 > 1e-3) tab.Add((dx, sx2, (float)(Math.Min(Math.Min(fsx2 - sx2, 1.0), cell) / cell)));
            }
            return tab;
        }

        private static void AreaDown<T>(T[] s, T[] d, int sw, int sh, int dw, int dh, int cn, Func<float, T> cast, Func<T, float> load, bool u8)
            where T : unmanaged
        {
            if (IntegerScale(sw, sh, dw, dh, out int ix, out int iy))
            {
                int area = ix * iy;
                for (int y = 0; y < dh; y++)
                    for (int x = 0; x < dw; x++)
                        for (int c = 0; c < cn; c++)
                        {
                            float fsum = 0;
                            int isum = 0;
                            for (int j = 0; j < iy; j++)
                                for (int i = 0; i < ix; i++)
                                {
                                    float v = load(s[((y * iy + j) * sw + x * ix + i) * cn + c]);
                                    fsum += v;
                                    isum += (int)v;
                                }
                            d[(y * dw + x) * cn + c] = u8
                                ? (area == 4 ? cast((isum + 2) >> 2) : cast(isum * (1f / area)))
                                : cast(fsum * (1f / area));
                        }
                return;
            }
            var xt = AreaTable(sw, dw, (double)sw / dw);
            var yt = AreaTable(sh, dh, (double)sh / dh);
            int rowLen = dw * cn;
            var sum = new float[dh * rowLen];
            var started = new bool[dh];
            foreach (var (dy, sy, beta) in yt)
            {
                var buf = new float[rowLen];
                foreach (var (dx, sx, a) in xt)
                    for (int c = 0; c < cn; c++) buf[dx * cn + c] += load(s[(sy * sw + sx) * cn + c]) * a;
                for (int i = 0; i < rowLen; i++)
                    sum[dy * rowLen + i] = started[dy] ? sum[dy * rowLen + i] + beta * buf[i] : beta * buf[i];
                started[dy] = true;
            }
            for (int i = 0; i < d.Length; i++) d[i] = cast(sum[i]);
        }

        public static Image<byte> Clahe(Image<byte> src, double clipLimit, int tilesX, int tilesY)
        {
            int w = src.Width, h = src.Height, lw = w, lh = h;
            if (w % tilesX != 0 || h % tilesY != 0) { lw = w + tilesX - w % tilesX; lh = h + tilesY - h % tilesY; }
            int tw = lw / tilesX, th = lh / tilesY, total = tw * th;
            float lutScale = 255f / total;
            int clip = clipLimit > 0 ? Math.Max((int)(clipLimit * total / 256), 1) : 0;
            static int Reflect101(int p, int n)
            {
                while (p < 0 || p >= n) p = p < 0 ? -p : 2 * n - 2 - p;
                return p;
            }
            var luts = new byte[tilesX * tilesY, 256];
            for (int ty = 0; ty < tilesY; ty++)
                for (int tx = 0; tx < tilesX; tx++)
                {
                    var hist = new int[256];
                    for (int yy = 0; yy < th; yy++)
                        for (int xx = 0; xx < tw; xx++) hist[src[Reflect101(tx * tw + xx, w), Reflect101(ty * th + yy, h)]]++;
                    if (clip > 0)
                    {
                        int clipped = 0;
                        for (int i = 0; i < 256; i++) if (hist[i] > clip) { clipped += hist[i] - clip; hist[i] = clip; }
                        int batch = clipped / 256, residual = clipped - batch * 256;
                        for (int i = 0; i < 256; i++) hist[i] += batch;
                        if (residual != 0)
                            for (int i = 0, step = Math.Max(256 / residual, 1); i < 256 && residual > 0; i += step, residual--) hist[i]++;
                    }
                    for (int i = 0, sum = 0; i < 256; i++)
                    {
                        sum += hist[i];
                        luts[ty * tilesX + tx, i] = (byte)Math.Clamp(MathF.Round(sum * lutScale), 0f, 255f);
                    }
                }
            var dst = new Image<byte>(w, h);
            for (int y = 0; y < h; y++)
            {
                float tyf = y * (1f / th) - 0.5f;
                int ty1 = (int)MathF.Floor(tyf);
                float ya = tyf - ty1, ya1 = 1f - ya;
                int r1 = Math.Max(ty1, 0), r2 = Math.Min(ty1 + 1, tilesY - 1);
                for (int x = 0; x < w; x++)
                {
                    float txf = x * (1f / tw) - 0.5f;
                    int tx1 = (int)MathF.Floor(txf);
                    float xa = txf - tx1, xa1 = 1f - xa;
                    int c1 = Math.Max(tx1, 0), c2 = Math.Min(tx1 + 1, tilesX - 1);
                    int v = src[x, y];
                    float res = (luts[r1 * tilesX + c1, v] * xa1 + luts[r1 * tilesX + c2, v] * xa) * ya1
                              + (luts[r2 * tilesX + c1, v] * xa1 + luts[r2 * tilesX + c2, v] * xa) * ya;
                    dst[x, y] = (byte)Math.Clamp(MathF.Round(res), 0f, 255f);
                }
            }
            return dst;
        }

        /// <summary>Pixel-by-pixel union-find; label order by OpenCV's scan key (raster for 4-connectivity, 2x2
        /// block raster for 8-connectivity).</summary>
        public static (int[] Labels, ComponentStats[] Stats) Label(Image<byte> mask, Connectivity connectivity)
        {
            int w = mask.Width, h = mask.Height;
            bool eight = connectivity == Connectivity.Eight;
            var parent = Enumerable.Range(0, w * h).ToArray();
            int Find(int i) { while (parent[i] != i) i = parent[i] = parent[parent[i]]; return i; }
            void Union(int a, int b) { a = Find(a); b = Find(b); if (a != b) parent[Math.Max(a, b)] = Math.Min(a, b); }
            bool On(int x, int y) => x >= 0 && y >= 0 && x < w && y < h && mask[x, y] != 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    if (!On(x, y)) continue;
                    if (On(x - 1, y)) Union(y * w + x, y * w + x - 1);
                    if (On(x, y - 1)) Union(y * w + x, (y - 1) * w + x);
                    if (eight && On(x - 1, y - 1)) Union(y * w + x, (y - 1) * w + x - 1);
                    if (eight && On(x + 1, y - 1)) Union(y * w + x, (y - 1) * w + x + 1);
                }
            var key = new Dictionary<int, long>();
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    if (!On(x, y)) continue;
                    long k = eight ? ((long)(y >> 1) * ((w + 1) / 2) + (x >> 1)) * 4 + ((y & 1) << 1) + (x & 1) : (long)y * w + x;
                    int r = Find(y * w + x);
                    key[r] = key.TryGetValue(r, out var old) ? Math.Min(old, k) : k;
                }
            var order = key.OrderBy(p => p.Value).Select((p, i) => (p.Key, i + 1)).ToDictionary(p => p.Key, p => p.Item2);
            int count = order.Count + 1;
            var labels = new int[w * h];
            var pts = Enumerable.Range(0, count).Select(_ => new List<(int X, int Y)>()).ToArray();
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int l = On(x, y) ? order[Find(y * w + x)] : 0;
                    labels[y * w + x] = l;
                    pts[l].Add((x, y));
                }
            var stats = pts.Select(p => p.Count == 0
                ? new ComponentStats(0, 0, 0, 0, 0, double.NaN, double.NaN)
                : new ComponentStats(p.Min(q => q.X), p.Min(q => q.Y), p.Max(q => q.X) - p.Min(q => q.X) + 1,
                    p.Max(q => q.Y) - p.Min(q => q.Y) + 1, p.Count, p.Sum(q => (double)q.X) / p.Count, p.Sum(q => (double)q.Y) / p.Count)).ToArray();
            return (labels, stats);
        }
    }
}

public class ResizeIntoTests
{
    [Theory]
    [InlineData(Interpolation.Nearest)]
    [InlineData(Interpolation.Linear)]
    [InlineData(Interpolation.Cubic)]
    [InlineData(Interpolation.Area)]
    public void ResizeInto_EqualsResize_AndOverwritesEverySample(Interpolation interp)
    {
        var src = new Image<byte>(131, 77, 2);
        new Random(9).NextBytes(src.Data);
        var dst = new Image<byte>(60, 31, 2);
        dst.Pixels.Fill(7);
        Resampling.ResizeInto(src, dst, interp);
        Assert.Equal(Resampling.Resize(src, 60, 31, interp).Data, dst.Data);
        var f = new Image<float>(131, 77, 1, Array.ConvertAll(src.Data[..(131 * 77)], v => v / 3f));
        var fd = new Image<float>(200, 40);
        fd.Pixels.Fill(float.NaN);
        Resampling.ResizeInto(f, fd, interp);
        Assert.Equal(Resampling.Resize(f, 200, 40, interp).Data, fd.Data);
    }

    [Theory]
    [InlineData(Interpolation.Nearest, 1)]
    [InlineData(Interpolation.Linear, 1)]
    [InlineData(Interpolation.Cubic, 3)]
    [InlineData(Interpolation.Area, 1)]
    [InlineData(Interpolation.Area, 2)]
    public void ResizeToUnit_EqualsResizeThenDivideBy255(Interpolation interp, int cn)
    {
        var src = new Image<byte>(517, 301, cn);
        new Random(11 + cn).NextBytes(src.Data);
        // Several target shapes in a row on one thread, so the kept scratch image is both reused and replaced.
        foreach (var (w, h) in new[] { (224, 224), (224, 224), (97, 40), (600, 333), (224, 224) })
        {
            var expected = Array.ConvertAll(Resampling.Resize(src, w, h, interp).Data, v => v / 255f);
            Assert.Equal(expected, Resampling.ResizeToUnit(src, w, h, interp).Data);
            var into = new Image<float>(w, h, cn);
            into.Pixels.Fill(float.NaN);
            Resampling.ResizeToUnitInto(src, into, interp);
            Assert.Equal(expected, into.Data);
        }
    }

    [Theory]
    [InlineData(1024, 1024, 224, 224)] // the lung model input: 448 of 1024 rows equalised
    [InlineData(300, 211, 97, 40)]
    [InlineData(120, 80, 333, 190)]    // upscale: every row read
    [InlineData(640, 480, 320, 240)]   // exact 2x: area path, every row
    [InlineData(64, 64, 64, 64)]
    public void ClaheResizeToUnit_EqualsClaheThenResizeToUnit(int sw, int sh, int dw, int dh)
    {
        var src = new Image<byte>(sw, sh);
        for (int y = 0; y < sh; y++)
            for (int x = 0; x < sw; x++) src[x, y] = (byte)((x * 5 + y * 3 + (x * y) % 23 + (x / 40) * 60) % 256);
        foreach (var interp in Enum.GetValues<Interpolation>())
        {
            var expected = Resampling.ResizeToUnit(Histogram.Clahe(src, 2.0, 8, 8), dw, dh, interp);
            Assert.Equal(expected.Data, Histogram.ClaheResizeToUnit(src, 2.0, 8, 8, dw, dh, interp).Data);
        }
    }

    [Fact]
    public void ResizeToUnitInto_ChannelMismatch_Throws()
    {
        Assert.Throws<ArgumentException>(() => Resampling.ResizeToUnitInto(new Image<byte>(8, 8, 3), new Image<float>(4, 4, 1)));
    }

    [Fact]
    public void ToUnit_EqualsScalarDivision_AtEveryLengthAndValue()
    {
        var bytes = new byte[300];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(i * 7 + 3);
        for (int n = 0; n <= bytes.Length; n += n < 40 ? 1 : 37)
        {
            var dst = new float[n];
            PixelConvert.ToUnit(bytes.AsSpan(0, n), dst);
            for (int i = 0; i < n; i++) Assert.Equal(bytes[i] / 255f, dst[i]);
        }
        var all = new byte[256];
        for (int v = 0; v < 256; v++) all[v] = (byte)v;
        var unit = new float[256];
        PixelConvert.ToUnit(all, unit);
        Assert.Equal(0f, unit[0]);
        Assert.Equal(1f, unit[255]);
        Assert.Throws<ArgumentException>(() => PixelConvert.ToUnit(all, new float[255]));
    }

    [Fact]
    public void ResizeInto_ChannelMismatchOrAliasing_Throws()
    {
        var src = new Image<byte>(8, 8, 3);
        Assert.Throws<ArgumentException>(() => Resampling.ResizeInto(src, new Image<byte>(4, 4, 1)));
        Assert.Throws<ArgumentException>(() => Resampling.ResizeInto(src, src));
    }
}
