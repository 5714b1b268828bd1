namespace Thorax.Synthetic.Internal;

/// <summary>Gaussian blur approximated by three successive box blurs (separable, running sums,
/// clamp-to-edge). Cost is independent of sigma.</summary>
internal static class Blur
{
    public static void Gaussian(Raster img, float sigma, Raster scratch)
    {
        if (sigma < 0.3f) return;
        Span<int> radii = stackalloc int[3];
        BoxRadii(sigma, radii);
        for (int pass = 0; pass < 3; pass++)
        {
            int r = radii[pass];
            if (r < 1) continue;
            Horizontal(img.Data, scratch.Data, img.Width, img.Height, r);
            Vertical(scratch.Data, img.Data, img.Width, img.Height, r);
        }
    }

    /// <summary>Box radii whose three-pass convolution has standard deviation close to sigma.</summary>
    private static void BoxRadii(float sigma, Span<int> radii)
    {
        double wIdeal = Math.Sqrt(12.0 * sigma * sigma / 3 + 1);
        int wl = (int)Math.Floor(wIdeal);
        if (wl % 2 == 0) wl--;
        int wu = wl + 2;
        double mIdeal = (12.0 * sigma * sigma - 3 * wl * wl - 12.0 * wl - 9) / (-4.0 * wl - 4);
        int m = (int)Math.Round(mIdeal);
        for (int i = 0; i < 3; i++) radii[i] = ((i < m ? wl : wu) - 1) / 2;
    }

    private static void Horizontal(float[] src, float[] dst, int w, int h, int r)
    {
        float inv = 1f / (2 * r + 1);
        for (int y = 0; y < h; y++)
        {
            var s = src.AsSpan(y * w, w);
            var d = dst.AsSpan(y * w, w);
            float first = s[0], last = s[w - 1];
            float sum = (r + 1) * first;
            for (int i = 1; i <= r; i++) sum += s[Math.Min(i, w - 1)];
            for (int x = 0; x < w; x++)
            {
                d[x] = sum * inv;
                int add = x + r + 1, sub = x - r;
                sum += (add < w ? s[add] : last) - (sub >= 0 ? s[sub] : first);
            }
        }
    }

    private static void Vertical(float[] src, float[] dst, int w, int h, int r)
    {
        float inv = 1f / (2 * r + 1);
        var sum = new float[w];
        var first = src.AsSpan(0, w);
        var last = src.AsSpan((h - 1) * w, w);
        for (int x = 0; x < w; x++) sum[x] = (r + 1) * first[x];
        for (int i = 1; i <= r; i++)
        {
            var row = src.AsSpan(Math.Min(i, h - 1) * w, w);
            for (int x = 0; x < w; x++) sum[x] += row[x];
        }
        for (int y = 0; y < h; y++)
        {
            var d = dst.AsSpan(y * w, w);
            for (int x = 0; x < w; x++) d[x] = sum[x] * inv;
            int add = y + r + 1, sub = y - r;
            var ra = add < h ? src.AsSpan(add * w, w) : last;
            var rs = sub >= 0 ? src.AsSpan(sub * w, w) : first;
            for (int x = 0; x < w; x++) sum[x] += ra[x] - rs[x];
        }
    }
}
