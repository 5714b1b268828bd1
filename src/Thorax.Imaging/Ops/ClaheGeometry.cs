namespace Thorax.Imaging.Ops;

/// <summary>
/// OpenCV's CLAHE tiling: the image is padded (BORDER_REFLECT_101) to a multiple of the tile grid, each tile's
/// histogram is clipped at <c>max(clipLimit * tilePixels / bins, 1)</c> and its LUT scaled by <c>(bins - 1) / tilePixels</c>.
/// </summary>
internal readonly record struct ClaheGeometry(int Width, int Height, int PaddedWidth, int PaddedHeight, int TileWidth, int TileHeight,
    int TileTotal, float LutScale, int Clip)
{
    /// <exception cref="ArgumentException">The image is smaller than the tile grid.</exception>
    public static ClaheGeometry Create(int width, int height, int tilesX, int tilesY, double clipLimit, int bins)
    {
        int lw = width, lh = height;
        if (width % tilesX != 0 || height % tilesY != 0)
        {
            lw = width + tilesX - width % tilesX;
            lh = height + tilesY - height % tilesY;
        }
        int tw = lw / tilesX, th = lh / tilesY;
        if (tw < 1 || th < 1) throw new ArgumentException($"Image {width}x{height} is smaller than the {tilesX}x{tilesY} tile grid.");
        int tileTotal = tw * th;
        var clip = clipLimit > 0 ? Math.Max((int)(clipLimit * tileTotal / bins), 1) : 0;
        return new ClaheGeometry(width, height, lw, lh, tw, th, tileTotal, (float)(bins - 1) / tileTotal, clip);
    }

    /// <summary>Clips every bin of <paramref name="hist"/> at <paramref name="clip"/> (0: no clipping) and hands the
    /// excess back like OpenCV: an equal share to every bin, then one more to every step-th bin from the first until
    /// the remainder is used up.</summary>
    public static void ClipAndRedistribute(Span<int> hist, int clip)
    {
        if (clip <= 0) return;
        int bins = hist.Length, clipped = 0;
        for (int i = 0; i < bins; i++)
            if (hist[i] > clip) { clipped += hist[i] - clip; hist[i] = clip; }
        int batch = clipped / bins, residual = clipped - batch * bins;
        for (int i = 0; i < bins; i++) hist[i] += batch;
        if (residual != 0)
        {
            int step = Math.Max(bins / residual, 1);
            for (int i = 0; i < bins && residual > 0; i += step, residual--) hist[i]++;
        }
    }
}
