namespace Thorax.Imaging.Ops;

/// <summary>OpenCV INTER_AREA downscaling: block means for integer factors, fractional-coverage weights otherwise.</summary>
internal static class AreaDown
{
    private readonly record struct Tap(int Dst, int Src, float Alpha);

    public static void Run(Image<byte> src, Image<byte> dst)
    {
        if (IsIntegerScale(src, dst, out int ix, out int iy)) Fast(src, dst, ix, iy);
        else Generic(src.Data, dst.Data, src, dst, v => (byte)Math.Clamp(MathF.Round(v), 0f, 255f), b => b);
    }

    public static void Run(Image<float> src, Image<float> dst)
    {
        if (IsIntegerScale(src, dst, out int ix, out int iy)) Fast(src, dst, ix, iy);
        else Generic(src.Data, dst.Data, src, dst, v => v, v => v);
    }

    private static bool IsIntegerScale<T>(Image<T> src, Image<T> dst, out int ix, out int iy) where T : unmanaged
    {
        double sx = (double)src.Width / dst.Width, sy = (double)src.Height / dst.Height;
        ix = (int)Math.Round(sx);
        iy = (int)Math.Round(sy);
        return Math.Abs(sx - ix) < double.Epsilon && Math.Abs(sy - iy) < double.Epsilon;
    }

    private static void Fast(Image<byte> src, Image<byte> dst, int sx, int sy)
    {
        int cn = src.Channels, sw = src.Width, dw = dst.Width, area = sx * sy;
        float scale = 1f / area;
        var s = src.Data;
        var d = dst.Data;
        Parallel.For(0, dst.Height, y =>
        {
            for (int x = 0; x < dw; x++)
                for (int c = 0; c < cn; c++)
                {
                    int sum = 0;
                    for (int j = 0; j < sy; j++)
                    {
                        int row = ((y * sy + j) * sw + x * sx) * cn + c;
                        for (int i = 0; i < sx; i++) sum += s[row + i * cn];
                    }
                    // OpenCV's 2x2 SIMD path rounds half up; the generic path rounds sum*scale to nearest even.
                    d[(y * dw + x) * cn + c] = area == 4 ? (byte)((sum + 2) >> 2) : (byte)Math.Clamp(MathF.Round(sum * scale), 0f, 255f);
                }
        });
    }

    private static void Fast(Image<float> src, Image<float> dst, int sx, int sy)
    {
        int cn = src.Channels, sw = src.Width, dw = dst.Width, area = sx * sy;
        float scale = 1f / area;
        var s = src.Data;
        var d = dst.Data;
        Parallel.For(0, dst.Height, y =>
        {
            for (int x = 0; x < dw; x++)
                for (int c = 0; c < cn; c++)
                {
                    float sum = 0;
                    for (int j = 0; j < sy; j++)
                    {
                        int row = ((y * sy + j) * sw + x * sx) * cn + c;
                        for (int i = 0; i < sx; i++) sum += s[row + i * cn];
                    }
                    d[(y * dw + x) * cn + c] = sum * scale;
                }
        });
    }

    private static Tap[] Table(int ssize, int dsize, double scale)
    {
        var tab = new List<Tap>(ssize * 2);
        for (int dx = 0; dx < dsize; dx++)
        {
            double fsx1 = dx * scale, fsx2 = fsx1 + scale;
            double cell = Math.Min(scale, ssize - fsx1);
            int sx1 = (int)Math.Ceiling(fsx1), sx2 = (int)Math.Floor(fsx2);
            sx2 = Math.Min(sx2, ssize - 1);
            sx1 = Math.Min(sx1, sx2);
            if (sx1 - fsx1 > 1e-3) tab.Add(new Tap(dx, sx1 - 1, (float)((sx1 - fsx1) / cell)));
            for (int sx = sx1; sx < sx2; sx++) tab.Add(new Tap(dx, sx, (float)(1.0 / cell)));
            if (fsx2 - sx2 > 1e-3) tab.Add(new Tap(dx, sx2, (float)(Math.Min(Math.Min(fsx2 - sx2, 1.0), cell) / cell)));
        }
        return tab.ToArray();
    }

    private static void Generic<T>(T[] s, T[] d, Image<T> src, Image<T> dst, Func<float, T> cast, Func<T, float> load)
        where T : unmanaged
    {
        int cn = src.Channels, sw = src.Width, dw = dst.Width;
        var xtab = Table(sw, dw, (double)sw / dw);
        var ytab = Table(src.Height, dst.Height, (double)src.Height / dst.Height);
        // Group y taps by destination row so rows can run in parallel; order within a row is preserved.
        var starts = new int[dst.Height + 1];
        foreach (var t in ytab) starts[t.Dst + 1]++;
        for (int i = 0; i < dst.Height; i++) starts[i + 1] += starts[i];
        int rowLen = dw * cn;
        Parallel.For(0, dst.Height, () => (buf: new float[rowLen], sum: new float[rowLen]), (dy, _, st) =>
        {
            var (buf, sum) = st;
            for (int j = starts[dy]; j < starts[dy + 1]; j++)
            {
                var yt = ytab[j];
                Array.Clear(buf);
                int srow = yt.Src * sw * cn;
                foreach (var xt in xtab)
                    for (int c = 0; c < cn; c++) buf[xt.Dst * cn + c] += load(s[srow + xt.Src * cn + c]) * xt.Alpha;
                if (j == starts[dy])
                    for (int i = 0; i < rowLen; i++) sum[i] = yt.Alpha * buf[i];
                else
                    for (int i = 0; i < rowLen; i++) sum[i] += yt.Alpha * buf[i];
            }
            for (int i = 0; i < rowLen; i++) d[dy * rowLen + i] = cast(sum[i]);
            return st;
        }, _ => { });
    }
}
