using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Thorax.Imaging.Ops;

// cv2.GaussianBlur / cv2.getGaussianKernel semantics (explicit kernel size, sigma = 0 rule), next to the scipy-style
// Blur of Gaussian.cs.
public static partial class Gaussian
{
    /// <summary>OpenCV's fixed kernels for odd sizes up to 9 when sigma &lt;= 0 (getGaussianKernel's small table).</summary>
    private static readonly double[][] SmallKernels =
    [
        [1.0],
        [0.25, 0.5, 0.25],
        [0.0625, 0.25, 0.375, 0.25, 0.0625],
        [0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125],
        [0.015625, 0.05078125, 0.1171875, 0.19921875, 0.234375, 0.19921875, 0.1171875, 0.05078125, 0.015625],
    ];

    /// <summary>The 1-D kernel of <c>cv2.getGaussianKernel(ksize, sigma)</c>.</summary>
    /// <param name="ksize">Kernel length, odd and &gt;= 1.</param>
    /// <param name="sigma">Standard deviation; &lt;= 0 means OpenCV's rule: the fixed binomial-like table for
    /// ksize &lt;= 9, otherwise sigma = 0.3 * ((ksize - 1) * 0.5 - 1) + 0.8.</param>
    /// <returns>exp(-x²/(2σ²)) at x = i - (ksize - 1)/2, normalised to sum 1.</returns>
    public static double[] CvKernel(int ksize, double sigma)
    {
        if (ksize < 1 || ksize % 2 == 0)
            throw new ArgumentOutOfRangeException(nameof(ksize), ksize, "Gaussian kernel size must be odd and >= 1.");
        if (ksize <= 9 && sigma <= 0) return (double[])SmallKernels[ksize >> 1].Clone();
        double s = sigma > 0 ? sigma : 0.3 * ((ksize - 1) * 0.5 - 1) + 0.8;
        double scale = -0.5 / (s * s);
        int r = ksize / 2;
        var k = new double[ksize];
        double sum = 0;
        for (int i = 0; i < ksize; i++)
        {
            double x = i - r;
            sum += k[i] = Math.Exp(scale * x * x);
        }
        for (int i = 0; i < ksize; i++) k[i] /= sum;
        return k;
    }

    /// <summary>
    /// Gaussian blur with <c>cv2.GaussianBlur(src, (ksizeX, ksizeY), sigmaX, sigmaY, borderType)</c> semantics on
    /// float data (each channel independently).
    /// </summary>
    /// <param name="src">Float image, any channel count.</param>
    /// <param name="ksizeX">Kernel width, odd; 0 derives it from <paramref name="sigmaX"/> as OpenCV does for float
    /// images: round(sigma * 8 + 1) | 1.</param>
    /// <param name="ksizeY">Kernel height, odd; 0 derives it from the y sigma the same way.</param>
    /// <param name="sigmaX">Horizontal standard deviation; &lt;= 0 derives it from the kernel width
    /// (see <see cref="CvKernel"/>).</param>
    /// <param name="sigmaY">Vertical standard deviation; 0 means equal to <paramref name="sigmaX"/>.</param>
    /// <param name="border">Border extrapolation; OpenCV's default is <see cref="BorderMode.Reflect101"/>.</param>
    /// <remarks>Matches OpenCV to float rounding (golden tests: |diff| &lt;= 1e-5 relative).</remarks>
    public static Image<float> CvBlur(Image<float> src, int ksizeX, int ksizeY, double sigmaX, double sigmaY = 0,
        BorderMode border = BorderMode.Reflect101)
    {
        ArgumentNullException.ThrowIfNull(src);
        var (kx, ky) = CvKernels(ksizeX, ksizeY, sigmaX, sigmaY, 4);
        return Separable(src, kx, ky, border, 0f);
    }

    /// <summary>
    /// Gaussian blur of an 8-bit image with <c>cv2.GaussianBlur</c> semantics (kernel size from sigma:
    /// round(sigma * 6 + 1) | 1), using OpenCV's fixed-point scheme for 8-bit data.
    /// </summary>
    /// <remarks>
    /// As OpenCV's GaussianBlurFixedPoint: both kernels are quantised to 8 fractional bits by error diffusion from the
    /// outside in (the centre tap takes the remainder so each kernel sums to exactly 256), the row pass keeps exact
    /// integer sums (16-bit fixed point), and the column pass rounds the 32-bit fixed-point sum:
    /// (sum + 2^15) &gt;&gt; 16. Integer arithmetic throughout, so the result is bit-exact with OpenCV on the golden cases.
    /// Both passes are vectorised over the row and parallel over row bands (<see cref="OpsThreading"/>).
    /// </remarks>
    /// <inheritdoc cref="CvBlur(Image{float}, int, int, double, double, BorderMode)"/>
    public static Image<byte> CvBlur(Image<byte> src, int ksizeX, int ksizeY, double sigmaX, double sigmaY = 0,
        BorderMode border = BorderMode.Reflect101)
    {
        ArgumentNullException.ThrowIfNull(src);
        var (kx, ky) = CvKernelsDouble(ksizeX, ksizeY, sigmaX, sigmaY, 3);
        int[] qx = FixedPointKernel(kx, 8), qy = FixedPointKernel(ky, 8);
        var dst = new Image<byte>(src.Width, src.Height, src.Channels);
        var d = dst.Data;
        int rowLen = dst.RowLength;
        FixedBlur(src.Data, src.Width, src.Height, src.Channels, qx, qy, border, 1,
            (rows, offs, q, y) => ColumnRow8(rows, offs, q, d.AsSpan(y * rowLen, rowLen)));
        return dst;
    }

    /// <summary>
    /// Gaussian blur of a 16-bit image with <c>cv2.GaussianBlur</c> semantics (kernel size from sigma:
    /// round(sigma * 8 + 1) | 1, as for every depth but 8-bit), using OpenCV's fixed-point scheme for 16-bit data.
    /// </summary>
    /// <remarks>
    /// <para>OpenCV 4.x blurs CV_16U in fixed point too (GaussianBlurFixedPoint with ufixedpoint32 kernels), not with
    /// the float separable filter: both kernels are quantised to 16 fractional bits by error diffusion (each sums to
    /// exactly 65536), the row pass keeps the exact 32-bit sums, the column pass forms the exact 48-bit sum (32
    /// fractional bits) and rounds it half up: (sum + 2^31) &gt;&gt; 32. This reproduces that arithmetic exactly
    /// (checked against cv2 4.6 on 864 random cases covering every border, 1 to 4 channels, 1-pixel-wide images and
    /// kernels longer than the image); the only possible difference is the last bit of a kernel tap, as OpenCV's
    /// software exp differs from <see cref="Math.Exp"/> by a few ulps, which changes a quantised tap only if it falls
    /// within ~1e-11 of a rounding tie.</para>
    /// <para>The column sums are formed in 32-bit lanes: the low 32 bits of the sum (wrapping) and the exact sum of
    /// the taps times the high halves of the row sums determine the 48-bit sum. Both passes are vectorised over the row
    /// and parallel over row bands (<see cref="OpsThreading"/>).</para>
    /// </remarks>
    /// <inheritdoc cref="CvBlur(Image{float}, int, int, double, double, BorderMode)"/>
    public static Image<ushort> CvBlur(Image<ushort> src, int ksizeX, int ksizeY, double sigmaX, double sigmaY = 0,
        BorderMode border = BorderMode.Reflect101)
    {
        ArgumentNullException.ThrowIfNull(src);
        var (kx, ky) = CvKernelsDouble(ksizeX, ksizeY, sigmaX, sigmaY, 4);
        int[] qx = FixedPointKernel(kx, 16), qy = FixedPointKernel(ky, 16);
        var dst = new Image<ushort>(src.Width, src.Height, src.Channels);
        var d = dst.Data;
        int rowLen = dst.RowLength;
        FixedBlur(src.Data, src.Width, src.Height, src.Channels, qx, qy, border, 2,
            (rows, offs, q, y) => ColumnRow16(rows, offs, q, d.AsSpan(y * rowLen, rowLen)));
        return dst;
    }

    /// <summary>OpenCV's getGaussianKernelFixedPoint_ED: symmetric taps from the outside in are scaled by
    /// 2^<paramref name="bits"/> and rounded (half to even) with the rounding error carried to the next tap; the centre
    /// is 2^bits minus the rest. Every tap is &gt;= 0, so a non-centre tap is at most 2^(bits-1).</summary>
    private static int[] FixedPointKernel(double[] k, int bits)
    {
        int n = k.Length, half = n / 2, one = 1 << bits;
        var q = new int[n];
        double err = 0;
        int sum = 0;
        for (int i = 0; i < half; i++)
        {
            double adj = k[i] * one + err;
            int v = (int)Math.Round(adj, MidpointRounding.ToEven);
            err = adj - v;
            q[i] = q[n - 1 - i] = v;
            sum += v;
        }
        q[half] = one - 2 * sum;
        return q;
    }

    /// <summary>Computes one output row from the horizontal rows the vertical taps read: rows[offs[t] ..] is the
    /// horizontal pass of source row y - r + t (border-mapped), q the vertical kernel as uint.</summary>
    private delegate void ColumnRowFn(uint[] rows, int[] offs, uint[] q, int y);

    /// <summary>
    /// The separable fixed-point blur: horizontal pass into exact uint row sums (<see cref="HorizontalRow"/>), then
    /// <paramref name="columnRow"/> per output row. Row bands run in parallel; each keeps the horizontal rows its
    /// vertical taps need in a ring of ky rows (cache-resident, recomputing the ry rows above and below the band), unless
    /// the kernel is too tall for bands of at least 4 ry rows on every thread: then the horizontal pass of the whole
    /// image is stored first and the vertical pass reads it. columnCost is the relative cost of a vertical tap (1 for
    /// 8-bit, 2 for 16-bit), for the band size.
    /// </summary>
    private static void FixedBlur<T>(T[] src, int w, int h, int cn, int[] qx, int[] qy, BorderMode border, int columnCost,
        ColumnRowFn columnRow) where T : unmanaged
    {
        int rx = qx.Length / 2, ry = qy.Length / 2, ky = qy.Length, rowLen = w * cn;
        var qxu = Array.ConvertAll(qx, v => (uint)v);
        var qyu = Array.ConvertAll(qy, v => (uint)v);
        var left = new int[rx];
        var right = new int[rx];
        for (int i = 1; i <= rx; i++)
        {
            left[i - 1] = Border.Index(-i, w, border);
            right[i - 1] = Border.Index(w - 1 + i, w, border);
        }
        int minRows = RowBands.MinRows((long)rowLen * (rx + 1 + columnCost * (ry + 1)));
        if ((long)4 * ry * OpsThreading.Effective <= h)
        {
            RowBands.Run(h, Math.Max(minRows, 4 * ry), (y0, y1) =>
            {
                var pad = new uint[(w + 2 * rx) * cn];
                // ring slot s holds virtual row v with (v - y0 + ry) % ky == s; slot ky stays zero (constant border)
                var ring = new uint[(long)(ky + 1) * rowLen];
                var slotOff = new int[ky];
                var offs = new int[ky];
                for (int v = y0 - ry; v < y1 + ry; v++)
                {
                    int slot = (v - y0 + ry) % ky, sy = Border.Index(v, h, border);
                    if (sy < 0) slotOff[slot] = ky * rowLen;
                    else
                    {
                        slotOff[slot] = slot * rowLen;
                        HorizontalRow(src.AsSpan(sy * rowLen, rowLen), pad, ring.AsSpan(slot * rowLen, rowLen), w, cn, qxu, left, right);
                    }
                    int y = v - ry;   // every tap row of output row y is in the ring now
                    if (y < y0) continue;
                    for (int t = 0; t < ky; t++) offs[t] = slotOff[(y - y0 + t) % ky];
                    columnRow(ring, offs, qyu, y);
                }
            });
            return;
        }
        // Tall kernel: horizontal pass of the whole image (plus a zero row at index h), then the vertical pass.
        var rows = new uint[(long)rowLen * (h + 1)];
        RowBands.Run(h, RowBands.MinRows((long)rowLen * (rx + 1)), (y0, y1) =>
        {
            var pad = new uint[(w + 2 * rx) * cn];
            for (int y = y0; y < y1; y++)
                HorizontalRow(src.AsSpan(y * rowLen, rowLen), pad, rows.AsSpan(y * rowLen, rowLen), w, cn, qxu, left, right);
        });
        RowBands.Run(h, RowBands.MinRows((long)rowLen * columnCost * (ry + 1)), (y0, y1) =>
        {
            var offs = new int[ky];
            for (int y = y0; y < y1; y++)
            {
                for (int t = 0; t < ky; t++)
                {
                    int sy = Border.Index(y - ry + t, h, border);
                    offs[t] = (sy < 0 ? h : sy) * rowLen;
                }
                columnRow(rows, offs, qyu, y);
            }
        });
    }

    /// <summary>Horizontal pass of one row (interleaved channels): out[j] = sum_i q[i] * sample[j + (i - r) * cn] with
    /// the border extrapolated (0 outside a constant border), as exact uint sums: samples are &lt;= 2^16 - 1 and the
    /// taps (&gt;= 0) sum to at most 2^16.</summary>
    /// <param name="row">Source row, w * cn samples.</param>
    /// <param name="pad">Scratch of (w + 2r) * cn: pad[(r + x) * cn + c] = sample (x, c) for x in [-r, w + r).</param>
    /// <param name="output">Row sums, w * cn.</param>
    /// <param name="w">Columns.</param>
    /// <param name="cn">Channels.</param>
    /// <param name="q">Horizontal fixed-point kernel (2r + 1 taps).</param>
    /// <param name="left">Border.Index(-i) for i = 1..r.</param>
    /// <param name="right">Border.Index(w - 1 + i) for i = 1..r.</param>
    private static void HorizontalRow<T>(ReadOnlySpan<T> row, uint[] pad, Span<uint> output, int w, int cn, uint[] q,
        int[] left, int[] right) where T : unmanaged
    {
        int r = q.Length / 2;
        Widen(row, pad.AsSpan(r * cn, row.Length));
        for (int i = 1; i <= r; i++)
        {
            int li = left[i - 1], ri = right[i - 1];
            for (int c = 0; c < cn; c++)
            {
                pad[(r - i) * cn + c] = li < 0 ? 0u : pad[(r + li) * cn + c];
                pad[(r + w - 1 + i) * cn + c] = ri < 0 ? 0u : pad[(r + ri) * cn + c];
            }
        }
        ConvolveFixed(pad, output, q, r, cn);
    }

    /// <summary>dst[i] = src[i] for 8- or 16-bit samples.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Widen<T>(ReadOnlySpan<T> src, Span<uint> dst) where T : unmanaged
    {
        int n = src.Length, i = 0;
        ref uint d = ref MemoryMarshal.GetReference(dst);
        if (typeof(T) == typeof(ushort))
        {
            var s = MemoryMarshal.Cast<T, ushort>(src);
            ref ushort sr = ref MemoryMarshal.GetReference(s);
            int vw = Vector<ushort>.Count;
            for (; i + vw <= n; i += vw)
            {
                Vector.Widen(Vector.LoadUnsafe(ref sr, (nuint)i), out var lo, out var hi);
                lo.StoreUnsafe(ref d, (nuint)i);
                hi.StoreUnsafe(ref d, (nuint)(i + vw / 2));
            }
            for (; i < n; i++) Unsafe.Add(ref d, i) = s[i];
        }
        else
        {
            var s = MemoryMarshal.Cast<T, byte>(src);
            ref byte sr = ref MemoryMarshal.GetReference(s);
            int vw = Vector<byte>.Count, q = vw / 4;
            for (; i + vw <= n; i += vw)
            {
                Vector.Widen(Vector.LoadUnsafe(ref sr, (nuint)i), out var lo, out var hi);
                Vector.Widen(lo, out var a, out var b);
                Vector.Widen(hi, out var c, out var e);
                a.StoreUnsafe(ref d, (nuint)i);
                b.StoreUnsafe(ref d, (nuint)(i + q));
                c.StoreUnsafe(ref d, (nuint)(i + 2 * q));
                e.StoreUnsafe(ref d, (nuint)(i + 3 * q));
            }
            for (; i < n; i++) Unsafe.Add(ref d, i) = s[i];
        }
    }

    /// <summary>output[j] = sum_i q[i] * pad[j + i * cn] over the symmetric kernel (pairs folded).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ConvolveFixed(uint[] pad, Span<uint> output, uint[] q, int r, int cn)
    {
        int n = output.Length, vw = Vector<uint>.Count;
        ref uint p = ref MemoryMarshal.GetArrayDataReference(pad);
        ref uint o = ref MemoryMarshal.GetReference(output);
        uint qc = q[r];
        int x = 0;
        for (; x + 2 * vw <= n; x += 2 * vw)
        {
            nuint c = (nuint)(x + r * cn);
            var a0 = Vector.LoadUnsafe(ref p, c) * qc;
            var a1 = Vector.LoadUnsafe(ref p, c + (nuint)vw) * qc;
            for (int i = 0; i < r; i++)
            {
                var qi = new Vector<uint>(q[i]);
                nuint lo = (nuint)(x + i * cn), hi = (nuint)(x + (2 * r - i) * cn);
                a0 += (Vector.LoadUnsafe(ref p, lo) + Vector.LoadUnsafe(ref p, hi)) * qi;
                a1 += (Vector.LoadUnsafe(ref p, lo + (nuint)vw) + Vector.LoadUnsafe(ref p, hi + (nuint)vw)) * qi;
            }
            a0.StoreUnsafe(ref o, (nuint)x);
            a1.StoreUnsafe(ref o, (nuint)(x + vw));
        }
        for (; x < n; x++)
        {
            uint acc = pad[x + r * cn] * qc;
            for (int i = 0; i < r; i++) acc += (pad[x + i * cn] + pad[x + (2 * r - i) * cn]) * q[i];
            Unsafe.Add(ref o, x) = acc;
        }
    }

    /// <summary>Vertical pass of the 8-bit blur for one row: (sum_t q[t] * rows[offs[t] + x] + 2^15) &gt;&gt; 16. The
    /// sums stay below 2^24 (row sums &lt;= 255 * 256, taps summing to 256).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnRow8(uint[] rows, int[] offs, uint[] q, Span<byte> output)
    {
        int n = output.Length, vw = Vector<uint>.Count, r = q.Length / 2;
        ref uint b = ref MemoryMarshal.GetArrayDataReference(rows);
        ref byte o = ref MemoryMarshal.GetReference(output);
        uint qc = q[r];
        var half = new Vector<uint>(1u << 15);
        int x = 0;
        // Four uint vectors per iteration narrow to one byte vector.
        for (; x + 4 * vw <= n; x += 4 * vw)
        {
            nuint c = (nuint)(offs[r] + x);
            var a0 = Vector.LoadUnsafe(ref b, c) * qc;
            var a1 = Vector.LoadUnsafe(ref b, c + (nuint)vw) * qc;
            var a2 = Vector.LoadUnsafe(ref b, c + (nuint)(2 * vw)) * qc;
            var a3 = Vector.LoadUnsafe(ref b, c + (nuint)(3 * vw)) * qc;
            for (int t = 0; t < r; t++)
            {
                var qt = new Vector<uint>(q[t]);
                nuint lo = (nuint)(offs[t] + x), hi = (nuint)(offs[2 * r - t] + x);
                a0 += (Vector.LoadUnsafe(ref b, lo) + Vector.LoadUnsafe(ref b, hi)) * qt;
                a1 += (Vector.LoadUnsafe(ref b, lo + (nuint)vw) + Vector.LoadUnsafe(ref b, hi + (nuint)vw)) * qt;
                a2 += (Vector.LoadUnsafe(ref b, lo + (nuint)(2 * vw)) + Vector.LoadUnsafe(ref b, hi + (nuint)(2 * vw))) * qt;
                a3 += (Vector.LoadUnsafe(ref b, lo + (nuint)(3 * vw)) + Vector.LoadUnsafe(ref b, hi + (nuint)(3 * vw))) * qt;
            }
            var w01 = Vector.Narrow(Vector.ShiftRightLogical(a0 + half, 16), Vector.ShiftRightLogical(a1 + half, 16));
            var w23 = Vector.Narrow(Vector.ShiftRightLogical(a2 + half, 16), Vector.ShiftRightLogical(a3 + half, 16));
            Vector.Narrow(w01, w23).StoreUnsafe(ref o, (nuint)x);
        }
        for (; x < n; x++)
        {
            uint acc = rows[offs[r] + x] * qc;
            for (int t = 0; t < r; t++) acc += (rows[offs[t] + x] + rows[offs[2 * r - t] + x]) * q[t];
            Unsafe.Add(ref o, x) = (byte)Math.Min((acc + (1u << 15)) >> 16, 255u);
        }
    }

    /// <summary>Vertical pass of the 16-bit blur for one row: (sum_t q[t] * rows[offs[t] + x] + 2^31) &gt;&gt; 32 of the exact sum
    /// S &lt; 2^48, from two 32-bit sums: W = S mod 2^32 and H = sum_t q[t] * (rows[..] &gt;&gt; 16) (exact, &lt; 2^32).
    /// Then S = H * 2^16 + L with L = (W - H * 2^16) mod 2^32 (the taps times the low halves, also &lt; 2^32), and
    /// (S + 2^31) &gt;&gt; 32 = (H + (L &gt;&gt; 16) + 2^15) &gt;&gt; 16, whose operand stays below 2^32 because S &lt;= 65535 * 2^32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnRow16(uint[] rows, int[] offs, uint[] q, Span<ushort> output)
    {
        int n = output.Length, vw = Vector<uint>.Count, r = q.Length / 2;
        ref uint b = ref MemoryMarshal.GetArrayDataReference(rows);
        ref ushort o = ref MemoryMarshal.GetReference(output);
        uint qc = q[r];
        var half = new Vector<uint>(1u << 15);
        int x = 0;
        // Two uint vectors per iteration narrow to one ushort vector.
        for (; x + 2 * vw <= n; x += 2 * vw)
        {
            nuint c = (nuint)(offs[r] + x);
            var v0 = Vector.LoadUnsafe(ref b, c);
            var v1 = Vector.LoadUnsafe(ref b, c + (nuint)vw);
            Vector<uint> w0 = v0 * qc, w1 = v1 * qc;
            Vector<uint> h0 = Vector.ShiftRightLogical(v0, 16) * qc, h1 = Vector.ShiftRightLogical(v1, 16) * qc;
            for (int t = 0; t < r; t++)
            {
                var qt = new Vector<uint>(q[t]);
                nuint lo = (nuint)(offs[t] + x), hi = (nuint)(offs[2 * r - t] + x);
                var l0 = Vector.LoadUnsafe(ref b, lo);
                var u0 = Vector.LoadUnsafe(ref b, hi);
                var l1 = Vector.LoadUnsafe(ref b, lo + (nuint)vw);
                var u1 = Vector.LoadUnsafe(ref b, hi + (nuint)vw);
                w0 += (l0 + u0) * qt;
                w1 += (l1 + u1) * qt;
                h0 += (Vector.ShiftRightLogical(l0, 16) + Vector.ShiftRightLogical(u0, 16)) * qt;
                h1 += (Vector.ShiftRightLogical(l1, 16) + Vector.ShiftRightLogical(u1, 16)) * qt;
            }
            var r0 = Vector.ShiftRightLogical(h0 + Vector.ShiftRightLogical(w0 - Vector.ShiftLeft(h0, 16), 16) + half, 16);
            var r1 = Vector.ShiftRightLogical(h1 + Vector.ShiftRightLogical(w1 - Vector.ShiftLeft(h1, 16), 16) + half, 16);
            Vector.Narrow(r0, r1).StoreUnsafe(ref o, (nuint)x);
        }
        for (; x < n; x++)
        {
            ulong acc = (ulong)rows[offs[r] + x] * qc;
            for (int t = 0; t < r; t++) acc += ((ulong)rows[offs[t] + x] + rows[offs[2 * r - t] + x]) * q[t];
            Unsafe.Add(ref o, x) = (ushort)Math.Min((acc + (1UL << 31)) >> 32, 65535UL);
        }
    }

    /// <summary>OpenCV's createGaussianKernels: sigmaY defaults to sigmaX, missing sizes come from the sigmas
    /// (<paramref name="sigmas"/> standard deviations each side: 3 for 8-bit, 4 otherwise).</summary>
    private static (float[] Kx, float[] Ky) CvKernels(int ksizeX, int ksizeY, double sigmaX, double sigmaY, int sigmas)
    {
        var (kx, ky) = CvKernelsDouble(ksizeX, ksizeY, sigmaX, sigmaY, sigmas);
        return (Array.ConvertAll(kx, v => (float)v), Array.ConvertAll(ky, v => (float)v));
    }

    private static (double[] Kx, double[] Ky) CvKernelsDouble(int ksizeX, int ksizeY, double sigmaX, double sigmaY, int sigmas)
    {
        if (sigmaY <= 0) sigmaY = sigmaX;
        if (ksizeX <= 0 && sigmaX > 0) ksizeX = (int)Math.Round(sigmaX * sigmas * 2 + 1, MidpointRounding.ToEven) | 1;
        if (ksizeY <= 0 && sigmaY > 0) ksizeY = (int)Math.Round(sigmaY * sigmas * 2 + 1, MidpointRounding.ToEven) | 1;
        if (ksizeX < 1 || ksizeX % 2 == 0 || ksizeY < 1 || ksizeY % 2 == 0)
            throw new ArgumentException($"Gaussian kernel size ({ksizeX}, {ksizeY}) must be odd and positive, or 0 with a positive sigma.");
        sigmaX = Math.Max(sigmaX, 0);
        sigmaY = Math.Max(sigmaY, 0);
        return (CvKernel(ksizeX, sigmaX), CvKernel(ksizeY, sigmaY));
    }
}
