namespace Thorax.Imaging.Ops;

/// <summary>
/// Affine warping equal to <c>cv2.warpAffine(src, M, (width, height), flags, borderMode, borderValue)</c> for
/// nearest and bilinear interpolation (8-bit, 16-bit, float) and bicubic (16-bit), including OpenCV's fixed-point
/// coordinates (1/1024-pixel positions, 1/32-pixel interpolation sub-positions) and its per-depth arithmetic: 15-bit
/// fixed-point weights for 8-bit data, float weights and float sums for 16-bit and float data.
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

    /// <summary>
    /// Warps a 16-bit image (e.g. 12-16-bit X-ray data); dst(x, y) = src(M⁻¹ (x, y)). Bit-exact with cv2.warpAffine
    /// on uint16, which (unlike 8-bit) interpolates in float: OpenCV's float weight tables (products of the 1-D
    /// linear or Keys a = -0.75 cubic weights at 1/32-pixel positions), float sums in OpenCV's order, then rounding
    /// half to even and saturation to 0..65535 (cubic overshoot is clipped).
    /// </summary>
    /// <param name="src">Source, any channel count.</param>
    /// <param name="transform">Forward transform (source to destination), as passed to cv2.warpAffine.</param>
    /// <param name="width">Output columns.</param>
    /// <param name="height">Output rows.</param>
    /// <param name="interpolation"><see cref="Interpolation.Nearest"/>, <see cref="Interpolation.Linear"/> or
    /// <see cref="Interpolation.Cubic"/> (4x4 neighbourhood).</param>
    /// <param name="border">Border handling for samples outside the source.</param>
    /// <param name="borderValue">Value for <see cref="BorderMode.Constant"/> (all channels), rounded half to even and
    /// clamped to 0..65535. As in OpenCV, cubic near the edges sums value + Σ (sample - value) · weight, so the value
    /// can move other border modes' results there by a float rounding step (at most 1).</param>
    public static Image<ushort> Affine(Image<ushort> src, AffineTransform transform, int width, int height,
        Interpolation interpolation = Interpolation.Linear, BorderMode border = BorderMode.Constant, double borderValue = 0)
    {
        ArgumentNullException.ThrowIfNull(src);
        ushort cval = (ushort)Math.Clamp(Math.Round(borderValue), 0, ushort.MaxValue);
        float cv = cval;
        var dst = new Image<ushort>(width, height, src.Channels);
        var s = src.Data;
        int sw = src.Width, sh = src.Height;
        if (interpolation == Interpolation.Cubic)
        {
            var tab = CubicTab.Value;
            uint innerW = (uint)Math.Max(sw - 3, 0), innerH = (uint)Math.Max(sh - 3, 0);
            Run(sw, sh, src.Channels, dst, transform, interpolation, border, (d, sx, sy, fx, fy, c, cn) =>
            {
                if (fx < 0) return sx < 0 ? cval : s[(sy * sw + sx) * cn + c];
                int t = (fy * TabSize + fx) * 16;
                sx--;
                sy--;
                if ((uint)sx < innerW && (uint)sy < innerH)
                {
                    // All 16 taps inside: OpenCV sums each row's four products, then the rows.
                    int o = (sy * sw + sx) * cn + c, step = sw * cn;
                    float sum = s[o] * tab[t] + s[o + cn] * tab[t + 1] + s[o + 2 * cn] * tab[t + 2] + s[o + 3 * cn] * tab[t + 3];
                    o += step;
                    sum += s[o] * tab[t + 4] + s[o + cn] * tab[t + 5] + s[o + 2 * cn] * tab[t + 6] + s[o + 3 * cn] * tab[t + 7];
                    o += step;
                    sum += s[o] * tab[t + 8] + s[o + cn] * tab[t + 9] + s[o + 2 * cn] * tab[t + 10] + s[o + 3 * cn] * tab[t + 11];
                    o += step;
                    sum += s[o] * tab[t + 12] + s[o + cn] * tab[t + 13] + s[o + 2 * cn] * tab[t + 14] + s[o + 3 * cn] * tab[t + 15];
                    return SaturateU16(sum);
                }
                if (border == BorderMode.Constant && (sx >= sw || sx + 4 <= 0 || sy >= sh || sy + 4 <= 0)) return cval;
                // Near the edges: value + Σ (sample - value) · weight over the taps that resolve inside.
                float acc = cv;
                for (int i = 0; i < 4; i++)
                {
                    int yi = Border.Index(sy + i, sh, border);
                    if (yi < 0) continue;
                    for (int j = 0; j < 4; j++)
                    {
                        int xi = Border.Index(sx + j, sw, border);
                        if (xi >= 0) acc += (s[(yi * sw + xi) * cn + c] - cv) * tab[t + i * 4 + j];
                    }
                }
                return SaturateU16(acc);
            }, allowCubic: true);
            return dst;
        }
        Run(sw, sh, src.Channels, dst, transform, interpolation, border, (d, sx, sy, fx, fy, c, cn) =>
        {
            if (fx < 0) return sx < 0 ? cval : s[(sy * sw + sx) * cn + c];
            float ax = fx * (1f / TabSize), ay = fy * (1f / TabSize);
            float w00 = (1f - ay) * (1f - ax), w01 = (1f - ay) * ax, w10 = ay * (1f - ax), w11 = ay * ax;
            return SaturateU16(Sample(s, src, sx, sy, c, border, cval) * w00 + Sample(s, src, sx + 1, sy, c, border, cval) * w01 +
                               Sample(s, src, sx, sy + 1, c, border, cval) * w10 + Sample(s, src, sx + 1, sy + 1, c, border, cval) * w11);
        }, allowCubic: true);
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
    /// the constant border). Linear: (sx, sy) integer part and fx, fy in 0..31 sub-pixel position; a 2x2
    /// neighbourhood wholly outside a constant border comes as sx = sy = fx = -1. Cubic (only with
    /// <paramref name="allowCubic"/>): the same position as linear, never pre-resolved (the sampler handles borders).
    /// </summary>
    private static void Run<T>(int sw, int sh, int cn, Image<T> dst, AffineTransform forward, Interpolation interp,
        BorderMode border, Func<Image<T>, int, int, int, int, int, int, T> sample, bool allowCubic = false) where T : unmanaged
    {
        bool cubic = allowCubic && interp == Interpolation.Cubic;
        if (!cubic && interp is not (Interpolation.Nearest or Interpolation.Linear))
            throw new ArgumentException(allowCubic
                ? "16-bit affine warps support Nearest, Linear and Cubic interpolation."
                : "Affine warps support Nearest and Linear interpolation.", nameof(interp));
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
                        if (!cubic && border == BorderMode.Constant && (sx >= sw || sx + 1 < 0 || sy >= sh || sy + 1 < 0))
                            for (int c = 0; c < cn; c++) d[o + c] = sample(dst, -1, -1, -1, 0, c, cn);
                        else
                            for (int c = 0; c < cn; c++) d[o + c] = sample(dst, sx, sy, fx, fy, c, cn);
                    }
                }
            }
        });
    }

    private static int Sat(double v) => (int)Math.Clamp(Math.Round(v), int.MinValue, int.MaxValue);

    /// <summary>OpenCV's saturate_cast&lt;ushort&gt;(float): round half to even, clamp to 0..65535.</summary>
    private static ushort SaturateU16(float v) => (ushort)Math.Clamp(MathF.Round(v), 0f, ushort.MaxValue);

    /// <summary>
    /// OpenCV's float bicubic table (initInterTab2D(INTER_CUBIC, false)): for each 1/32-pixel (fy, fx) the 4x4 weights
    /// wy[i] · wx[j] at [(fy · 32 + fx) · 16 + i · 4 + j], from the Keys a = -0.75 1-D weights computed in float.
    /// </summary>
    private static readonly Lazy<float[]> CubicTab = new(() =>
    {
        const float a = -0.75f;
        var w1 = new float[TabSize * 4];
        for (int i = 0; i < TabSize; i++)
        {
            float x = i * (1f / TabSize), x1 = x + 1f, y = 1f - x;
            float c0 = ((a * x1 - 5 * a) * x1 + 8 * a) * x1 - 4 * a;
            float c1 = ((a + 2) * x - (a + 3)) * x * x + 1;
            float c2 = ((a + 2) * y - (a + 3)) * y * y + 1;
            w1[i * 4] = c0;
            w1[i * 4 + 1] = c1;
            w1[i * 4 + 2] = c2;
            w1[i * 4 + 3] = 1f - c0 - c1 - c2;
        }
        var tab = new float[TabSize * TabSize * 16];
        for (int fy = 0; fy < TabSize; fy++)
            for (int fx = 0; fx < TabSize; fx++)
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++)
                        tab[(fy * TabSize + fx) * 16 + i * 4 + j] = w1[fy * 4 + i] * w1[fx * 4 + j];
        return tab;
    });
}
