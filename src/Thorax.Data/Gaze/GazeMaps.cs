namespace Thorax.Data.Gaze;

/// <summary>Gaze heat-map generation following the two published conventions.</summary>
public static class GazeMaps
{
    /// <summary>
    /// EGD-CXR convention (<c>create_heatmap_images_and_or_videos.py</c>): one count per fixation at
    /// <c>(int X, int Y)</c> on the native image grid (no duration weighting), then
    /// <c>scipy.ndimage.gaussian_filter(record, sigma)</c> with sigma in native pixels (default 150).
    /// </summary>
    /// <param name="points">Fixations in native image pixels (X_ORIGINAL, Y_ORIGINAL); -1 marks off-image.</param>
    /// <param name="width">Native image width (pixels).</param>
    /// <param name="height">Native image height (pixels).</param>
    /// <param name="sigma">Gaussian sigma in native pixels (default 150).</param>
    /// <param name="normalization">Default <see cref="GazeMapNormalization.MinMax"/>: the released heatmap.png is
    /// auto-scaled to [0, 1] before colour-mapping, and consumers read it back in [0, 1].</param>
    /// <param name="policy">Points outside the image: counted skip (default) or error.</param>
    /// <remarks>Deviations from the reference script: row 0 is kept (the script requires y &gt; 0), and the count
    /// image is not padded to even size.</remarks>
    /// <exception cref="DataFormatException">A point lies outside the image and <paramref name="policy"/> is Throw.</exception>
    public static GazeMap EgdCxr(IEnumerable<GazePoint> points, int width, int height, double sigma = 150,
        GazeMapNormalization normalization = GazeMapNormalization.MinMax, OutOfImagePolicy policy = OutOfImagePolicy.Skip)
    {
        var counts = new float[checked(width * height)];
        int used = 0, skipped = 0, index = 0;
        foreach (var p in points)
        {
            index++;
            int x = (int)Math.Floor(p.X), y = (int)Math.Floor(p.Y);
            if (!double.IsFinite(p.X) || !double.IsFinite(p.Y) || x < 0 || y < 0 || x >= width || y >= height)
            {
                if (policy == OutOfImagePolicy.Throw)
                    throw new DataFormatException($"gaze point #{index} ({p.X}, {p.Y}) lies outside the {width}x{height} image");
                skipped++;
                continue;
            }
            counts[y * width + x] += 1;
            used++;
        }
        var map = GaussianFilter.Apply(counts, width, height, sigma);
        Normalize(map, normalization);
        return new GazeMap(width, height, map, used, skipped);
    }

    /// <summary>
    /// REFLACX convention (<c>create_heatmap</c>): each fixation adds a normalised 2-D Gaussian probability density
    /// with sigma = 1 degree of visual angle (<c>PixelsPerDegreeX/Y</c> pixels), evaluated at integer pixel positions
    /// inside the part of the image shown at that moment, weighted by the fixation duration; then normalised.
    /// </summary>
    /// <param name="fixations">Fixations in image pixels.</param>
    /// <param name="width">Image width (image_size_x).</param>
    /// <param name="height">Image height (image_size_y).</param>
    /// <param name="normalization">Default <see cref="GazeMapNormalization.Sum"/> (REFLACX divides by the sum).</param>
    /// <param name="policy">Fixations centred outside the image: counted skip (default) or error.</param>
    /// <param name="angleDegrees">Sigma in degrees of visual angle (default 1).</param>
    /// <remarks>Each Gaussian is evaluated within 8 sigma of its centre (beyond that its value is below 1e-13 of
    /// the peak); the reference evaluates it over the whole shown rectangle.</remarks>
    /// <exception cref="DataFormatException">Invalid fixation values, or an out-of-image centre with policy Throw.</exception>
    public static GazeMap Reflacx(IEnumerable<ReflacxFixation> fixations, int width, int height,
        GazeMapNormalization normalization = GazeMapNormalization.Sum, OutOfImagePolicy policy = OutOfImagePolicy.Skip,
        double angleDegrees = 1.0)
    {
        var map = new double[checked(width * height)];
        int used = 0, skipped = 0, index = 0;
        foreach (var f in fixations)
        {
            index++;
            double sx = f.PixelsPerDegreeX * angleDegrees, sy = f.PixelsPerDegreeY * angleDegrees;
            if (!(sx > 0) || !(sy > 0) || !double.IsFinite(f.DurationSeconds) || f.DurationSeconds < 0)
                throw new DataFormatException($"fixation #{index}: pixels-per-degree ({f.PixelsPerDegreeX}, {f.PixelsPerDegreeY}) must be > 0 and duration {f.DurationSeconds} >= 0");
            if (!double.IsFinite(f.X) || !double.IsFinite(f.Y) || f.X < 0 || f.Y < 0 || f.X >= width || f.Y >= height)
            {
                if (policy == OutOfImagePolicy.Throw)
                    throw new DataFormatException($"fixation #{index} at ({f.X}, {f.Y}) lies outside the {width}x{height} image");
                skipped++;
                continue;
            }
            int x0 = Math.Max(0, (int)Math.Round(f.ShownXMin ?? 0, MidpointRounding.ToEven));
            int y0 = Math.Max(0, (int)Math.Round(f.ShownYMin ?? 0, MidpointRounding.ToEven));
            int x1 = Math.Min(width, (int)Math.Round(f.ShownXMax ?? width, MidpointRounding.ToEven));
            int y1 = Math.Min(height, (int)Math.Round(f.ShownYMax ?? height, MidpointRounding.ToEven));
            x0 = Math.Max(x0, (int)Math.Floor(f.X - 8 * sx)); x1 = Math.Min(x1, (int)Math.Ceiling(f.X + 8 * sx) + 1);
            y0 = Math.Max(y0, (int)Math.Floor(f.Y - 8 * sy)); y1 = Math.Min(y1, (int)Math.Ceiling(f.Y + 8 * sy) + 1);
            used++;
            if (x0 >= x1 || y0 >= y1) continue;
            double amp = f.DurationSeconds / (2 * Math.PI * sx * sy);
            var gx = new double[x1 - x0];
            for (int x = x0; x < x1; x++) { double d = (x - f.X) / sx; gx[x - x0] = Math.Exp(-0.5 * d * d); }
            for (int y = y0; y < y1; y++)
            {
                double d = (y - f.Y) / sy;
                double gy = amp * Math.Exp(-0.5 * d * d);
                var row = map.AsSpan(y * width + x0, x1 - x0);
                for (int i = 0; i < row.Length; i++) row[i] += gy * gx[i];
            }
        }
        var result = new float[map.Length];
        for (int i = 0; i < map.Length; i++) result[i] = (float)map[i];
        Normalize(result, normalization);
        return new GazeMap(width, height, result, used, skipped);
    }

    /// <summary>Normalises a map in place. A constant map (max == min) becomes all zeros for MinMax; an all-zero map
    /// stays zero for Max and Sum (no NaN).</summary>
    public static void Normalize(Span<float> map, GazeMapNormalization normalization)
    {
        if (normalization == GazeMapNormalization.None || map.Length == 0) return;
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        foreach (float v in map) { if (v < min) min = v; if (v > max) max = v; sum += v; }
        switch (normalization)
        {
            case GazeMapNormalization.Max:
                if (max > 0) Scale(map, 0, 1 / max);
                break;
            case GazeMapNormalization.Sum:
                if (sum > 0) Scale(map, 0, 1 / sum);
                break;
            case GazeMapNormalization.MinMax:
                if (max > min) Scale(map, min, 1 / (max - min)); else map.Clear();
                break;
        }
    }

    private static void Scale(Span<float> map, double offset, double factor)
    {
        for (int i = 0; i < map.Length; i++) map[i] = (float)((map[i] - offset) * factor);
    }
}
