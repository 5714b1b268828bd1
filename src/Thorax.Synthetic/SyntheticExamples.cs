using Thorax.Synthetic.Internal;

namespace Thorax.Synthetic;

/// <summary>Writes example images for documentation: a contact sheet of downscaled studies and, optionally,
/// a sheet with mask overlays.</summary>
public static class SyntheticExamples
{
    /// <summary>Renders studies 0..count-1 of <paramref name="options"/> and writes an 8-bit greyscale PNG
    /// contact sheet of <paramref name="columns"/> columns with tiles of <paramref name="tileSize"/> pixels
    /// (box-downscaled). When <paramref name="overlayMasks"/> is true, lung fields are lightened, the heart is
    /// darkened and pneumothorax pixels are drawn white, to show the pixel truth.</summary>
    /// <param name="options">Dataset options (validated; OutputDirectory is ignored).</param>
    /// <param name="path">Output PNG path (overwritten).</param>
    /// <param name="count">Number of studies, 1..64.</param>
    /// <param name="columns">Tiles per row, 1..16.</param>
    /// <param name="tileSize">Tile edge in pixels, 16..ImageSize.</param>
    /// <param name="overlayMasks">Draw masks over the image.</param>
    /// <returns>The studies that were rendered.</returns>
    public static IReadOnlyList<SyntheticStudy> WriteContactSheet(SynthOptions options, string path, int count = 8,
        int columns = 4, int tileSize = 256, bool overlayMasks = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 64);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(columns, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(tileSize, 16);
        var opts = options with { Count = Math.Max(options.Count, count) };
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tileSize, opts.ImageSize);
        var gen = new StudyGenerator(opts);
        var studies = new SyntheticStudy[count];
        Parallel.For(0, count, i => studies[i] = gen.Generate(i));
        int rows = (count + columns - 1) / columns;
        int w = columns * tileSize, h = rows * tileSize;
        var sheet = new byte[w * h];
        for (int k = 0; k < count; k++)
        {
            var st = studies[k];
            var img = st.Image8;
            if (overlayMasks)
            {
                img = (byte[])img.Clone();
                for (int i = 0; i < img.Length; i++)
                {
                    if (st.PneumothoraxMask[i] != 0) img[i] = 255;
                    else if (st.RightLungMask[i] != 0 || st.LeftLungMask[i] != 0) img[i] = (byte)(img[i] / 2 + 110);
                    else if (st.HeartMask[i] != 0) img[i] = (byte)(img[i] / 3);
                }
            }
            Downscale(img, st.Width, sheet, w, (k % columns) * tileSize, (k / columns) * tileSize, tileSize);
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllBytes(path, Thorax.Imaging.Codecs.Png.Encode(new Thorax.Imaging.Image<byte>(w, h, 1, sheet)));
        return studies;
    }

    private static void Downscale(byte[] src, int size, byte[] dst, int dstWidth, int ox, int oy, int tile)
    {
        for (int ty = 0; ty < tile; ty++)
        {
            int y0 = ty * size / tile, y1 = Math.Max(y0 + 1, (ty + 1) * size / tile);
            for (int tx = 0; tx < tile; tx++)
            {
                int x0 = tx * size / tile, x1 = Math.Max(x0 + 1, (tx + 1) * size / tile);
                int sum = 0;
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++) sum += src[y * size + x];
                dst[(oy + ty) * dstWidth + ox + tx] = (byte)(sum / ((y1 - y0) * (x1 - x0)));
            }
        }
    }
}
