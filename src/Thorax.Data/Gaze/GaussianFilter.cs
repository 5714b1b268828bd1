using System.Numerics;
using System.Runtime.InteropServices;

namespace Thorax.Data.Gaze;

/// <summary>
/// Separable Gaussian filter on row-major float maps, matching <c>scipy.ndimage.gaussian_filter(x, sigma,
/// mode='reflect', truncate=4.0)</c>: kernel radius <c>int(truncate * sigma + 0.5)</c>, weights
/// <c>exp(-x²/2σ²)</c> normalised to sum 1, half-sample symmetric border (d c b a | a b c d | d c b a) repeated
/// as often as the radius needs. Axis 0 (rows) is filtered first, then axis 1. Rows are processed in parallel with
/// SIMD accumulation in float32 (scipy accumulates in float64; differences are ~1e-7 relative).
/// </summary>
public static class GaussianFilter
{
    /// <summary>scipy's 1-D kernel: length 2r+1, r = int(truncate*sigma + 0.5), sum 1.</summary>
    /// <param name="sigma">Standard deviation in pixels (&gt; 0).</param>
    /// <param name="truncate">Radius in standard deviations (default 4).</param>
    public static float[] Kernel(double sigma, double truncate = 4.0)
    {
        if (!(sigma > 0)) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "sigma must be > 0");
        int r = (int)(truncate * sigma + 0.5);
        var w = new double[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) sum += w[i + r] = Math.Exp(-0.5 / (sigma * sigma) * i * i);
        return w.Select(v => (float)(v / sum)).ToArray();
    }

    /// <summary>Filters a row-major map into a new array (same sigma on both axes).</summary>
    /// <param name="src">Row-major map, length width*height.</param>
    /// <param name="width">Columns.</param>
    /// <param name="height">Rows.</param>
    /// <param name="sigma">Standard deviation in pixels.</param>
    /// <param name="truncate">Radius in standard deviations (default 4, as scipy).</param>
    public static float[] Apply(ReadOnlySpan<float> src, int width, int height, double sigma, double truncate = 4.0)
    {
        var dst = new float[src.Length];
        Apply(src, dst, width, height, sigma, sigma, truncate);
        return dst;
    }

    /// <summary>Filters <paramref name="src"/> into <paramref name="dst"/> (may be the same buffer) with
    /// per-axis sigmas (<paramref name="sigmaRows"/> along axis 0, <paramref name="sigmaCols"/> along axis 1).</summary>
    public static void Apply(ReadOnlySpan<float> src, Span<float> dst, int width, int height,
        double sigmaRows, double sigmaCols, double truncate = 4.0)
    {
        if (src.Length != (long)width * height || dst.Length != src.Length)
            throw new ArgumentException($"buffers must hold {width}x{height} values");
        var tmp = new float[src.Length];
        FilterColumns(src.ToArray(), tmp, width, height, Kernel(sigmaRows, truncate));
        var t = new float[src.Length];
        Transpose(tmp, t, width, height);            // t is height wide, width high
        var t2 = new float[src.Length];
        FilterColumns(t, t2, height, width, Kernel(sigmaCols, truncate));
        Transpose(t2, tmp, height, width);
        tmp.AsSpan().CopyTo(dst);
    }

    /// <summary>scipy 'reflect' index mapping for any integer index.</summary>
    internal static int Reflect(int i, int n)
    {
        if (n == 1) return 0;
        int period = 2 * n;
        int m = i % period;
        if (m < 0) m += period;
        return m < n ? m : period - 1 - m;
    }

    // Filters along axis 0 (down columns): each output row is a weighted sum of whole input rows (SIMD axpy).
    private static void FilterColumns(float[] src, float[] dst, int width, int height, float[] kernel)
    {
        int r = kernel.Length / 2;
        Parallel.For(0, height, y =>
        {
            var outRow = dst.AsSpan(y * width, width);
            var centre = src.AsSpan(y * width, width);
            float w0 = kernel[r];
            for (int x = 0; x < width; x++) outRow[x] = w0 * centre[x];
            for (int k = 1; k <= r; k++)
            {
                var a = src.AsSpan(Reflect(y - k, height) * width, width);
                var b = src.AsSpan(Reflect(y + k, height) * width, width);
                Axpy2(kernel[r + k], a, b, outRow);
            }
        });
    }

    private static void Axpy2(float w, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> acc)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && acc.Length >= Vector<float>.Count)
        {
            var va = MemoryMarshal.Cast<float, Vector<float>>(a);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
            var vacc = MemoryMarshal.Cast<float, Vector<float>>(acc);
            var vw = new Vector<float>(w);
            for (int v = 0; v < vacc.Length; v++) vacc[v] += vw * (va[v] + vb[v]);
            i = vacc.Length * Vector<float>.Count;
        }
        for (; i < acc.Length; i++) acc[i] += w * (a[i] + b[i]);
    }

    private static void Transpose(float[] src, float[] dst, int width, int height)
    {
        const int B = 32;
        Parallel.For(0, (height + B - 1) / B, by =>
        {
            int y0 = by * B, y1 = Math.Min(height, y0 + B);
            for (int x0 = 0; x0 < width; x0 += B)
            {
                int x1 = Math.Min(width, x0 + B);
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++)
                        dst[x * height + y] = src[y * width + x];
            }
        });
    }
}
