using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Thorax.Imaging.Ops;

// Nearest and separable (linear / cubic / area-upscale) kernels of Resampling.Resize.
// Structure follows OpenCV's resizeGeneric: per-axis tap tables are computed once, every destination row band keeps a
// small ring of horizontally resampled source rows (only the rows a destination row needs are ever computed), and the
// vertical pass combines those rows with SIMD. uint8 uses 11-bit fixed-point weights (INTER_RESIZE_COEF_BITS).
public static partial class Resampling
{
    /// <summary>OpenCV's choice of the area path: INTER_AREA when not upscaling, and INTER_LINEAR at an exact 2x2
    /// integer downscale (cv::resize turns that into INTER_AREA; both give the same uint8 result).</summary>
    private static bool UsesArea(int sw, int sh, int dw, int dh, Interpolation interp)
    {
        if (interp == Interpolation.Area) return dw <= sw && dh <= sh;
        if (interp != Interpolation.Linear) return false;
        return sw == 2 * dw && sh == 2 * dh;
    }

    private static void Nearest<T>(Image<T> src, Image<T> dst) where T : unmanaged
    {
        int cn = src.Channels, sw = src.Width, sh = src.Height, dw = dst.Width, dh = dst.Height;
        double ifx = 1.0 / ((double)dw / sw), ify = 1.0 / ((double)dh / sh);
        var xofs = new int[dw];
        for (int x = 0; x < dw; x++) xofs[x] = Math.Min((int)Math.Floor(x * ifx), sw - 1) * cn;
        var s = src.Data;
        var d = dst.Data;
        var groups = typeof(T) == typeof(byte) && cn == 1 && Ssse3.IsSupported ? NearestGroups(xofs, sw) : null;
        RowBands.Run(dh, RowBands.MinRows((long)dw * cn), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (y0, y1) =>
        {
            ref int xo = ref MemoryMarshal.GetArrayDataReference(xofs);
            for (int y = y0; y < y1; y++)
            {
                int sy = Math.Min((int)Math.Floor(y * ify), sh - 1);
                ref T srow = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(s), (nint)sy * sw * cn);
                ref T drow = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(d), (nint)y * dw * cn);
                if (cn == 1)
                {
                    int x0 = groups is null ? 0 : NearestRowSsse3(ref Unsafe.As<T, byte>(ref srow), ref Unsafe.As<T, byte>(ref drow), groups);
                    for (int x = x0; x < dw; x++) Unsafe.Add(ref drow, x) = Unsafe.Add(ref srow, Unsafe.Add(ref xo, x));
                }
                else
                {
                    for (int x = 0; x < dw; x++)
                    {
                        int o = Unsafe.Add(ref xo, x);
                        for (int c = 0; c < cn; c++) Unsafe.Add(ref drow, x * cn + c) = Unsafe.Add(ref srow, o + c);
                    }
                }
            }
        });
    }

    /// <summary>Single-channel uint8 nearest in groups of G (16, 8 or 4) destination columns whose sources lie in one
    /// 16-byte window (G = 16 when upscaling, 8 down to 2x, 4 down to ~4.6x; a leading run of groups only): window
    /// start and pshufb mask per group.</summary>
    private sealed record NearestTable(int[] Base, byte[] Mask, int Group, int Columns);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static NearestTable? NearestGroups(int[] xofs, int sw)
    {
        int dw = xofs.Length, g = 16;
        while (g >= 4 && (dw < g || xofs[g - 1] - xofs[0] >= 16)) g /= 2;
        if (g < 4) return null;
        int n = dw / g, groups = 0;
        var bases = new int[n];
        var mask = new byte[n * 16];
        for (int i = 0; i < n; i++)
        {
            int b = xofs[g * i];
            if (b + 16 > sw || xofs[g * i + g - 1] - b >= 16) break;
            for (int j = 0; j < g; j++) mask[16 * i + j] = (byte)(xofs[g * i + j] - b);
            for (int j = g; j < 16; j++) mask[16 * i + j] = 0x80;
            bases[i] = b;
            groups++;
        }
        return new NearestTable(bases, mask, g, groups * g);
    }

    /// <summary>G nearest samples per pshufb; returns the columns done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int NearestRowSsse3(ref byte srow, ref byte drow, NearestTable t)
    {
        ref int bp = ref MemoryMarshal.GetArrayDataReference(t.Base);
        ref byte mp = ref MemoryMarshal.GetArrayDataReference(t.Mask);
        int g = t.Group, groups = t.Columns / g;
        for (int i = 0; i < groups; i++)
        {
            var v = Ssse3.Shuffle(Vector128.LoadUnsafe(ref srow, (nuint)Unsafe.Add(ref bp, i)), Vector128.LoadUnsafe(ref mp, (nuint)(16 * i)));
            ref byte o = ref Unsafe.Add(ref drow, g * i);
            if (g == 16) v.StoreUnsafe(ref o);
            else if (g == 8) Unsafe.WriteUnaligned(ref o, v.AsUInt64().ToScalar());
            else Unsafe.WriteUnaligned(ref o, v.AsUInt32().ToScalar());
        }
        return t.Columns;
    }

    /// <summary>Per-axis taps: for destination index d and tap t, the clamped source index Index[d*K+t] and
    /// float weight Alpha[d*K+t].</summary>
    internal sealed class AxisTable
    {
        public required int[] Index { get; init; }
        public required float[] Alpha { get; init; }
        public required int KSize { get; init; }
    }

    /// <param name="ssize">Source length along the axis.</param>
    /// <param name="dsize">Destination length along the axis.</param>
    /// <param name="interp">Kernel.</param>
    /// <param name="clampLinear">Linear and area taps falling off an edge get weights (1, 0) on the edge sample, as
    /// OpenCV does along x. OpenCV keeps the unclamped fraction along y (both taps then read the clamped edge row):
    /// pass false for that; (1 - f) * v + f * v can differ from v by a float rounding.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static AxisTable BuildAxis(int ssize, int dsize, Interpolation interp, bool clampLinear = true)
    {
        double inv = (double)dsize / ssize, scale = 1.0 / inv;
        bool area = interp == Interpolation.Area;
        bool cubic = interp == Interpolation.Cubic;
        int k = cubic ? 4 : 2;
        var index = new int[dsize * k];
        var alpha = new float[dsize * k];
        for (int d = 0; d < dsize; d++)
        {
            float f;
            int s;
            if (!area)
            {
                f = (float)((d + 0.5) * scale - 0.5);
                s = (int)MathF.Floor(f);
                f -= s;
            }
            else
            {
                s = (int)Math.Floor(d * scale);
                f = (float)((d + 1) - (s + 1) * inv);
                f = f <= 0 ? 0f : f - MathF.Floor(f);
            }
            int first;
            if (!cubic)
            {
                if (clampLinear && s < 0) { f = 0; s = 0; }
                if (clampLinear && s >= ssize - 1) { f = 0; s = ssize - 1; }
                alpha[d * 2] = 1f - f;
                alpha[d * 2 + 1] = f;
                first = s;
            }
            else
            {
                const float A = -0.75f;
                float x = f;
                float c0 = ((A * (x + 1) - 5 * A) * (x + 1) + 8 * A) * (x + 1) - 4 * A;
                float c1 = ((A + 2) * x - (A + 3)) * x * x + 1;
                float c2 = ((A + 2) * (1 - x) - (A + 3)) * (1 - x) * (1 - x) + 1;
                alpha[d * 4] = c0;
                alpha[d * 4 + 1] = c1;
                alpha[d * 4 + 2] = c2;
                alpha[d * 4 + 3] = 1f - c0 - c1 - c2;
                first = s - 1;
            }
            for (int t = 0; t < k; t++) index[d * k + t] = Math.Clamp(first + t, 0, ssize - 1);
        }
        return new AxisTable { Index = index, Alpha = alpha, KSize = k };
    }

    private static short Fixed(float v) => (short)Math.Clamp(MathF.Round(v * 2048f), short.MinValue, short.MaxValue);

    /// <summary>Ring of horizontally resampled source rows for one band: maps the source rows a destination row
    /// needs to buffers, reusing rows shared with the previous destination row. <see cref="Slot"/> says which
    /// buffer holds a row and whether it still has to be computed.</summary>
    private sealed class RowRing<TBuf> where TBuf : unmanaged
    {
        private readonly int[] _rows;
        public readonly TBuf[][] Buffers;

        public RowRing(int k, int rowLen)
        {
            _rows = new int[k];
            Buffers = new TBuf[k][];
            for (int i = 0; i < k; i++)
            {
                _rows[i] = -1;
                Buffers[i] = System.Buffers.ArrayPool<TBuf>.Shared.Rent(rowLen);
            }
        }

        /// <summary>Gives the row buffers back to the shared pool.</summary>
        public void Return()
        {
            foreach (var b in Buffers) System.Buffers.ArrayPool<TBuf>.Shared.Return(b);
        }

        /// <summary>Points rows[t] at the buffer of source row need[t] for every tap t; returns a bit mask of the taps
        /// whose buffer must still be filled (bit t set: row need[t] was not in the ring).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public int Acquire(ReadOnlySpan<int> need, TBuf[][] rows)
        {
            int fresh = 0;
            for (int t = 0; t < need.Length; t++)
            {
                rows[t] = Buffers[Slot(need, t, out bool compute)];
                if (compute) fresh |= 1 << t;
            }
            return fresh;
        }

        /// <summary>Buffer index for source row need[t]; <paramref name="compute"/> is true when it must be filled.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public int Slot(ReadOnlySpan<int> need, int t, out bool compute)
        {
            int r = need[t];
            for (int j = 0; j < _rows.Length; j++)
                if (_rows[j] == r) { compute = false; return j; }
            for (int j = 0; j < _rows.Length; j++)
            {
                bool used = false;
                for (int u = 0; u < need.Length; u++) used |= need[u] == _rows[j];
                if (!used)
                {
                    _rows[j] = r;
                    compute = true;
                    return j;
                }
            }
            throw new InvalidOperationException("Row ring exhausted.");
        }
    }

    private static void SeparableU8(Image<byte> src, Image<byte> dst, Interpolation interp)
    {
        var plan = U8Plan.For(src.Width, src.Height, dst.Width, dst.Height, src.Channels, interp);
        var job = new U8Job(src.Data, dst.Data, plan);
        RowBands.Run(dst.Height, RowBands.MinRows((long)dst.Width * src.Channels * plan.K * 2), job.Band);
    }

    /// <summary>Immutable tables of one uint8 separable resize geometry; the last one is cached, so repeated resizes
    /// of the same geometry (data loaders) skip rebuilding them.</summary>
    private sealed record U8Plan(int Sw, int Sh, int Dw, int Dh, int Cn, Interpolation Interp, int K, int[] XAlpha,
        int[] XOfs, int[] YIndex, int[] YBeta, PairTable? Pairs)
    {
        private static volatile U8Plan? s_last;

        public static U8Plan For(int sw, int sh, int dw, int dh, int cn, Interpolation interp)
        {
            var p = s_last;
            if (p is not null && p.Sw == sw && p.Sh == sh && p.Dw == dw && p.Dh == dh && p.Cn == cn && p.Interp == interp) return p;
            var xt = BuildAxis(sw, dw, interp);
            var yt = BuildAxis(sh, dh, interp);
            var xa = FixedWeights(xt.Alpha);
            p = new U8Plan(sw, sh, dw, dh, cn, interp, xt.KSize, xa, ScaledIndex(xt.Index, cn), yt.Index, FixedWeights(yt.Alpha),
                xt.KSize == 2 && cn == 1 && Ssse3.IsSupported ? LinearPairs(xt, xa, sw) : null);
            s_last = p;
            return p;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int[] FixedWeights(float[] alpha)
    {
        var r = new int[alpha.Length];
        for (int i = 0; i < r.Length; i++) r[i] = Fixed(alpha[i]);
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int[] ScaledIndex(int[] index, int cn)
    {
        var r = new int[index.Length];
        for (int i = 0; i < r.Length; i++) r[i] = index[i] * cn;
        return r;
    }

    /// <summary>One uint8 separable resize: plan plus the per-band loop.</summary>
    private sealed record U8Job(byte[] Src, byte[] Dst, U8Plan Plan)
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Band(int y0, int y1)
        {
            var p = Plan;
            int k = p.K, cn = p.Cn, dw = p.Dw, rowLen = dw * cn, srcLen = p.Sw * cn;
            var ring = new RowRing<int>(k, rowLen);
            var rows = new int[k][];
            for (int y = y0; y < y1; y++)
            {
                var need = p.YIndex.AsSpan(y * k, k);
                int fresh = ring.Acquire(need, rows);
                if (fresh == 3 && k == 2 && p.Pairs is not null)
                {
                    // Both rows new (every row when downscaling by 2 or more): one pass shares the tap tables.
                    var s0 = Src.AsSpan(need[0] * srcLen, srcLen);
                    var s1 = Src.AsSpan(need[1] * srcLen, srcLen);
                    int done = HResizeLinearPairSsse3(s0, s1, rows[0], rows[1], p.Pairs);
                    HResizeU8(s0, rows[0], p.XOfs, p.XAlpha, k, cn, dw, done);
                    HResizeU8(s1, rows[1], p.XOfs, p.XAlpha, k, cn, dw, done);
                }
                else
                {
                    for (int t = 0; t < k; t++)
                    {
                        if ((fresh & (1 << t)) == 0) continue;
                        var srow = Src.AsSpan(need[t] * srcLen, srcLen);
                        int done = p.Pairs is null ? 0 : HResizeLinearSsse3(srow, rows[t], p.Pairs);
                        HResizeU8(srow, rows[t], p.XOfs, p.XAlpha, k, cn, dw, done);
                    }
                }
                var drow = Dst.AsSpan(y * rowLen, rowLen);
                if (k == 2) VResizeLinearU8(rows[0], rows[1], p.YBeta[y * 2], p.YBeta[y * 2 + 1], drow);
                else VResizeCubicU8(rows, p.YBeta.AsSpan(y * 4, 4), drow);
            }
            ring.Return();
        }
    }

    /// <summary>Single-channel linear taps for the SSSE3 path, in groups of four destination columns whose taps lie
    /// in one 16-byte window of the source row: window start, a pshufb mask spreading each column's two source
    /// bytes to int16 lanes, and the (alpha0, alpha1) int16 pairs. Only a leading run of such groups is listed.</summary>
    private sealed record PairTable(int[] Base, byte[] Mask, short[] Alpha, int Columns);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static PairTable LinearPairs(AxisTable xt, int[] ia, int sw)
    {
        int dw = xt.Index.Length / 2, groups = 0;
        var bases = new int[dw / 4];
        var mask = new byte[dw / 4 * 16];
        var alpha = new short[dw / 4 * 8];
        for (int g = 0; g < dw / 4; g++)
        {
            int b = xt.Index[8 * g];
            if (b + 16 > sw) break;
            bool ok = true;
            for (int j = 0; j < 4 && ok; j++)
            {
                int x = 4 * g + j, i0 = xt.Index[2 * x], i1 = xt.Index[2 * x + 1];
                ok = (i1 == i0 + 1 || ia[2 * x + 1] == 0) && i0 >= b && i0 + 1 - b < 16;
                if (!ok) break;
                mask[16 * g + 4 * j] = (byte)(i0 - b);
                mask[16 * g + 4 * j + 1] = 0x80;
                mask[16 * g + 4 * j + 2] = (byte)(i0 + 1 - b);
                mask[16 * g + 4 * j + 3] = 0x80;
                alpha[8 * g + 2 * j] = (short)ia[2 * x];
                alpha[8 * g + 2 * j + 1] = (short)ia[2 * x + 1];
            }
            if (!ok) break;
            bases[g] = b;
            groups++;
        }
        return new PairTable(bases, mask, alpha, groups * 4);
    }

    /// <summary>D[x] = S[o]*a0 + S[o+1]*a1 four columns at a time: one 16-byte load, pshufb to int16 pairs, pmaddwd
    /// with the packed weights (OpenCV's HResizeLinearVec_8u32s arithmetic, exact in int32). Returns columns done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int HResizeLinearSsse3(ReadOnlySpan<byte> srow, int[] dstRow, PairTable t)
    {
        ref byte sp = ref MemoryMarshal.GetReference(srow);
        ref int bp = ref MemoryMarshal.GetArrayDataReference(t.Base);
        ref byte mp = ref MemoryMarshal.GetArrayDataReference(t.Mask);
        ref short ap = ref MemoryMarshal.GetArrayDataReference(t.Alpha);
        ref int dp = ref MemoryMarshal.GetArrayDataReference(dstRow);
        int groups = t.Columns / 4;
        for (int g = 0; g < groups; g++)
        {
            var v = Vector128.LoadUnsafe(ref sp, (nuint)Unsafe.Add(ref bp, g));
            var px = Ssse3.Shuffle(v, Vector128.LoadUnsafe(ref mp, (nuint)(16 * g))).AsInt16();
            Sse2.MultiplyAddAdjacent(px, Vector128.LoadUnsafe(ref ap, (nuint)(8 * g))).StoreUnsafe(ref dp, (nuint)(4 * g));
        }
        return t.Columns;
    }

    /// <summary><see cref="HResizeLinearSsse3"/> on two source rows at once, sharing the table loads; with AVX2 two
    /// groups (eight columns) per step, each 128-bit lane with its own window. Returns columns done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int HResizeLinearPairSsse3(ReadOnlySpan<byte> row0, ReadOnlySpan<byte> row1, int[] dst0, int[] dst1, PairTable t)
    {
        ref byte s0 = ref MemoryMarshal.GetReference(row0);
        ref byte s1 = ref MemoryMarshal.GetReference(row1);
        ref int bp = ref MemoryMarshal.GetArrayDataReference(t.Base);
        ref byte mp = ref MemoryMarshal.GetArrayDataReference(t.Mask);
        ref short ap = ref MemoryMarshal.GetArrayDataReference(t.Alpha);
        ref int d0 = ref MemoryMarshal.GetArrayDataReference(dst0);
        ref int d1 = ref MemoryMarshal.GetArrayDataReference(dst1);
        int groups = t.Columns / 4, g = 0;
        if (Avx2.IsSupported)
        {
            for (; g + 2 <= groups; g += 2)
            {
                nuint b0 = (nuint)Unsafe.Add(ref bp, g), b1 = (nuint)Unsafe.Add(ref bp, g + 1);
                var mask = Vector256.LoadUnsafe(ref mp, (nuint)(16 * g));
                var alpha = Vector256.LoadUnsafe(ref ap, (nuint)(8 * g));
                var v0 = Vector256.Create(Vector128.LoadUnsafe(ref s0, b0), Vector128.LoadUnsafe(ref s0, b1));
                var v1 = Vector256.Create(Vector128.LoadUnsafe(ref s1, b0), Vector128.LoadUnsafe(ref s1, b1));
                Avx2.MultiplyAddAdjacent(Avx2.Shuffle(v0, mask).AsInt16(), alpha).StoreUnsafe(ref d0, (nuint)(4 * g));
                Avx2.MultiplyAddAdjacent(Avx2.Shuffle(v1, mask).AsInt16(), alpha).StoreUnsafe(ref d1, (nuint)(4 * g));
            }
        }
        for (; g < groups; g++)
        {
            nuint b = (nuint)Unsafe.Add(ref bp, g);
            var mask = Vector128.LoadUnsafe(ref mp, (nuint)(16 * g));
            var alpha = Vector128.LoadUnsafe(ref ap, (nuint)(8 * g));
            Sse2.MultiplyAddAdjacent(Ssse3.Shuffle(Vector128.LoadUnsafe(ref s0, b), mask).AsInt16(), alpha).StoreUnsafe(ref d0, (nuint)(4 * g));
            Sse2.MultiplyAddAdjacent(Ssse3.Shuffle(Vector128.LoadUnsafe(ref s1, b), mask).AsInt16(), alpha).StoreUnsafe(ref d1, (nuint)(4 * g));
        }
        return t.Columns;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HResizeU8(ReadOnlySpan<byte> srow, int[] dstRow, int[] xofs, int[] alpha, int k, int cn, int dw, int x0)
    {
        ref byte s = ref MemoryMarshal.GetReference(srow);
        ref int o = ref MemoryMarshal.GetArrayDataReference(xofs);
        ref int a = ref MemoryMarshal.GetArrayDataReference(alpha);
        ref int d = ref MemoryMarshal.GetArrayDataReference(dstRow);
        if (k == 2 && cn == 1)
        {
            for (int x = x0; x < dw; x++)
            {
                int i = 2 * x;
                Unsafe.Add(ref d, x) = Unsafe.Add(ref s, Unsafe.Add(ref o, i)) * Unsafe.Add(ref a, i)
                    + Unsafe.Add(ref s, Unsafe.Add(ref o, i + 1)) * Unsafe.Add(ref a, i + 1);
            }
        }
        else if (k == 4 && cn == 1)
        {
            for (int x = x0; x < dw; x++)
            {
                int i = 4 * x;
                Unsafe.Add(ref d, x) = Unsafe.Add(ref s, Unsafe.Add(ref o, i)) * Unsafe.Add(ref a, i)
                    + Unsafe.Add(ref s, Unsafe.Add(ref o, i + 1)) * Unsafe.Add(ref a, i + 1)
                    + Unsafe.Add(ref s, Unsafe.Add(ref o, i + 2)) * Unsafe.Add(ref a, i + 2)
                    + Unsafe.Add(ref s, Unsafe.Add(ref o, i + 3)) * Unsafe.Add(ref a, i + 3);
            }
        }
        else
        {
            for (int x = 0; x < dw; x++)
                for (int c = 0; c < cn; c++)
                {
                    int acc = 0;
                    for (int t = 0; t < k; t++)
                        acc += Unsafe.Add(ref s, Unsafe.Add(ref o, x * k + t) + c) * Unsafe.Add(ref a, x * k + t);
                    Unsafe.Add(ref d, x * cn + c) = acc;
                }
        }
    }

    /// <summary>OpenCV's VResizeLinearVec_32s8u arithmetic: 16-bit high multiplies of (row &gt;&gt; 4) by the
    /// weights, then a rounding shift by 2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void VResizeLinearU8(int[] r0, int[] r1, int b0, int b1, Span<byte> dst)
    {
        int n = dst.Length, x = 0;
        ref int p0 = ref MemoryMarshal.GetArrayDataReference(r0);
        ref int p1 = ref MemoryMarshal.GetArrayDataReference(r1);
        ref byte o = ref MemoryMarshal.GetReference(dst);
        if (Avx2.IsSupported)
        {
            // OpenCV's own arithmetic is 16-bit: row values >> 4 fit int16 (at most 255 * 2048 >> 4 = 32640), the
            // weights are at most 2048, and pmulhw gives (a * b) >> 16 exactly, so packing to int16 first and
            // multiplying high equals the int32 formula of the scalar tail, at twice the lanes and without pmulld.
            var vb0 = Vector256.Create((short)b0);
            var vb1 = Vector256.Create((short)b1);
            var two = Vector256.Create((short)2);
            // packssdw and packuswb work per 128-bit lane; the packed bytes hold four-column groups in the order
            // 0, 2, 4, 6, 1, 3, 5, 7, which this dword permutation puts back.
            var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
            for (; x + 32 <= n; x += 32)
            {
                var r01 = Lin16(ref p0, ref p1, x, vb0, vb1, two);
                var r23 = Lin16(ref p0, ref p1, x + 16, vb0, vb1, two);
                Avx2.PermuteVar8x32(Avx2.PackUnsignedSaturate(r01, r23).AsInt32(), order).AsByte().StoreUnsafe(ref o, (nuint)x);
            }
        }
        for (; x < n; x++)
        {
            int v = ((((Unsafe.Add(ref p0, x) >> 4) * b0) >> 16) + (((Unsafe.Add(ref p1, x) >> 4) * b1) >> 16) + 2) >> 2;
            Unsafe.Add(ref o, x) = (byte)Math.Clamp(v, 0, 255);
        }
    }

    /// <summary>Sixteen columns x..x+15 of the linear vertical pass as int16 (lane-interleaved by packssdw:
    /// x..x+3, x+8..x+11 | x+4..x+7, x+12..x+15), before the final saturation to bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Lin16(ref int p0, ref int p1, int x, Vector256<short> b0, Vector256<short> b1, Vector256<short> two)
    {
        var a = Avx2.PackSignedSaturate(Avx2.ShiftRightArithmetic(Vector256.LoadUnsafe(ref p0, (nuint)x), 4),
            Avx2.ShiftRightArithmetic(Vector256.LoadUnsafe(ref p0, (nuint)x + 8), 4));
        var b = Avx2.PackSignedSaturate(Avx2.ShiftRightArithmetic(Vector256.LoadUnsafe(ref p1, (nuint)x), 4),
            Avx2.ShiftRightArithmetic(Vector256.LoadUnsafe(ref p1, (nuint)x + 8), 4));
        return Avx2.ShiftRightArithmetic(Avx2.MultiplyHigh(a, b0) + Avx2.MultiplyHigh(b, b1) + two, 2);
    }

    /// <summary>OpenCV's VResizeCubicVec_32s8u arithmetic: float weights beta / 2^22, summed in tap order,
    /// rounded half to even and saturated.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void VResizeCubicU8(int[][] rows, ReadOnlySpan<int> beta, Span<byte> dst)
    {
        const float scale = 1f / (2048 * 2048);
        float b0 = beta[0] * scale, b1 = beta[1] * scale, b2 = beta[2] * scale, b3 = beta[3] * scale;
        ref int p0 = ref MemoryMarshal.GetArrayDataReference(rows[0]);
        ref int p1 = ref MemoryMarshal.GetArrayDataReference(rows[1]);
        ref int p2 = ref MemoryMarshal.GetArrayDataReference(rows[2]);
        ref int p3 = ref MemoryMarshal.GetArrayDataReference(rows[3]);
        ref byte o = ref MemoryMarshal.GetReference(dst);
        int n = dst.Length, x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var v0 = Vector256.Create(b0); var v1 = Vector256.Create(b1);
            var v2 = Vector256.Create(b2); var v3 = Vector256.Create(b3);
            for (; x + 32 <= n; x += 32)
            {
                var q0 = Cub(ref p0, ref p1, ref p2, ref p3, x, v0, v1, v2, v3);
                var q1 = Cub(ref p0, ref p1, ref p2, ref p3, x + 8, v0, v1, v2, v3);
                var q2 = Cub(ref p0, ref p1, ref p2, ref p3, x + 16, v0, v1, v2, v3);
                var q3 = Cub(ref p0, ref p1, ref p2, ref p3, x + 24, v0, v1, v2, v3);
                Vector256.Narrow(Vector256.Narrow(q0, q1).AsUInt16(), Vector256.Narrow(q2, q3).AsUInt16()).StoreUnsafe(ref o, (nuint)x);
            }
        }
        for (; x < n; x++)
        {
            float v = Unsafe.Add(ref p0, x) * b0 + Unsafe.Add(ref p1, x) * b1 + Unsafe.Add(ref p2, x) * b2 + Unsafe.Add(ref p3, x) * b3;
            Unsafe.Add(ref o, x) = (byte)Math.Clamp(MathF.Round(v), 0f, 255f);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Cub(ref int p0, ref int p1, ref int p2, ref int p3, int x,
        Vector256<float> b0, Vector256<float> b1, Vector256<float> b2, Vector256<float> b3)
    {
        var v = Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref p0, (nuint)x)) * b0
              + Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref p1, (nuint)x)) * b1
              + Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref p2, (nuint)x)) * b2
              + Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref p3, (nuint)x)) * b3;
        v = Vector256.Min(Vector256.Max(Vector256.Round(v), Vector256<float>.Zero), Vector256.Create(255f));
        return Vector256.ConvertToInt32(v);
    }

    private static void SeparableF32(Image<float> src, Image<float> dst, Interpolation interp)
    {
        var plan = F32Plan.For(src.Width, src.Height, dst.Width, dst.Height, src.Channels, interp);
        var job = new F32Job(src.Data, dst.Data, plan);
        RowBands.Run(dst.Height, RowBands.MinRows((long)dst.Width * src.Channels * plan.K * 2), job.Band);
    }

    /// <summary>Immutable tables of one float separable resize geometry (last one cached, like <see cref="U8Plan"/>).</summary>
    private sealed record F32Plan(int Sw, int Sh, int Dw, int Dh, int Cn, Interpolation Interp, int K, float[] XAlpha,
        int[] XOfs, int[] YIndex, float[] YBeta)
    {
        private static volatile F32Plan? s_last;

        public static F32Plan For(int sw, int sh, int dw, int dh, int cn, Interpolation interp)
        {
            var p = s_last;
            if (p is not null && p.Sw == sw && p.Sh == sh && p.Dw == dw && p.Dh == dh && p.Cn == cn && p.Interp == interp) return p;
            var xt = BuildAxis(sw, dw, interp);
            var yt = BuildAxis(sh, dh, interp);
            p = new F32Plan(sw, sh, dw, dh, cn, interp, xt.KSize, xt.Alpha, ScaledIndex(xt.Index, cn), yt.Index, yt.Alpha);
            s_last = p;
            return p;
        }
    }

    /// <summary>One float separable resize: plan plus the per-band loop.</summary>
    private sealed record F32Job(float[] Src, float[] Dst, F32Plan Plan)
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Band(int y0, int y1)
        {
            var p = Plan;
            int k = p.K, cn = p.Cn, dw = p.Dw, rowLen = dw * cn, srcLen = p.Sw * cn;
            var ring = new RowRing<float>(k, rowLen);
            var rows = new float[k][];
            for (int y = y0; y < y1; y++)
            {
                var need = p.YIndex.AsSpan(y * k, k);
                HorizontalRows(Src, srcLen, need, ring.Acquire(need, rows), rows, p.XOfs, p.XAlpha, k, cn, dw);
                VResizeF32(rows, p.YBeta.AsSpan(y * k, k), Dst.AsSpan(y * rowLen, rowLen));
            }
            ring.Return();
        }
    }

    /// <summary>Fills the float row buffers whose bit is set in <paramref name="fresh"/> with the horizontal pass of
    /// their source rows (float or uint16), both rows in one pass when a two-tap single-channel row pair is new.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HorizontalRows<T>(T[] src, int srcLen, ReadOnlySpan<int> need, int fresh, float[][] rows,
        int[] xofs, float[] alpha, int k, int cn, int dw) where T : unmanaged, INumberBase<T>
    {
        if (fresh == 3 && k == 2 && cn == 1)
        {
            HResizeLinearFloatPair<T>(src.AsSpan(need[0] * srcLen, srcLen), src.AsSpan(need[1] * srcLen, srcLen),
                rows[0], rows[1], xofs, alpha, dw);
            return;
        }
        for (int t = 0; t < k; t++)
            if ((fresh & (1 << t)) != 0) HResizeFloat<T>(src.AsSpan(need[t] * srcLen, srcLen), rows[t], xofs, alpha, k, cn, dw);
    }

    /// <summary>Two-tap single-channel horizontal pass of two source rows sharing the tap loads (same arithmetic as
    /// <see cref="HResizeFloat"/> per row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HResizeLinearFloatPair<T>(ReadOnlySpan<T> row0, ReadOnlySpan<T> row1, float[] dst0, float[] dst1,
        int[] xofs, float[] alpha, int dw) where T : unmanaged, INumberBase<T>
    {
        ref T s0 = ref MemoryMarshal.GetReference(row0);
        ref T s1 = ref MemoryMarshal.GetReference(row1);
        ref int o = ref MemoryMarshal.GetArrayDataReference(xofs);
        ref float a = ref MemoryMarshal.GetArrayDataReference(alpha);
        ref float d0 = ref MemoryMarshal.GetArrayDataReference(dst0);
        ref float d1 = ref MemoryMarshal.GetArrayDataReference(dst1);
        for (int x = 0; x < dw; x++)
        {
            int i0 = Unsafe.Add(ref o, 2 * x), i1 = Unsafe.Add(ref o, 2 * x + 1);
            float a0 = Unsafe.Add(ref a, 2 * x), a1 = Unsafe.Add(ref a, 2 * x + 1);
            Unsafe.Add(ref d0, x) = F(Unsafe.Add(ref s0, i0)) * a0 + F(Unsafe.Add(ref s0, i1)) * a1;
            Unsafe.Add(ref d1, x) = F(Unsafe.Add(ref s1, i0)) * a0 + F(Unsafe.Add(ref s1, i1)) * a1;
        }
    }

    /// <summary>Horizontal pass of one float or uint16 row into floats: taps summed left to right, S * alpha each
    /// (uint16 converts to float exactly; the generic is specialised per type, so the float path is unchanged).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HResizeFloat<T>(ReadOnlySpan<T> srow, float[] dstRow, int[] xofs, float[] alpha, int k, int cn, int dw)
        where T : unmanaged, INumberBase<T>
    {
        ref T s = ref MemoryMarshal.GetReference(srow);
        ref int o = ref MemoryMarshal.GetArrayDataReference(xofs);
        ref float a = ref MemoryMarshal.GetArrayDataReference(alpha);
        ref float d = ref MemoryMarshal.GetArrayDataReference(dstRow);
        if (cn == 1 && k == 2)
        {
            for (int x = 0; x < dw; x++)
                Unsafe.Add(ref d, x) = F(Unsafe.Add(ref s, Unsafe.Add(ref o, 2 * x))) * Unsafe.Add(ref a, 2 * x)
                    + F(Unsafe.Add(ref s, Unsafe.Add(ref o, 2 * x + 1))) * Unsafe.Add(ref a, 2 * x + 1);
            return;
        }
        if (cn == 1 && k == 4)
        {
            for (int x = 0; x < dw; x++)
            {
                int i = 4 * x;
                float acc = F(Unsafe.Add(ref s, Unsafe.Add(ref o, i))) * Unsafe.Add(ref a, i);
                acc += F(Unsafe.Add(ref s, Unsafe.Add(ref o, i + 1))) * Unsafe.Add(ref a, i + 1);
                acc += F(Unsafe.Add(ref s, Unsafe.Add(ref o, i + 2))) * Unsafe.Add(ref a, i + 2);
                acc += F(Unsafe.Add(ref s, Unsafe.Add(ref o, i + 3))) * Unsafe.Add(ref a, i + 3);
                Unsafe.Add(ref d, x) = acc;
            }
            return;
        }
        for (int x = 0; x < dw; x++)
            for (int c = 0; c < cn; c++)
            {
                float acc = F(Unsafe.Add(ref s, Unsafe.Add(ref o, x * k) + c)) * Unsafe.Add(ref a, x * k);
                for (int t = 1; t < k; t++)
                    acc += F(Unsafe.Add(ref s, Unsafe.Add(ref o, x * k + t) + c)) * Unsafe.Add(ref a, x * k + t);
                Unsafe.Add(ref d, x * cn + c) = acc;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float F<T>(T v) where T : INumberBase<T> => float.CreateTruncating(v);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void VResizeF32(float[][] rows, ReadOnlySpan<float> beta, Span<float> dst)
    {
        int n = dst.Length;
        var o = dst;
        float b0 = beta[0];
        var r0 = rows[0].AsSpan(0, n);
        int x = 0;
        int vw = System.Numerics.Vector<float>.Count;
        for (; x + vw <= n; x += vw) (new System.Numerics.Vector<float>(r0.Slice(x)) * b0).CopyTo(o.Slice(x));
        for (; x < n; x++) o[x] = r0[x] * b0;
        for (int t = 1; t < beta.Length; t++)
        {
            var rt = rows[t].AsSpan(0, n);
            float bt = beta[t];
            x = 0;
            for (; x + vw <= n; x += vw)
                (new System.Numerics.Vector<float>(o.Slice(x)) + new System.Numerics.Vector<float>(rt.Slice(x)) * bt).CopyTo(o.Slice(x));
            for (; x < n; x++) o[x] += rt[x] * bt;
        }
    }

    private static void SeparableU16(Image<ushort> src, Image<ushort> dst, Interpolation interp)
    {
        var plan = U16Plan.For(src.Width, src.Height, dst.Width, dst.Height, src.Channels, interp);
        var job = new U16Job(src.Data, dst.Data, plan);
        RowBands.Run(dst.Height, RowBands.MinRows((long)dst.Width * src.Channels * plan.K * 2), job.Band);
    }

    /// <summary>Tables of one uint16 separable resize geometry (last one cached, like <see cref="U8Plan"/>): OpenCV's
    /// float taps, x fractions clamped at the edges, y fractions not (resizeGeneric's own tables).</summary>
    private sealed record U16Plan(int Sw, int Sh, int Dw, int Dh, int Cn, Interpolation Interp, int K, float[] XAlpha,
        int[] XOfs, int[] YIndex, float[] YBeta)
    {
        private static volatile U16Plan? s_last;

        public static U16Plan For(int sw, int sh, int dw, int dh, int cn, Interpolation interp)
        {
            var p = s_last;
            if (p is not null && p.Sw == sw && p.Sh == sh && p.Dw == dw && p.Dh == dh && p.Cn == cn && p.Interp == interp) return p;
            var xt = BuildAxis(sw, dw, interp);
            var yt = BuildAxis(sh, dh, interp, clampLinear: false);
            p = new U16Plan(sw, sh, dw, dh, cn, interp, xt.KSize, xt.Alpha, ScaledIndex(xt.Index, cn), yt.Index, yt.Alpha);
            s_last = p;
            return p;
        }
    }

    /// <summary>One uint16 separable resize (OpenCV's HResizeLinear/HResizeCubic&lt;ushort, float, float&gt; into float
    /// rows, then VResizeLinear/VResizeCubic with Cast&lt;float, ushort&gt;): plan plus the per-band loop.</summary>
    private sealed record U16Job(ushort[] Src, ushort[] Dst, U16Plan Plan)
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Band(int y0, int y1)
        {
            var p = Plan;
            int k = p.K, cn = p.Cn, dw = p.Dw, rowLen = dw * cn, srcLen = p.Sw * cn;
            var ring = new RowRing<float>(k, rowLen);
            var rows = new float[k][];
            for (int y = y0; y < y1; y++)
            {
                var need = p.YIndex.AsSpan(y * k, k);
                HorizontalRows(Src, srcLen, need, ring.Acquire(need, rows), rows, p.XOfs, p.XAlpha, k, cn, dw);
                var drow = Dst.AsSpan(y * rowLen, rowLen);
                if (k == 2) VResizeLinearU16(rows[0], rows[1], p.YBeta[y * 2], p.YBeta[y * 2 + 1], drow);
                else VResizeCubicU16(rows, p.YBeta.AsSpan(y * 4, 4), drow);
            }
            ring.Return();
        }
    }

    /// <summary>saturate_cast&lt;ushort&gt;(float): round half to even, then clamp to [0, 65535].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort SaturateU16(float v) => (ushort)Math.Clamp(MathF.Round(v), 0f, 65535f);

    /// <summary>Eight float lanes rounded half to even, clamped to [0, 65535], as int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> SaturateU16(Vector256<float> v) =>
        Vector256.ConvertToInt32(Vector256.Min(Vector256.Max(Vector256.Round(v), Vector256<float>.Zero), Vector256.Create(65535f)));

    /// <summary>OpenCV's VResizeLinear&lt;ushort, float, float&gt;: saturate(S0 * b0 + S1 * b1) (its SIMD form
    /// computes the same products and sum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void VResizeLinearU16(float[] r0, float[] r1, float b0, float b1, Span<ushort> dst)
    {
        ref float p0 = ref MemoryMarshal.GetArrayDataReference(r0);
        ref float p1 = ref MemoryMarshal.GetArrayDataReference(r1);
        ref ushort o = ref MemoryMarshal.GetReference(dst);
        int n = dst.Length, x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var v0 = Vector256.Create(b0);
            var v1 = Vector256.Create(b1);
            for (; x + 16 <= n; x += 16)
            {
                var lo = Vector256.LoadUnsafe(ref p0, (nuint)x) * v0 + Vector256.LoadUnsafe(ref p1, (nuint)x) * v1;
                var hi = Vector256.LoadUnsafe(ref p0, (nuint)x + 8) * v0 + Vector256.LoadUnsafe(ref p1, (nuint)x + 8) * v1;
                Vector256.Narrow(SaturateU16(lo), SaturateU16(hi)).AsUInt16().StoreUnsafe(ref o, (nuint)x);
            }
        }
        for (; x < n; x++) Unsafe.Add(ref o, x) = SaturateU16(Unsafe.Add(ref p0, x) * b0 + Unsafe.Add(ref p1, x) * b1);
    }

    /// <summary>OpenCV's VResizeCubic&lt;ushort, float, float&gt; with its 128-bit SIMD body: in whole blocks of eight
    /// samples from the row start the sum is S0 * b0 + (S1 * b1 + (S2 * b2 + S3 * b3)); the last n % 8 samples take
    /// the scalar loop's left-to-right order. Both orders are reproduced, so values match cv2 exactly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void VResizeCubicU16(float[][] rows, ReadOnlySpan<float> beta, Span<ushort> dst)
    {
        float b0 = beta[0], b1 = beta[1], b2 = beta[2], b3 = beta[3];
        ref float p0 = ref MemoryMarshal.GetArrayDataReference(rows[0]);
        ref float p1 = ref MemoryMarshal.GetArrayDataReference(rows[1]);
        ref float p2 = ref MemoryMarshal.GetArrayDataReference(rows[2]);
        ref float p3 = ref MemoryMarshal.GetArrayDataReference(rows[3]);
        ref ushort o = ref MemoryMarshal.GetReference(dst);
        int n = dst.Length, blocks = n & ~7, x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var v0 = Vector256.Create(b0); var v1 = Vector256.Create(b1);
            var v2 = Vector256.Create(b2); var v3 = Vector256.Create(b3);
            for (; x + 16 <= blocks; x += 16)
            {
                var lo = Vector256.LoadUnsafe(ref p0, (nuint)x) * v0 + (Vector256.LoadUnsafe(ref p1, (nuint)x) * v1
                    + (Vector256.LoadUnsafe(ref p2, (nuint)x) * v2 + Vector256.LoadUnsafe(ref p3, (nuint)x) * v3));
                var hi = Vector256.LoadUnsafe(ref p0, (nuint)x + 8) * v0 + (Vector256.LoadUnsafe(ref p1, (nuint)x + 8) * v1
                    + (Vector256.LoadUnsafe(ref p2, (nuint)x + 8) * v2 + Vector256.LoadUnsafe(ref p3, (nuint)x + 8) * v3));
                Vector256.Narrow(SaturateU16(lo), SaturateU16(hi)).AsUInt16().StoreUnsafe(ref o, (nuint)x);
            }
        }
        for (; x < blocks; x++)
            Unsafe.Add(ref o, x) = SaturateU16(Unsafe.Add(ref p0, x) * b0 + (Unsafe.Add(ref p1, x) * b1
                + (Unsafe.Add(ref p2, x) * b2 + Unsafe.Add(ref p3, x) * b3)));
        for (; x < n; x++)
            Unsafe.Add(ref o, x) = SaturateU16(Unsafe.Add(ref p0, x) * b0 + Unsafe.Add(ref p1, x) * b1
                + Unsafe.Add(ref p2, x) * b2 + Unsafe.Add(ref p3, x) * b3);
    }
}
