using System.Numerics;

namespace Thorax.Imaging.Ops;

/// <summary>
/// Grey-level morphology equal to OpenCV's <c>cv2.erode</c>, <c>cv2.dilate</c> and <c>cv2.morphologyEx</c>
/// (OPEN, CLOSE) with one iteration and the default border, which never wins the min/max (pixels outside the
/// image are ignored).
/// </summary>
/// <remarks>
/// dst(x, y) = min (erode) / max (dilate) of src(x + dx, y + dy) over the element's offsets relative to its anchor
/// (the element is not reflected for dilation, as in OpenCV). Multi-channel images are processed per channel.
/// Work is vectorised over columns and parallel over rows.
/// </remarks>
public static class Morphology
{
    /// <summary>Erosion (local minimum).</summary>
    public static Image<byte> Erode(Image<byte> src, StructuringElement element) => Apply(src, element, min: true);

    /// <summary>Dilation (local maximum).</summary>
    public static Image<byte> Dilate(Image<byte> src, StructuringElement element) => Apply(src, element, min: false);

    /// <summary>Opening: erosion then dilation.</summary>
    public static Image<byte> Open(Image<byte> src, StructuringElement element) => Dilate(Erode(src, element), element);

    /// <summary>Closing: dilation then erosion.</summary>
    public static Image<byte> Close(Image<byte> src, StructuringElement element) => Erode(Dilate(src, element), element);

    /// <summary>Erosion (local minimum) of a float image.</summary>
    public static Image<float> Erode(Image<float> src, StructuringElement element) => Apply(src, element, min: true);

    /// <summary>Dilation (local maximum) of a float image.</summary>
    public static Image<float> Dilate(Image<float> src, StructuringElement element) => Apply(src, element, min: false);

    /// <summary>Opening of a float image.</summary>
    public static Image<float> Open(Image<float> src, StructuringElement element) => Dilate(Erode(src, element), element);

    /// <summary>Closing of a float image.</summary>
    public static Image<float> Close(Image<float> src, StructuringElement element) => Erode(Dilate(src, element), element);

    /// <summary>Erosion (local minimum) of a 16-bit image (e.g. 12-16-bit X-ray values), like <c>cv2.erode</c> on uint16.</summary>
    public static Image<ushort> Erode(Image<ushort> src, StructuringElement element) => Apply(src, element, min: true);

    /// <summary>Dilation (local maximum) of a 16-bit image.</summary>
    public static Image<ushort> Dilate(Image<ushort> src, StructuringElement element) => Apply(src, element, min: false);

    /// <summary>Opening of a 16-bit image.</summary>
    public static Image<ushort> Open(Image<ushort> src, StructuringElement element) => Dilate(Erode(src, element), element);

    /// <summary>Closing of a 16-bit image.</summary>
    public static Image<ushort> Close(Image<ushort> src, StructuringElement element) => Erode(Dilate(src, element), element);

    private static Image<T> Apply<T>(Image<T> src, StructuringElement element, bool min)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(element);
        var offsets = element.Offsets();
        int w = src.Width, h = src.Height, cn = src.Channels, rowLen = w * cn;
        var dst = new Image<T>(w, h, cn);
        var s = src.Data;
        var d = dst.Data;
        T init = min ? MaxOf<T>() : MinOf<T>();
        RowBands.Run(h, RowBands.MinRows(Math.Max(1, (long)rowLen * offsets.Length / 8)), (y0, y1) =>
        {
            for (int y = y0; y < y1; y++)
            {
                var acc = d.AsSpan(y * rowLen, rowLen);
                acc.Fill(init);
                foreach (var (dx, dy) in offsets)
                {
                    int sy = y + dy;
                    if ((uint)sy >= (uint)h) continue;
                    int x0 = Math.Max(0, -dx), x1 = Math.Min(w, w - dx);
                    if (x1 <= x0) continue;
                    var srcSpan = s.AsSpan(sy * rowLen + (x0 + dx) * cn, (x1 - x0) * cn);
                    var dstSpan = acc.Slice(x0 * cn, (x1 - x0) * cn);
                    if (min) MinInto(dstSpan, srcSpan); else MaxInto(dstSpan, srcSpan);
                }
            }
        });
        return dst;
    }

    private static T MaxOf<T>() where T : INumber<T>, IMinMaxValue<T> =>
        typeof(T) == typeof(float) ? (T)(object)float.PositiveInfinity : T.MaxValue;

    private static T MinOf<T>() where T : INumber<T>, IMinMaxValue<T> =>
        typeof(T) == typeof(float) ? (T)(object)float.NegativeInfinity : T.MinValue;

    private static void MinInto<T>(Span<T> acc, ReadOnlySpan<T> src) where T : unmanaged, INumber<T>
    {
        int i = 0, vw = Vector<T>.Count;
        for (; i + vw <= acc.Length; i += vw)
            Vector.Min(new Vector<T>(acc[i..]), new Vector<T>(src[i..])).CopyTo(acc[i..]);
        for (; i < acc.Length; i++) if (src[i] < acc[i]) acc[i] = src[i];
    }

    private static void MaxInto<T>(Span<T> acc, ReadOnlySpan<T> src) where T : unmanaged, INumber<T>
    {
        int i = 0, vw = Vector<T>.Count;
        for (; i + vw <= acc.Length; i += vw)
            Vector.Max(new Vector<T>(acc[i..]), new Vector<T>(src[i..])).CopyTo(acc[i..]);
        for (; i < acc.Length; i++) if (src[i] > acc[i]) acc[i] = src[i];
    }
}
