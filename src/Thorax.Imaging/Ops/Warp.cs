namespace Thorax.Imaging.Ops;

/// <summary>
/// Affine warping equal to <c>cv2.warpAffine(src, M, (width, height), flags, borderMode, borderValue)</c> for
/// nearest and bilinear interpolation, including OpenCV's fixed-point coordinates (1/32-pixel bilinear
/// sub-positions, 15-bit weights for 8-bit data).
/// </summary>
public static class Warp
{
    private const int AbBits = 10, AbScale = 1 << AbBits, InterBits = 5, TabSize = 1 << InterBits;

    /// <summary>Warps an 8-bit image; dst(x, y) = src(M⁻¹ (x, y)).</summary>
    /// <param name="src">Source, any channel count.</param>
    /// <param name="transform">Forward transform (source to destination), as passed to cv2.warpAffine.</param>
    /// <param name="width">Output columns.</param>
    /// <param name="height">Output rows.</param>
    /// <param name="interpolation"><see cref="Interpolation.Nearest"/> or <see cref="Interpolation.Linear"/>.</param>
    /// <param name="border">Border handling for samples outside the source.</param>
    /// <param name="borderValue">Value for <see cref="BorderMode.Constant"/> (all channels).</param>
    public static Image<byte> Affine(Image<byte> src, AffineTransform transform, int width, int height,
        Interpolation interpolation = Interpolation.Linear, BorderMode border = BorderMode.Constant, double borderValue = 0)
    {
        ArgumentNullException.ThrowIfNull(src);
        byte cval = (byte)Math.Clamp(Math.Round(borderValue), 0, 255);
        var dst = new Image<byte>(width, height, src.Channels);
        var s = src.Data;
        Run(src.Width, src.Height, src.Channels, dst, transform, interpolation, border, (d, sx, sy, fx, fy, c, cn) =>
        {
            if (fx < 0) return sx < 0 ? cval : s[(sy * src.Width + sx) * cn + c];
            int w00 = (TabSize - fx) * (TabSize - fy) * 32, w01 = fx * (TabSize - fy) * 32;
            int w10 = (TabSize - fx) * fy * 32, w11 = fx * fy * 32;
            int v = Sample(s, src, sx, sy, c, border, cval) * w00 + Sample(s, src, sx + 1, sy, c, border, cval) * w01 +
                    Sample(s, src, sx, sy + 1, c, border, cval) * w10 + Sample(s, src, sx + 1, sy + 1, c, border, cval) * w11;
            return (byte)Math.Clamp((v + (1 << 14)) >> 15, 0, 255);
        });
        return dst;
    }

    /// <summary>Warps a float image; dst(x, y) = src(M⁻¹ (x, y)).</summary>
    /// <inheritdoc cref="Affine(Image{byte}, AffineTransform, int, int, Interpolation, BorderMode, double)"/>
    public static Image<float> Affine(Image<float> src, AffineTransform transform, int width, int height,
        Interpolation interpolation = Interpolation.Linear, BorderMode border = BorderMode.Constant, double borderValue = 0)
    {
        ArgumentNullException.ThrowIfNull(src);
        float cval = (float)borderValue;
        var dst = new Image<float>(width, height, src.Channels);
        var s = src.Data;
        Run(src.Width, src.Height, src.Channels, dst, transform, interpolation, border, (d, sx, sy, fx, fy, c, cn) =>
        {
            if (fx < 0) return sx < 0 ? cval : s[(sy * src.Width + sx) * cn + c];
            float ax = fx * (1f / TabSize), ay = fy * (1f / TabSize);
            float w00 = (1f - ay) * (1f - ax), w01 = (1f - ay) * ax, w10 = ay * (1f - ax), w11 = ay * ax;
            return Sample(s, src, sx, sy, c, border, cval) * w00 + Sample(s, src, sx + 1, sy, c, border, cval) * w01 +
                   Sample(s, src, sx, sy + 1, c, border, cval) * w10 + Sample(s, src, sx + 1, sy + 1, c, border, cval) * w11;
        });
        return dst;
    }

    /// <summary>
    /// Applies one transform to an image (bilinear) and its mask (nearest), with the same border mode; the mask's
    /// constant border is 0. Use for paired image/mask augmentation (e.g. ShiftScaleRotate).
    /// </summary>
    public static (Image<float> Image, Image<byte> Mask) AffinePair(Image<float> image, Image<byte> mask, AffineTransform transform,
        BorderMode border = BorderMode.Reflect101, double borderValue = 0)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(mask);
        if (image.Width != mask.Width || image.Height != mask.Height)
            throw new ArgumentException($"Image {image.Width}x{image.Height} and mask {mask.Width}x{mask.Height} differ in size.");
        return (Affine(image, transform, image.Width, image.Height, Interpolation.Linear, border, borderValue),
                Affine(mask, transform, mask.Width, mask.Height, Interpolation.Nearest, border, 0));
    }

    private static T Sample<T>(T[] s, Image<T> src, int x, int y, int c, BorderMode border, T cval) where T : unmanaged
    {
        int xi = Border.Index(x, src.Width, border), yi = Border.Index(y, src.Height, border);
        return xi < 0 || yi < 0 ? cval : s[(yi * src.Width + xi) * src.Channels + c];
    }

    /// <summary>
    /// Per destination pixel computes OpenCV's fixed-point source position and calls <paramref name="sample"/> with
    /// (dst, sx, sy, fx, fy, channel, channels). Nearest: fx = -1 and (sx, sy) already border-resolved (sx = -1 for
    /// the constant border). Linear: (sx, sy) integer part and fx, fy in 0..31 sub-pixel position.
    /// </summary>
    private static void Run<T>(int sw, int sh, int cn, Image<T> dst, AffineTransform forward, Interpolation interp,
        BorderMode border, Func<Image<T>, int, int, int, int, int, int, T> sample) where T : unmanaged
    {
        if (interp is not (Interpolation.Nearest or Interpolation.Linear))
            throw new ArgumentException("Affine warps support Nearest and Linear interpolation.", nameof(interp));
        var m = forward.Invert();
        int w = dst.Width;
        var adelta = new int[w];
        var bdelta = new int[w];
        for (int x = 0; x < w; x++)
        {
            adelta[x] = Sat(m.A * x * AbScale);
            bdelta[x] = Sat(m.D * x * AbScale);
        }
        bool nearest = interp == Interpolation.Nearest;
        int roundDelta = nearest ? AbScale / 2 : AbScale / TabSize / 2;
        var d = dst.Data;
        RowBands.Run(dst.Height, RowBands.MinRows(8L * w * cn), (yStart, yEnd) =>
        {
            for (int y = yStart; y < yEnd; y++)
            {
                int x0 = Sat((m.B * y + m.C) * AbScale) + roundDelta;
                int y0 = Sat((m.E * y + m.F) * AbScale) + roundDelta;
                for (int x = 0; x < w; x++)
                {
                    int o = (y * w + x) * cn;
                    if (nearest)
                    {
                        int sx = (x0 + adelta[x]) >> AbBits, sy = (y0 + bdelta[x]) >> AbBits;
                        int xi = Border.Index(sx, sw, border), yi = Border.Index(sy, sh, border);
                        if (xi < 0 || yi < 0) xi = yi = -1;
                        for (int c = 0; c < cn; c++) d[o + c] = sample(dst, xi, yi, -1, 0, c, cn);
                    }
                    else
                    {
                        int X = (x0 + adelta[x]) >> (AbBits - InterBits), Y = (y0 + bdelta[x]) >> (AbBits - InterBits);
                        int sx = X >> InterBits, sy = Y >> InterBits, fx = X & (TabSize - 1), fy = Y & (TabSize - 1);
                        if (border == BorderMode.Constant && (sx >= sw || sx + 1 < 0 || sy >= sh || sy + 1 < 0))
                            for (int c = 0; c < cn; c++) d[o + c] = sample(dst, -1, -1, -1, 0, c, cn);
                        else
                            for (int c = 0; c < cn; c++) d[o + c] = sample(dst, sx, sy, fx, fy, c, cn);
                    }
                }
            }
        });
    }

    private static int Sat(double v) => (int)Math.Clamp(Math.Round(v), int.MinValue, int.MaxValue);
}
