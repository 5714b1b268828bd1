using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Thorax.Synthetic.Internal;

/// <summary>Gaussian blur approximated by three successive box blurs (clamp-to-edge). Small sigmas (composite
/// kernel of at most <see cref="MaxDirectRadius"/> pixels each side) apply the composite kernel directly as one
/// vectorised vertical and one horizontal pass; larger sigmas use running sums, whose cost is independent of
/// sigma.</summary>
internal static class Blur
{
    /// <summary>Largest composite half-width applied as a direct (vectorised) separable kernel.</summary>
    public const int MaxDirectRadius = 8;

    public static void Gaussian(Raster img, float sigma, Raster scratch)
    {
        if (sigma < 0.3f) return;
        if (DirectKernel(sigma) is { } kernel)
        {
            VerticalKernel(img.Data, scratch.Data, img.Width, img.Height, kernel);
            HorizontalKernel(scratch.Data, img.Data, img.Width, img.Height, kernel);
            return;
        }
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot pixel loop, called a few times per study
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot pixel loop, called a few times per study
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

    /// <summary>The convolution of the three normalised box kernels (length 2(r1+r2+r3)+1, sums to 1).</summary>
    internal static float[] CompositeKernel(ReadOnlySpan<int> radii)
    {
        double[] k = [1.0];
        foreach (int r in radii)
        {
            if (r < 1) continue;
            int w = 2 * r + 1;
            var next = new double[k.Length + w - 1];
            for (int i = 0; i < k.Length; i++)
                for (int j = 0; j < w; j++) next[i + j] += k[i] / w;
            k = next;
        }
        var f = new float[k.Length];
        for (int i = 0; i < k.Length; i++) f[i] = (float)k[i];
        return f;
    }

    /// <summary>The composite three-box kernel for <paramref name="sigma"/> when it is small enough to apply
    /// directly (half-width at most <see cref="MaxDirectRadius"/>); null otherwise (or when sigma &lt; 0.3,
    /// where <see cref="Gaussian"/> does nothing).</summary>
    public static float[]? DirectKernel(float sigma)
    {
        if (sigma < 0.3f) return null;
        Span<int> radii = stackalloc int[3];
        BoxRadii(sigma, radii);
        return radii[0] + radii[1] + radii[2] <= MaxDirectRadius ? CompositeKernel(radii) : null;
    }

    /// <summary>dst(y) = sum_k kernel[k] * src(clamp(y + k - R)); all taps accumulated in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot pixel loop, called a few times per study
    public static void VerticalKernel(float[] src, float[] dst, int w, int h, float[] kernel)
    {
        if (src.Length < w * h || dst.Length < w * h) throw new ArgumentException("Raster smaller than w x h.");
        int r = kernel.Length / 2, taps = kernel.Length;
        Span<int> rowOff = stackalloc int[taps];
        ref float s0 = ref MemoryMarshal.GetArrayDataReference(src);
        for (int y = 0; y < h; y++)
        {
            for (int k = 0; k < taps; k++) rowOff[k] = Math.Clamp(y + k - r, 0, h - 1) * w;
            ref float d = ref dst[y * w];
            int x = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; x <= w - Vector<float>.Count; x += Vector<float>.Count)
                {
                    var acc = Vector<float>.Zero;
                    for (int k = 0; k < taps; k++)
                        acc += new Vector<float>(kernel[k]) * Vector.LoadUnsafe(ref s0, (nuint)(rowOff[k] + x));
                    Vector.StoreUnsafe(acc, ref d, (nuint)x);
                }
            }
            for (; x < w; x++)
            {
                float acc = 0;
                for (int k = 0; k < taps; k++) acc += kernel[k] * Unsafe.Add(ref s0, rowOff[k] + x);
                Unsafe.Add(ref d, x) = acc;
            }
        }
    }

    /// <summary>Each row copied into a clamp-padded buffer, then dst[x] = sum_k kernel[k] * pad[x + k].</summary>
    private static void HorizontalKernel(float[] src, float[] dst, int w, int h, float[] kernel)
    {
        var pad = new float[w + kernel.Length];
        for (int y = 0; y < h; y++) HorizontalRow(src.AsSpan(y * w, w), dst.AsSpan(y * w, w), kernel, pad);
    }

    /// <summary>One row of the horizontal pass (clamp-to-edge); <paramref name="pad"/> is scratch of at least
    /// src.Length + kernel.Length - 1 floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot pixel loop, called a few times per study
    public static void HorizontalRow(ReadOnlySpan<float> src, Span<float> dst, float[] kernel, float[] pad)
    {
        int r = kernel.Length / 2, w = src.Length, taps = kernel.Length;
        if (pad.Length < w + taps - 1 || dst.Length < w) throw new ArgumentException("Scratch or destination too short.");
        pad.AsSpan(0, r).Fill(src[0]);
        src.CopyTo(pad.AsSpan(r));
        pad.AsSpan(r + w, r).Fill(src[w - 1]);
        ref float p = ref MemoryMarshal.GetArrayDataReference(pad);
        ref float d = ref MemoryMarshal.GetReference(dst);
        int x = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; x <= w - Vector<float>.Count; x += Vector<float>.Count)
            {
                var acc = Vector<float>.Zero;
                for (int k = 0; k < taps; k++)
                    acc += new Vector<float>(kernel[k]) * Vector.LoadUnsafe(ref p, (nuint)(x + k));
                Vector.StoreUnsafe(acc, ref d, (nuint)x);
            }
        }
        for (; x < w; x++)
        {
            float acc = 0;
            for (int k = 0; k < taps; k++) acc += kernel[k] * Unsafe.Add(ref p, x + k);
            Unsafe.Add(ref d, x) = acc;
        }
    }
}
