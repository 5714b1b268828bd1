using Thorax.Imaging;
using Thorax.Imaging.Ops;

namespace Thorax.Data.Augmentation;

/// <summary>
/// <c>cv2.remap</c> with float32 maps: dst(x, y) = src(mapX(x, y), mapY(x, y)). Bilinear positions are rounded to
/// 1/32 pixel (cvRound(map * 32)) and nearest positions to the nearest integer (half to even), as OpenCV does.
/// </summary>
public static class Remap
{
    /// <summary>Bilinear remap of a single-channel float image.</summary>
    /// <param name="src">Source, 1 channel.</param>
    /// <param name="mapX">Source column per destination pixel, row-major [height, width].</param>
    /// <param name="mapY">Source row per destination pixel.</param>
    /// <param name="width">Destination columns.</param>
    /// <param name="height">Destination rows.</param>
    /// <param name="border">Border mode.</param>
    /// <param name="borderValue">Constant for <see cref="BorderMode.Constant"/>.</param>
    public static Image<float> Linear(Image<float> src, ReadOnlySpan<float> mapX, ReadOnlySpan<float> mapY, int width, int height,
        BorderMode border = BorderMode.Reflect101, float borderValue = 0)
    {
        Check(src.Channels, mapX.Length, mapY.Length, width, height);
        var dst = new Image<float>(width, height, 1);
        var s = src.Data;
        var d = dst.Data;
        int sw = src.Width, sh = src.Height;
        for (int i = 0; i < d.Length; i++)
        {
            int X = (int)Math.Round(mapX[i] * 32.0, MidpointRounding.ToEven), Y = (int)Math.Round(mapY[i] * 32.0, MidpointRounding.ToEven);
            int sx = X >> 5, sy = Y >> 5;
            float ax = (X & 31) * (1f / 32), ay = (Y & 31) * (1f / 32);
            if (border == BorderMode.Constant && (sx >= sw || sx + 1 < 0 || sy >= sh || sy + 1 < 0)) { d[i] = borderValue; continue; }
            d[i] = At(s, sw, sh, sx, sy, border, borderValue) * ((1f - ay) * (1f - ax)) + At(s, sw, sh, sx + 1, sy, border, borderValue) * ((1f - ay) * ax) +
                   At(s, sw, sh, sx, sy + 1, border, borderValue) * (ay * (1f - ax)) + At(s, sw, sh, sx + 1, sy + 1, border, borderValue) * (ay * ax);
        }
        return dst;
    }

    /// <summary>Nearest-neighbour remap of a single-channel byte image (masks).</summary>
    /// <inheritdoc cref="Linear"/>
    public static Image<byte> Nearest(Image<byte> src, ReadOnlySpan<float> mapX, ReadOnlySpan<float> mapY, int width, int height,
        BorderMode border = BorderMode.Reflect101, byte borderValue = 0)
    {
        Check(src.Channels, mapX.Length, mapY.Length, width, height);
        var dst = new Image<byte>(width, height, 1);
        var s = src.Data;
        var d = dst.Data;
        for (int i = 0; i < d.Length; i++)
        {
            int sx = (int)Math.Clamp(Math.Round(mapX[i], MidpointRounding.ToEven), int.MinValue / 2, int.MaxValue / 2);
            int sy = (int)Math.Clamp(Math.Round(mapY[i], MidpointRounding.ToEven), int.MinValue / 2, int.MaxValue / 2);
            int xi = BorderIndex(sx, src.Width, border), yi = BorderIndex(sy, src.Height, border);
            d[i] = xi < 0 || yi < 0 ? borderValue : s[yi * src.Width + xi];
        }
        return dst;
    }

    private static float At(float[] s, int w, int h, int x, int y, BorderMode border, float cval)
    {
        int xi = BorderIndex(x, w, border), yi = BorderIndex(y, h, border);
        return xi < 0 || yi < 0 ? cval : s[yi * w + xi];
    }

    /// <summary>OpenCV borderInterpolate; -1 for the constant border.</summary>
    internal static int BorderIndex(int p, int length, BorderMode mode)
    {
        if ((uint)p < (uint)length) return p;
        switch (mode)
        {
            case BorderMode.Constant: return -1;
            case BorderMode.Replicate: return p < 0 ? 0 : length - 1;
            default:
                if (length == 1) return 0;
                int delta = mode == BorderMode.Reflect101 ? 1 : 0;
                do { p = p < 0 ? -p - 1 + delta : length - 1 - (p - length) - delta; } while ((uint)p >= (uint)length);
                return p;
        }
    }

    private static void Check(int channels, int nx, int ny, int width, int height)
    {
        if (channels != 1) throw new ArgumentException("remap works on single-channel images");
        if (nx != width * height || ny != width * height)
            throw new ArgumentException($"maps have {nx} and {ny} values, expected {width}x{height}");
    }
}
