namespace Thorax.Imaging.Ops;

/// <summary>Colour maps for heatmaps.</summary>
public enum ColorMap
{
    /// <summary>OpenCV COLORMAP_JET (MATLAB-style jet: dark blue - cyan - yellow - dark red).</summary>
    Jet,
    /// <summary>Viridis (perceptually uniform; OpenCV COLORMAP_VIRIDIS / matplotlib 'viridis').</summary>
    Viridis,
}

/// <summary>Colour mapping of grey/heatmap images and alpha overlays for visualisation.</summary>
public static class ColorMaps
{
    /// <summary>The 256-entry RGB table of a map (768 bytes, entry i at [3i, 3i+3)).</summary>
    public static ReadOnlySpan<byte> Table(ColorMap map) => map switch
    {
        ColorMap.Jet => ColorMapTables.Jet,
        ColorMap.Viridis => ColorMapTables.Viridis,
        _ => throw new ArgumentOutOfRangeException(nameof(map)),
    };

    /// <summary>Maps a single-channel 8-bit image to RGB; equals <c>cv2.applyColorMap</c> with BGR→RGB.</summary>
    public static Image<byte> Apply(Image<byte> grey, ColorMap map)
    {
        ArgumentNullException.ThrowIfNull(grey);
        RequireChannels(grey.Channels, 1);
        var lut = Table(map);
        var dst = new Image<byte>(grey.Width, grey.Height, 3);
        var s = grey.Pixels;
        var d = dst.Pixels;
        for (int i = 0; i < s.Length; i++) lut.Slice(s[i] * 3, 3).CopyTo(d.Slice(i * 3, 3));
        return dst;
    }

    /// <summary>
    /// Maps a single-channel float heatmap to RGB: index = round(clamp((v - min) / (max - min), 0, 1) * 255).
    /// With min == max every pixel maps to index 0. NaN maps to index 0.
    /// </summary>
    /// <param name="values">Heatmap (e.g. a saliency or probability map).</param>
    /// <param name="map">Colour map.</param>
    /// <param name="min">Value mapped to the first colour.</param>
    /// <param name="max">Value mapped to the last colour.</param>
    public static Image<byte> Apply(Image<float> values, ColorMap map, float min = 0f, float max = 1f)
    {
        ArgumentNullException.ThrowIfNull(values);
        RequireChannels(values.Channels, 1);
        var idx = new Image<byte>(values.Width, values.Height);
        float range = max - min;
        var s = values.Pixels;
        var d = idx.Pixels;
        for (int i = 0; i < s.Length; i++)
        {
            float t = range > 0 ? (s[i] - min) / range : 0f;
            d[i] = float.IsNaN(t) ? (byte)0 : (byte)MathF.Round(Math.Clamp(t, 0f, 1f) * 255f);
        }
        return Apply(idx, map);
    }

    /// <summary>
    /// Alpha blend: out = saturate(round((1 - alpha) * base + alpha * overlay)), per channel, where
    /// <paramref name="mask"/> is non-zero (everywhere when null); elsewhere out = base. Equals
    /// <c>cv2.addWeighted(base, 1 - alpha, overlay, alpha, 0)</c> on the selected pixels.
    /// </summary>
    /// <param name="background">Grey (1 channel, replicated to RGB) or RGB image.</param>
    /// <param name="overlay">RGB image of the same size (e.g. a colour-mapped heatmap).</param>
    /// <param name="alpha">Overlay weight in [0, 1].</param>
    /// <param name="mask">Optional single-channel selection mask.</param>
    public static Image<byte> Overlay(Image<byte> background, Image<byte> overlay, double alpha, Image<byte>? mask = null)
    {
        ArgumentNullException.ThrowIfNull(background);
        ArgumentNullException.ThrowIfNull(overlay);
        ArgumentOutOfRangeException.ThrowIfLessThan(alpha, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(alpha, 1);
        RequireChannels(overlay.Channels, 3);
        if (background.Channels is not (1 or 3)) throw new ArgumentException("Background must have 1 or 3 channels.");
        if (background.Width != overlay.Width || background.Height != overlay.Height ||
            (mask is not null && (mask.Width != background.Width || mask.Height != background.Height || mask.Channels != 1)))
            throw new ArgumentException("Background, overlay and mask must have the same size (mask single-channel).");
        float a = (float)alpha, b = (float)(1 - alpha);
        int bc = background.Channels;
        var dst = new Image<byte>(background.Width, background.Height, 3);
        var bg = background.Pixels;
        var ov = overlay.Pixels;
        var d = dst.Pixels;
        int n = background.Width * background.Height;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
            {
                byte under = bg[i * bc + (bc == 1 ? 0 : c)];
                d[i * 3 + c] = mask is not null && mask.Data[i] == 0
                    ? under
                    : Histogram.SaturateByte(under * b + ov[i * 3 + c] * a);
            }
        return dst;
    }

    /// <summary>Tints the mask's non-zero pixels with a solid colour at the given opacity (see <see cref="Overlay"/>).</summary>
    public static Image<byte> OverlayMask(Image<byte> background, Image<byte> mask, byte red, byte green, byte blue, double alpha = 0.5)
    {
        ArgumentNullException.ThrowIfNull(background);
        var solid = new Image<byte>(background.Width, background.Height, 3);
        var p = solid.Pixels;
        for (int i = 0; i < p.Length; i += 3) { p[i] = red; p[i + 1] = green; p[i + 2] = blue; }
        return Overlay(background, solid, alpha, mask);
    }

    private static void RequireChannels(int actual, int expected)
    {
        if (actual != expected) throw new ArgumentException($"Expected {expected} channel(s), got {actual}.");
    }
}
