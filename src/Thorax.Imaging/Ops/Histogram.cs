using System.Numerics;

namespace Thorax.Imaging.Ops;

/// <summary>Histogram equalisation: global (<c>cv2.equalizeHist</c>) and CLAHE (<c>cv2.createCLAHE(...).apply</c>).</summary>
public static partial class Histogram
{
    /// <summary>Global histogram equalisation of a single-channel 8-bit image, bit-exact with <c>cv2.equalizeHist</c>.</summary>
    /// <remarks>lut[v] = round(cdf_excl_first(v) * 255 / (N - count(first))); a constant image is returned unchanged.</remarks>
    public static Image<byte> Equalize(Image<byte> src)
    {
        ArgumentNullException.ThrowIfNull(src);
        RequireSingleChannel(src.Channels);
        var hist = new int[256];
        foreach (byte v in src.Pixels) hist[v]++;
        int i = 0;
        while (hist[i] == 0) i++;
        int total = src.Pixels.Length;
        var lut = new byte[256];
        if (hist[i] == total)
        {
            Array.Fill(lut, (byte)i);
        }
        else
        {
            float scale = 255f / (total - hist[i]);
            int sum = 0;
            for (lut[i++] = 0; i < 256; i++)
            {
                sum += hist[i];
                lut[i] = SaturateByte(sum * scale);
            }
        }
        var dst = new Image<byte>(src.Width, src.Height);
        var s = src.Pixels;
        var d = dst.Pixels;
        for (int k = 0; k < s.Length; k++) d[k] = lut[s[k]];
        return dst;
    }

    /// <summary>
    /// Contrast-limited adaptive histogram equalisation of a single-channel 8-bit image, bit-exact with
    /// <c>cv2.createCLAHE(clipLimit, (tilesX, tilesY)).apply(src)</c>.
    /// </summary>
    /// <param name="src">Single-channel image.</param>
    /// <param name="clipLimit">OpenCV clip limit: a multiple of the mean bin count. The absolute per-bin limit is
    /// max(1, (int)(clipLimit * tilePixels / 256)); &lt;= 0 disables clipping (plain AHE). OpenCV's default is 40.</param>
    /// <param name="tilesX">Tile columns (OpenCV default 8).</param>
    /// <param name="tilesY">Tile rows (OpenCV default 8).</param>
    /// <remarks>
    /// When the size is not divisible by the grid, tiles are computed on an image padded at the bottom/right with
    /// BORDER_REFLECT_101 by (tiles - size % tiles) pixels on both axes, as OpenCV does. Clipped counts are spread
    /// evenly, the remainder one by one every (bins / remainder) bins; LUTs are bilinearly blended between the four
    /// nearest tile centres in float32 and rounded half to even.
    /// </remarks>
    public static Image<byte> Clahe(Image<byte> src, double clipLimit = 40.0, int tilesX = 8, int tilesY = 8) =>
        ClaheU8(src, clipLimit, tilesX, tilesY);

    /// <summary>CLAHE on a single-channel 16-bit image (65536 bins), bit-exact with OpenCV on CV_16UC1.</summary>
    /// <inheritdoc cref="Clahe(Image{byte}, double, int, int)"/>
    public static Image<ushort> Clahe(Image<ushort> src, double clipLimit = 40.0, int tilesX = 8, int tilesY = 8) =>
        ClaheCore<ushort>(src, clipLimit, tilesX, tilesY, 65536, v => v, SaturateUShort);

    private static Image<T> ClaheCore<T>(Image<T> src, double clipLimit, int tilesX, int tilesY, int histSize,
        Func<T, int> toInt, Func<float, T> saturate) where T : unmanaged, INumberBase<T>
    {
        ArgumentNullException.ThrowIfNull(src);
        RequireSingleChannel(src.Channels);
        ArgumentOutOfRangeException.ThrowIfLessThan(tilesX, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(tilesY, 1);
        var g = ClaheGeometry.Create(src.Width, src.Height, tilesX, tilesY, clipLimit, histSize);
        int w = g.Width, h = g.Height, lw = g.PaddedWidth, lh = g.PaddedHeight, tw = g.TileWidth, th = g.TileHeight, tileTotal = g.TileTotal, clip = g.Clip;
        float lutScale = g.LutScale;

        var s = src.Data;
        var luts = new T[tilesX * tilesY * histSize];
        // A tile costs its pixels plus a few passes over the bins (clipping, redistribution, LUT).
        RowBands.Run(tilesX * tilesY, RowBands.MinRows((long)tw * th + histSize), (k0, k1) =>
        {
            var hist = new int[histSize];
            for (int k = k0; k < k1; k++)
            {
                int ty = k / tilesX, tx = k % tilesX;
                Array.Clear(hist);
                for (int yy = 0; yy < th; yy++)
                {
                    int sy = Border.Index(ty * th + yy, h, BorderMode.Reflect101) * w;
                    for (int xx = 0; xx < tw; xx++)
                        hist[toInt(s[sy + Border.Index(tx * tw + xx, w, BorderMode.Reflect101)])]++;
                }
                ClaheGeometry.ClipAndRedistribute(hist, clip);
                int sum = 0;
                int baseIdx = k * histSize;
                for (int i = 0; i < histSize; i++)
                {
                    sum += hist[i];
                    luts[baseIdx + i] = saturate(sum * lutScale);
                }
            }
        });

        float invTw = 1f / tw, invTh = 1f / th;
        var ind1 = new int[w];
        var ind2 = new int[w];
        var xa = new float[w];
        var xa1 = new float[w];
        for (int x = 0; x < w; x++)
        {
            float txf = x * invTw - 0.5f;
            int tx1 = (int)MathF.Floor(txf);
            int tx2 = tx1 + 1;
            xa[x] = txf - tx1;
            xa1[x] = 1f - xa[x];
            ind1[x] = Math.Max(tx1, 0) * histSize;
            ind2[x] = Math.Min(tx2, tilesX - 1) * histSize;
        }
        var dst = new Image<T>(w, h);
        var d = dst.Data;
        RowBands.Run(h, RowBands.MinRows(8L * w), (yStart, yEnd) =>
        {
            for (int y = yStart; y < yEnd; y++)
            {
                float tyf = y * invTh - 0.5f;
                int ty1 = (int)MathF.Floor(tyf);
                int ty2 = ty1 + 1;
                float ya = tyf - ty1, ya1 = 1f - ya;
                int p1 = Math.Max(ty1, 0) * tilesX * histSize, p2 = Math.Min(ty2, tilesY - 1) * tilesX * histSize;
                for (int x = 0; x < w; x++)
                {
                    int v = toInt(s[y * w + x]);
                    float a = ToFloat(luts[p1 + ind1[x] + v]), b = ToFloat(luts[p1 + ind2[x] + v]);
                    float c = ToFloat(luts[p2 + ind1[x] + v]), e = ToFloat(luts[p2 + ind2[x] + v]);
                    float res = (a * xa1[x] + b * xa[x]) * ya1 + (c * xa1[x] + e * xa[x]) * ya;
                    d[y * w + x] = saturate(res);
                }
            }
        });
        return dst;
    }

    private static float ToFloat<T>(T v) where T : unmanaged, INumberBase<T> => float.CreateTruncating(v);

    private static void RequireSingleChannel(int channels)
    {
        if (channels != 1) throw new ArgumentException($"Expected a single-channel image, got {channels} channels.");
    }

    /// <summary>OpenCV saturate_cast&lt;uchar&gt;(float): round half to even, clamp to [0, 255].</summary>
    internal static byte SaturateByte(float v) => (byte)Math.Clamp(MathF.Round(v), 0f, 255f);

    /// <summary>OpenCV saturate_cast&lt;ushort&gt;(float): round half to even, clamp to [0, 65535].</summary>
    internal static ushort SaturateUShort(float v) => (ushort)Math.Clamp(MathF.Round(v), 0f, 65535f);
}
