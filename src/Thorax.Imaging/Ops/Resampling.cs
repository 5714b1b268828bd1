namespace Thorax.Imaging.Ops;

/// <summary>
/// Image resizing with OpenCV <c>cv2.resize</c> semantics, plus skimage-style anti-aliased resizing.
/// </summary>
/// <remarks>
/// <para>float32 results follow OpenCV's float arithmetic (equal up to float rounding, |diff| &lt; 1e-5 relative).</para>
/// <para>uint8 results use OpenCV's fixed-point scheme (11-bit coefficients). Nearest, cubic and area are
/// bit-exact on the golden cases. Linear reproduces OpenCV's SIMD rounding; OpenCV's scalar tail loop rounds
/// differently, so a few pixels differ by 1 (golden tests: |diff| &lt;= 1, about 99.6% exact).</para>
/// <para>uint16 results (12-16 bit X-ray data) follow OpenCV's uint16 arithmetic: nearest copies; linear and cubic use
/// float taps and float row buffers, the vertical sum in OpenCV's evaluation order, then round half to even and
/// saturate; area uses integer block sums ((sum + 2) &gt;&gt; 2 at 2x2, float sum * (1/area) otherwise) or OpenCV's
/// float coverage weights. All four kernels are bit-exact on the golden cases.</para>
/// <para>All channels are processed independently; the output has the same channel count.</para>
/// <para>As in OpenCV, INTER_LINEAR at an exact 2x2 downscale runs the INTER_AREA 2x2 path (identical uint8 values).
/// Implementation follows OpenCV's structure: per-axis tap tables, only the source rows a destination row needs are
/// resampled horizontally (SSSE3 shuffles for single-channel linear uint8), SIMD vertical passes, row bands in
/// parallel up to <see cref="OpsThreading.MaxThreads"/> when the image is large enough.</para>
/// </remarks>
public static partial class Resampling
{
    /// <summary>Resizes an 8-bit image like <c>cv2.resize(src, (width, height), interpolation)</c>.</summary>
    /// <param name="src">Source image, any channel count.</param>
    /// <param name="width">Output columns, &gt;= 1.</param>
    /// <param name="height">Output rows, &gt;= 1.</param>
    /// <param name="interpolation">Kernel (OpenCV INTER_*).</param>
    public static Image<byte> Resize(Image<byte> src, int width, int height, Interpolation interpolation = Interpolation.Linear)
    {
        ArgumentNullException.ThrowIfNull(src);
        var dst = Output<byte>(width, height, src.Channels);
        if (interpolation == Interpolation.Nearest) Nearest(src, dst);
        else if (UsesArea(src.Width, src.Height, width, height, interpolation)) AreaDown.Run(src, dst);
        else SeparableU8(src, dst, interpolation);
        return dst;
    }

    /// <summary>Resizes a float image like <c>cv2.resize(src, (width, height), interpolation)</c> on float32 data.</summary>
    /// <param name="src">Source image, any channel count.</param>
    /// <param name="width">Output columns, &gt;= 1.</param>
    /// <param name="height">Output rows, &gt;= 1.</param>
    /// <param name="interpolation">Kernel (OpenCV INTER_*).</param>
    public static Image<float> Resize(Image<float> src, int width, int height, Interpolation interpolation = Interpolation.Linear)
    {
        ArgumentNullException.ThrowIfNull(src);
        var dst = Output<float>(width, height, src.Channels);
        if (interpolation == Interpolation.Nearest) Nearest(src, dst);
        else if (UsesArea(src.Width, src.Height, width, height, interpolation)) AreaDown.Run(src, dst);
        else SeparableF32(src, dst, interpolation);
        return dst;
    }

    /// <summary>Resizes a 16-bit image like <c>cv2.resize(src, (width, height), interpolation)</c> on uint16 data.</summary>
    /// <remarks>
    /// <para>Bit-exact to OpenCV's uint16 path (checked on golden cases with full 16-bit and 12-bit ranges, one and
    /// three channels, integer and fractional downscales and upscales):</para>
    /// <list type="bullet">
    /// <item>Nearest copies source samples (source index floor(d * src/dst)).</item>
    /// <item>Linear and cubic resample each needed source row horizontally into float (float weights, exact float
    /// conversion of the samples), combine rows with float weights in OpenCV's order (cubic: its 8-sample SIMD
    /// blocks and scalar tail sum in different orders, both reproduced) and round half to even, saturating to
    /// [0, 65535]. As in OpenCV, the x fraction is clamped at the image edges and the y fraction is not.</item>
    /// <item>Area at integer factors: 2x2 blocks (1, 3 or 4 channels) give (a + b + c + d + 2) &gt;&gt; 2; other factors
    /// round sum * (1f / area) half to even (the sum is exact below 256-sample blocks). Fractional factors use the
    /// float coverage weights of OpenCV's ResizeArea. Area when upscaling is linear with area-style fractions.</item>
    /// <item>Linear at an exact 2x2 downscale takes the area 2x2 path, as cv::resize does.</item>
    /// </list>
    /// </remarks>
    /// <param name="src">Source image, any channel count.</param>
    /// <param name="width">Output columns, &gt;= 1.</param>
    /// <param name="height">Output rows, &gt;= 1.</param>
    /// <param name="interpolation">Kernel (OpenCV INTER_*).</param>
    public static Image<ushort> Resize(Image<ushort> src, int width, int height, Interpolation interpolation = Interpolation.Linear)
    {
        ArgumentNullException.ThrowIfNull(src);
        var dst = Output<ushort>(width, height, src.Channels);
        ResizeU16(src, dst, interpolation);
        return dst;
    }

    /// <summary>Resizes into an existing image (its size is the target size), like
    /// <c>cv2.resize(src, dst.shape[::-1], dst=dst, interpolation=...)</c>: same values as
    /// <see cref="Resize(Image{byte}, int, int, Interpolation)"/> without allocating the output, for loops that reuse
    /// buffers (fresh large arrays cost page faults on first touch).</summary>
    /// <param name="src">Source image.</param>
    /// <param name="dst">Destination with the same channel count; must not be <paramref name="src"/>.</param>
    /// <param name="interpolation">Kernel (OpenCV INTER_*).</param>
    public static void ResizeInto(Image<byte> src, Image<byte> dst, Interpolation interpolation = Interpolation.Linear)
    {
        CheckInto(src, dst);
        if (interpolation == Interpolation.Nearest) Nearest(src, dst);
        else if (UsesArea(src.Width, src.Height, dst.Width, dst.Height, interpolation)) AreaDown.Run(src, dst);
        else SeparableU8(src, dst, interpolation);
    }

    /// <summary>Float version of <see cref="ResizeInto(Image{byte}, Image{byte}, Interpolation)"/>.</summary>
    /// <param name="src">Source image.</param>
    /// <param name="dst">Destination with the same channel count; must not be <paramref name="src"/>.</param>
    /// <param name="interpolation">Kernel (OpenCV INTER_*).</param>
    public static void ResizeInto(Image<float> src, Image<float> dst, Interpolation interpolation = Interpolation.Linear)
    {
        CheckInto(src, dst);
        if (interpolation == Interpolation.Nearest) Nearest(src, dst);
        else if (UsesArea(src.Width, src.Height, dst.Width, dst.Height, interpolation)) AreaDown.Run(src, dst);
        else SeparableF32(src, dst, interpolation);
    }

    /// <summary>16-bit version of <see cref="ResizeInto(Image{byte}, Image{byte}, Interpolation)"/>: same values as
    /// <see cref="Resize(Image{ushort}, int, int, Interpolation)"/> without allocating the output.</summary>
    /// <param name="src">Source image.</param>
    /// <param name="dst">Destination with the same channel count; must not be <paramref name="src"/>.</param>
    /// <param name="interpolation">Kernel (OpenCV INTER_*).</param>
    public static void ResizeInto(Image<ushort> src, Image<ushort> dst, Interpolation interpolation = Interpolation.Linear)
    {
        CheckInto(src, dst);
        ResizeU16(src, dst, interpolation);
    }

    private static void ResizeU16(Image<ushort> src, Image<ushort> dst, Interpolation interpolation)
    {
        if (interpolation == Interpolation.Nearest) Nearest(src, dst);
        else if (UsesArea(src.Width, src.Height, dst.Width, dst.Height, interpolation)) AreaDown.Run(src, dst);
        else SeparableU16(src, dst, interpolation);
    }

    /// <summary>Resizes an 8-bit image and scales it to [0, 1] for a float model input: sample i equals
    /// <c>Resize(src, width, height, interpolation).Pixels[i] / 255f</c> exactly (same uint8 resize, then the same
    /// float division), without handing back the intermediate 8-bit image.</summary>
    /// <param name="src">Source image, any channel count.</param>
    /// <param name="width">Output columns, &gt;= 1.</param>
    /// <param name="height">Output rows, &gt;= 1.</param>
    /// <param name="interpolation">Kernel (OpenCV INTER_*).</param>
    public static Image<float> ResizeToUnit(Image<byte> src, int width, int height, Interpolation interpolation = Interpolation.Linear)
    {
        ArgumentNullException.ThrowIfNull(src);
        var dst = Output<float>(width, height, src.Channels);
        ResizeToUnitInto(src, dst, interpolation);
        return dst;
    }

    /// <summary><see cref="ResizeToUnit"/> into an existing float image (its size is the target size).</summary>
    /// <param name="src">Source image.</param>
    /// <param name="dst">Destination with the same channel count.</param>
    /// <param name="interpolation">Kernel (OpenCV INTER_*).</param>
    public static void ResizeToUnitInto(Image<byte> src, Image<float> dst, Interpolation interpolation = Interpolation.Linear)
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(dst);
        if (dst.Channels != src.Channels)
            throw new ArgumentException($"Destination has {dst.Channels} channels, source {src.Channels}.", nameof(dst));
        // The 8-bit result goes to a per-thread scratch image (kept when small), so repeated calls reuse warm memory.
        var scratch = t_unitScratch;
        if (scratch is null || !scratch.HasSameShape(dst) || ReferenceEquals(scratch.Data, src.Data))
        {
            scratch = Output<byte>(dst.Width, dst.Height, dst.Channels);
            if (scratch.Data.Length <= MaxUnitScratch) t_unitScratch = scratch;
        }
        ResizeInto(src, scratch, interpolation);
        PixelConvert.ToUnit(scratch.Data, dst.Data);
    }

    /// <summary>The source rows an 8-bit resize of this geometry reads, or null when it reads all of them (area,
    /// and linear at an exact 2x downscale, which takes the area path).</summary>
    internal static bool[]? SourceRowsRead(int sw, int sh, int dw, int dh, int cn, Interpolation interpolation)
    {
        if (interpolation == Interpolation.Area || UsesArea(sw, sh, dw, dh, interpolation)) return null;
        var rows = new bool[sh];
        if (interpolation == Interpolation.Nearest)
        {
            double ify = 1.0 / ((double)dh / sh);
            for (int y = 0; y < dh; y++) rows[Math.Min((int)Math.Floor(y * ify), sh - 1)] = true;
            return rows;
        }
        foreach (int r in U8Plan.For(sw, sh, dw, dh, cn, interpolation).YIndex) rows[r] = true;
        return rows;
    }

    /// <summary>Largest 8-bit scratch image (bytes) a thread keeps between <see cref="ResizeToUnitInto"/> calls.</summary>
    private const int MaxUnitScratch = 1 << 20;

    [ThreadStatic] private static Image<byte>? t_unitScratch;

    private static void CheckInto<T>(Image<T> src, Image<T> dst) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(dst);
        if (dst.Channels != src.Channels)
            throw new ArgumentException($"Destination has {dst.Channels} channels, source {src.Channels}.", nameof(dst));
        if (ReferenceEquals(src.Data, dst.Data))
            throw new ArgumentException("Destination must not share the source's pixels.", nameof(dst));
    }

    /// <summary>
    /// Anti-aliased bilinear resize equal to <c>skimage.transform.resize(image, (height, width), order=1,
    /// anti_aliasing=True)</c> with skimage's defaults (mode 'reflect', clip=True) on float input.
    /// </summary>
    /// <remarks>
    /// Per axis with factor f = in/out, a Gaussian of sigma max(0, (f - 1) / 2) (scipy mode 'mirror' =
    /// <see cref="BorderMode.Reflect101"/>, truncate 4) is applied first, then linear interpolation at
    /// (o + 0.5) * f - 0.5 with mirrored borders, then the result is clipped to the input's [min, max].
    /// </remarks>
    /// <param name="src">Single- or multi-channel float image.</param>
    /// <param name="width">Output columns, &gt;= 1.</param>
    /// <param name="height">Output rows, &gt;= 1.</param>
    public static Image<float> ResizeAntiAliased(Image<float> src, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        double fy = (double)src.Height / height, fx = (double)src.Width / width;
        var filtered = Gaussian.Blur(src, Math.Max(0, (fy - 1) / 2), Math.Max(0, (fx - 1) / 2), BorderMode.Reflect101);
        int cn = src.Channels;
        var (x0, x1, wx) = LinearTaps(src.Width, width, fx);
        var (y0, y1, wy) = LinearTaps(src.Height, height, fy);
        var dst = new Image<float>(width, height, cn);
        float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
        foreach (float v in src.Pixels) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
        var f = filtered.Data;
        var d = dst.Data;
        int sw = src.Width;
        RowBands.Run(height, RowBands.MinRows(8L * width * cn), (yStart, yEnd) =>
        {
            for (int y = yStart; y < yEnd; y++)
            {
                int r0 = y0[y] * sw * cn, r1 = y1[y] * sw * cn;
                double b = wy[y];
                for (int x = 0; x < width; x++)
                {
                    double a = wx[x];
                    for (int c = 0; c < cn; c++)
                    {
                        double top = f[r0 + x0[x] * cn + c] * (1 - a) + f[r0 + x1[x] * cn + c] * a;
                        double bot = f[r1 + x0[x] * cn + c] * (1 - a) + f[r1 + x1[x] * cn + c] * a;
                        d[(y * width + x) * cn + c] = Math.Clamp((float)(top * (1 - b) + bot * b), lo, hi);
                    }
                }
            }
        });
        return dst;
    }

    /// <summary>Output image whose array is not zeroed: every kernel writes every sample.</summary>
    private static Image<T> Output<T>(int width, int height, int channels) where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        return new Image<T>(width, height, channels, GC.AllocateUninitializedArray<T>(checked(width * height * channels)));
    }

    private static (int[] I0, int[] I1, double[] W) LinearTaps(int n, int m, double factor)
    {
        var i0 = new int[m];
        var i1 = new int[m];
        var w = new double[m];
        for (int o = 0; o < m; o++)
        {
            double p = (o + 0.5) * factor - 0.5;
            int f = (int)Math.Floor(p);
            w[o] = p - f;
            i0[o] = Border.Index(f, n, BorderMode.Reflect101);
            i1[o] = Border.Index(f + 1, n, BorderMode.Reflect101);
        }
        return (i0, i1, w);
    }

}
