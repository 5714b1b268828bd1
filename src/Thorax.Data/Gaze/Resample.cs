namespace Thorax.Data.Gaze;

/// <summary>Separable resampling of row-major float maps (gaze maps to model size).</summary>
public static class Resample
{
    /// <summary>Resamples a <paramref name="width"/>x<paramref name="height"/> map to <paramref name="dstWidth"/>x<paramref name="dstHeight"/>.</summary>
    /// <param name="src">Row-major values, length width*height.</param>
    /// <param name="width">Source columns.</param>
    /// <param name="height">Source rows.</param>
    /// <param name="dstWidth">Destination columns.</param>
    /// <param name="dstHeight">Destination rows.</param>
    /// <param name="mode">Interpolation (per axis: area when shrinking that axis, else bilinear, for <see cref="ResampleMode.Area"/>).</param>
    /// <returns>New row-major array of dstWidth*dstHeight values.</returns>
    public static float[] Apply(ReadOnlySpan<float> src, int width, int height, int dstWidth, int dstHeight, ResampleMode mode)
    {
        if (src.Length != (long)width * height) throw new ArgumentException($"source must hold {width}x{height} values", nameof(src));
        ArgumentOutOfRangeException.ThrowIfLessThan(dstWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dstHeight, 1);
        var tx = Weights(width, dstWidth, mode);
        var ty = Weights(height, dstHeight, mode);
        // Horizontal pass: height x dstWidth, then vertical: dstHeight x dstWidth.
        var mid = new float[height * dstWidth];
        var s = src.ToArray();
        Parallel.For(0, height, y =>
        {
            for (int dx = 0; dx < dstWidth; dx++)
            {
                double acc = 0;
                foreach (var (i, w) in tx[dx]) acc += w * s[y * width + i];
                mid[y * dstWidth + dx] = (float)acc;
            }
        });
        var dst = new float[dstHeight * dstWidth];
        Parallel.For(0, dstHeight, dy =>
        {
            var row = dst.AsSpan(dy * dstWidth, dstWidth);
            foreach (var (i, w) in ty[dy])
            {
                var srow = mid.AsSpan(i * dstWidth, dstWidth);
                for (int x = 0; x < dstWidth; x++) row[x] += (float)w * srow[x];
            }
        });
        return dst;
    }

    private static (int Index, double Weight)[][] Weights(int n, int m, ResampleMode mode)
    {
        var result = new (int, double)[m][];
        double scale = (double)n / m;
        bool area = mode == ResampleMode.Area && m < n;
        for (int d = 0; d < m; d++)
        {
            if (area)
            {
                double a = d * scale, b = (d + 1) * scale;
                var list = new List<(int, double)>();
                for (int i = (int)Math.Floor(a); i < n && i < b; i++)
                {
                    double overlap = Math.Min(b, i + 1) - Math.Max(a, i);
                    if (overlap > 1e-12) list.Add((i, overlap / scale));
                }
                result[d] = [.. list];
            }
            else
            {
                double sx = (d + 0.5) * scale - 0.5;
                int x0 = (int)Math.Floor(sx);
                double f = sx - x0;
                if (x0 < 0) { x0 = 0; f = 0; }
                if (x0 >= n - 1) { x0 = n - 1; f = 0; }
                result[d] = f == 0 ? [(x0, 1.0)] : [(x0, 1 - f), (x0 + 1, f)];
            }
        }
        return result;
    }
}
