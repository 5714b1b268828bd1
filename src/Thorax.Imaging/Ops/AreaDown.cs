using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Thorax.Imaging.Ops;

/// <summary>OpenCV INTER_AREA downscaling: block means for integer factors, fractional-coverage weights otherwise.</summary>
/// <remarks>
/// Integer factors follow ResizeAreaFast (uint8 2x2: (sum + 2) &gt;&gt; 2; other factors: saturate(sum * (1/area)) with
/// an int sum for uint8 and a float sum in row-major tap order for float). Other factors follow ResizeArea: per source
/// row a float buffer accumulates S[sx] * alpha in table order, rows are summed with their weights, then saturated.
/// The float evaluation order is OpenCV's, so uint8 and uint16 results are bit-exact. uint16 integer factors follow
/// resizeAreaFast_&lt;ushort, float&gt;: 2x2 with 1, 3 or 4 channels is (sum + 2) &gt;&gt; 2, other factors round
/// (float sum of integer groups of four) * (1/area) half to even.
/// </remarks>
internal static class AreaDown
{
    public static void Run(Image<byte> src, Image<byte> dst)
    {
        if (IsIntegerScale(src, dst, out int ix, out int iy)) Fast(src, dst, ix, iy);
        else Generic(src, dst);
    }

    public static void Run(Image<float> src, Image<float> dst)
    {
        if (IsIntegerScale(src, dst, out int ix, out int iy)) Fast(src, dst, ix, iy);
        else Generic(src, dst);
    }

    public static void Run(Image<ushort> src, Image<ushort> dst)
    {
        if (IsIntegerScale(src, dst, out int ix, out int iy)) Fast(src, dst, ix, iy);
        else Generic(src, dst);
    }

    private static bool IsIntegerScale<T>(Image<T> src, Image<T> dst, out int ix, out int iy) where T : unmanaged
    {
        double sx = (double)src.Width / dst.Width, sy = (double)src.Height / dst.Height;
        ix = (int)Math.Round(sx);
        iy = (int)Math.Round(sy);
        return Math.Abs(sx - ix) < double.Epsilon && Math.Abs(sy - iy) < double.Epsilon;
    }

    /// <summary>Work per band of the integer-factor (block mean) paths, in source samples: lower than
    /// <see cref="RowBands.MinRows"/>'s default because these paths read each source sample once in a single SIMD pass,
    /// so they are bound by memory bandwidth rather than arithmetic. A 1024^2 -> 512^2 uint8 2x2 mean (the
    /// "resize 1024->512" rows of <c>thorax bench imaging</c>) then splits into bands on two threads, each core
    /// streaming part of the source, where the default kept it on one.</summary>
    private const long BlockMeanBandOps = 1 << 17;

    private static void Fast(Image<byte> src, Image<byte> dst, int sx, int sy)
    {
        int cn = src.Channels, sw = src.Width, dw = dst.Width, area = sx * sy;
        float scale = 1f / area;
        var s = src.Data;
        var d = dst.Data;
        int rowLen = dw * cn;
        // ResizeAreaFast's vector path: exactly 2x2 blocks and 1, 3 or 4 channels. Everything else (4x1 blocks, two
        // channels) takes the generic sum * (1/area) rounded half to even.
        bool quad = sx == 2 && sy == 2 && cn != 2;
        RowBands.Run(dst.Height, RowBands.MinRows((long)rowLen * area, BlockMeanBandOps), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (y0, y1) =>
        {
            for (int y = y0; y < y1; y++)
            {
                var drow = d.AsSpan(y * rowLen, rowLen);
                int r0 = y * sy * sw * cn;
                if (quad)
                {
                    // OpenCV's 2x2 path (1, 3 or 4 channels) rounds half up. The next row pair (if any) is prefetched
                    // along the way.
                    int srcLen = sw * cn;
                    var next = y + 1 < dst.Height ? s.AsSpan(r0 + 2 * srcLen, 2 * srcLen) : default;
                    Fast2x2(s.AsSpan(r0, srcLen), s.AsSpan(r0 + srcLen, srcLen), drow, cn, next);
                    continue;
                }
                ref byte sp = ref MemoryMarshal.GetArrayDataReference(s);
                for (int x = 0; x < dw; x++)
                    for (int c = 0; c < cn; c++)
                    {
                        int sum = 0;
                        for (int j = 0; j < sy; j++)
                        {
                            int row = r0 + (j * sw + x * sx) * cn + c;
                            for (int i = 0; i < sx; i++) sum += Unsafe.Add(ref sp, row + i * cn);
                        }
                        // The generic path rounds sum * scale to nearest even.
                        drow[x * cn + c] = (byte)Math.Clamp(MathF.Round(sum * scale), 0f, 255f);
                    }
            }
        });
    }

    /// <summary>dst[x] = (a[2x] + a[2x+1] + b[2x] + b[2x+1] + 2) &gt;&gt; 2 per channel.</summary>
    /// <param name="a">Upper source row.</param>
    /// <param name="b">Lower source row.</param>
    /// <param name="dst">Destination row.</param>
    /// <param name="cn">Channels.</param>
    /// <param name="next">The next destination row's two source rows (empty for the last): the AVX2 loop prefetches
    /// one of their cache lines per row and step. The kernel is bound by reading the source from L3 (a 1024^2 uint8
    /// image); prefetching the next pair as the current one is consumed beats leaving it to the hardware prefetcher,
    /// which restarts at every row (compare the per-core "resize 1024->512 area u8 into" row of
    /// <c>thorax bench imaging</c> with and without the two prefetches).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Fast2x2(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> dst, int cn, ReadOnlySpan<byte> next)
    {
        ref byte pa = ref MemoryMarshal.GetReference(a);
        ref byte pb = ref MemoryMarshal.GetReference(b);
        ref byte o = ref MemoryMarshal.GetReference(dst);
        int n = dst.Length, x = 0;
        if (cn == 1 && Avx2.IsSupported)
        {
            var ones = Vector256.Create((sbyte)1);
            var two = Vector256.Create((short)2);
            // Without a next pair the prefetches touch the current rows (already being read; harmless).
            ref byte na = ref next.IsEmpty ? ref pa : ref MemoryMarshal.GetReference(next);
            ref byte nb = ref next.IsEmpty ? ref pb : ref Unsafe.Add(ref MemoryMarshal.GetReference(next), a.Length);
            for (; x + 32 <= n; x += 32)
            {
                // Prefetch hints never fault; both addresses lie inside the source array.
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref na, 2 * x)));
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref nb, 2 * x)));
                var s0 = Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref pa, (nuint)(2 * x)), ones)
                       + Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref pb, (nuint)(2 * x)), ones);
                var s1 = Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref pa, (nuint)(2 * x + 32)), ones)
                       + Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref pb, (nuint)(2 * x + 32)), ones);
                s0 = Vector256.ShiftRightArithmetic(s0 + two, 2);
                s1 = Vector256.ShiftRightArithmetic(s1 + two, 2);
                // packuswb works per 128-bit lane; put the four 8-byte quarters back in column order.
                Avx2.Permute4x64(Avx2.PackUnsignedSaturate(s0, s1).AsUInt64(), 0b11_01_10_00).AsByte().StoreUnsafe(ref o, (nuint)x);
            }
        }
        if (cn == 1 && Ssse3.IsSupported)
        {
            var ones = Vector128.Create((sbyte)1);
            var two = Vector128.Create((short)2);
            for (; x + 16 <= n; x += 16)
            {
                // pmaddubsw: pairwise sums of adjacent unsigned bytes as 16-bit lanes.
                var s0 = Ssse3.MultiplyAddAdjacent(Vector128.LoadUnsafe(ref pa, (nuint)(2 * x)), ones)
                       + Ssse3.MultiplyAddAdjacent(Vector128.LoadUnsafe(ref pb, (nuint)(2 * x)), ones);
                var s1 = Ssse3.MultiplyAddAdjacent(Vector128.LoadUnsafe(ref pa, (nuint)(2 * x + 16)), ones)
                       + Ssse3.MultiplyAddAdjacent(Vector128.LoadUnsafe(ref pb, (nuint)(2 * x + 16)), ones);
                s0 = Vector128.ShiftRightArithmetic(s0 + two, 2);
                s1 = Vector128.ShiftRightArithmetic(s1 + two, 2);
                Sse2.PackUnsignedSaturate(s0, s1).StoreUnsafe(ref o, (nuint)x);
            }
        }
        for (; x < n; x++)
        {
            int px = x / cn, c = x - px * cn, i = 2 * px * cn + c;
            Unsafe.Add(ref o, x) = (byte)((Unsafe.Add(ref pa, i) + Unsafe.Add(ref pa, i + cn)
                + Unsafe.Add(ref pb, i) + Unsafe.Add(ref pb, i + cn) + 2) >> 2);
        }
    }

    private static void Fast(Image<float> src, Image<float> dst, int sx, int sy)
    {
        int cn = src.Channels, sw = src.Width, dw = dst.Width, area = sx * sy;
        float scale = 1f / area;
        var s = src.Data;
        var d = dst.Data;
        int rowLen = dw * cn;
        RowBands.Run(dst.Height, RowBands.MinRows((long)rowLen * area, BlockMeanBandOps), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (y0, y1) =>
        {
            ref float sp = ref MemoryMarshal.GetArrayDataReference(s);
            for (int y = y0; y < y1; y++)
            {
                int r0 = y * sy * sw * cn;
                var drow = d.AsSpan(y * rowLen, rowLen);
                int x0 = 0;
                if (sx == 2 && sy == 2 && cn == 1) x0 = Fast2x2(s.AsSpan(r0, sw), s.AsSpan(r0 + sw, sw), drow);
                for (int x = x0; x < dw; x++)
                    for (int c = 0; c < cn; c++)
                    {
                        float sum = 0;
                        for (int j = 0; j < sy; j++)
                        {
                            int row = r0 + (j * sw + x * sx) * cn + c;
                            for (int i = 0; i < sx; i++) sum += Unsafe.Add(ref sp, row + i * cn);
                        }
                        drow[x * cn + c] = sum * scale;
                    }
            }
        });
    }

    /// <summary>Single-channel float 2x2 means, ((a0 + a1) + b0) + b1 times 0.25 (OpenCV's order), four columns
    /// at a time; returns the number of columns done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Fast2x2(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dst)
    {
        if (!Sse.IsSupported) return 0;
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        ref float o = ref MemoryMarshal.GetReference(dst);
        var q = Vector128.Create(0.25f);
        int n = dst.Length, x = 0;
        for (; x + 4 <= n; x += 4)
        {
            var a0 = Vector128.LoadUnsafe(ref pa, (nuint)(2 * x));
            var a1 = Vector128.LoadUnsafe(ref pa, (nuint)(2 * x + 4));
            var b0 = Vector128.LoadUnsafe(ref pb, (nuint)(2 * x));
            var b1 = Vector128.LoadUnsafe(ref pb, (nuint)(2 * x + 4));
            var sum = Sse.Shuffle(a0, a1, 0b10_00_10_00) + Sse.Shuffle(a0, a1, 0b11_01_11_01);
            sum = sum + Sse.Shuffle(b0, b1, 0b10_00_10_00);
            sum = sum + Sse.Shuffle(b0, b1, 0b11_01_11_01);
            (sum * q).StoreUnsafe(ref o, (nuint)x);
        }
        return x;
    }

    /// <summary>uint16 block means as resizeAreaFast_&lt;ushort, float&gt;: 2x2 with 1, 3 or 4 channels is
    /// (a + b + c + d + 2) &gt;&gt; 2; every other factor (and 2x2 with 2 channels) sums the block in row-major order,
    /// four samples at a time in integers added to a float sum, then saturate(sum * (1f / area)) rounding half to
    /// even.</summary>
    private static void Fast(Image<ushort> src, Image<ushort> dst, int sx, int sy)
    {
        int cn = src.Channels, sw = src.Width, dw = dst.Width, area = sx * sy;
        float scale = 1f / area;
        bool quad = sx == 2 && sy == 2 && cn != 2;
        var s = src.Data;
        var d = dst.Data;
        int rowLen = dw * cn, srcLen = sw * cn;
        RowBands.Run(dst.Height, RowBands.MinRows((long)rowLen * area, BlockMeanBandOps), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (y0, y1) =>
        {
            ref ushort sp = ref MemoryMarshal.GetArrayDataReference(s);
            Span<int> ofs = area <= 256 ? stackalloc int[area] : new int[area];
            for (int j = 0, k = 0; j < sy; j++)
                for (int i = 0; i < sx; i++) ofs[k++] = j * srcLen + i * cn;
            for (int y = y0; y < y1; y++)
            {
                int r0 = y * sy * srcLen;
                var drow = d.AsSpan(y * rowLen, rowLen);
                if (quad)
                {
                    Fast2x2(s.AsSpan(r0, srcLen), s.AsSpan(r0 + srcLen, srcLen), drow, cn);
                    continue;
                }
                for (int x = 0; x < dw; x++)
                    for (int c = 0; c < cn; c++)
                    {
                        ref ushort b = ref Unsafe.Add(ref sp, r0 + x * sx * cn + c);
                        float sum = 0;
                        int k = 0;
                        for (; k <= area - 4; k += 4)
                            sum += Unsafe.Add(ref b, ofs[k]) + Unsafe.Add(ref b, ofs[k + 1]) + Unsafe.Add(ref b, ofs[k + 2]) + Unsafe.Add(ref b, ofs[k + 3]);
                        for (; k < area; k++) sum += Unsafe.Add(ref b, ofs[k]);
                        drow[x * cn + c] = (ushort)Math.Clamp(MathF.Round(sum * scale), 0f, 65535f);
                    }
            }
        });
    }

    /// <summary>uint16 dst = (a[2x] + a[2x+1] + b[2x] + b[2x+1] + 2) &gt;&gt; 2 per channel (sums in 32 bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Fast2x2(ReadOnlySpan<ushort> a, ReadOnlySpan<ushort> b, Span<ushort> dst, int cn)
    {
        ref ushort pa = ref MemoryMarshal.GetReference(a);
        ref ushort pb = ref MemoryMarshal.GetReference(b);
        ref ushort o = ref MemoryMarshal.GetReference(dst);
        int n = dst.Length, x = 0;
        if (cn == 1 && Vector256.IsHardwareAccelerated)
        {
            // Each 32-bit lane holds one horizontal pair (little-endian: low half = left sample).
            var low = Vector256.Create(0xFFFFu);
            var two = Vector256.Create(2u);
            for (; x + 16 <= n; x += 16)
            {
                var a0 = Vector256.LoadUnsafe(ref pa, (nuint)(2 * x)).AsUInt32();
                var b0 = Vector256.LoadUnsafe(ref pb, (nuint)(2 * x)).AsUInt32();
                var a1 = Vector256.LoadUnsafe(ref pa, (nuint)(2 * x + 16)).AsUInt32();
                var b1 = Vector256.LoadUnsafe(ref pb, (nuint)(2 * x + 16)).AsUInt32();
                var s0 = (a0 & low) + (a0 >> 16) + (b0 & low) + (b0 >> 16) + two;
                var s1 = (a1 & low) + (a1 >> 16) + (b1 & low) + (b1 >> 16) + two;
                Vector256.Narrow(s0 >> 2, s1 >> 2).StoreUnsafe(ref o, (nuint)x);
            }
        }
        for (; x < n; x++)
        {
            int px = x / cn, c = x - px * cn, i = 2 * px * cn + c;
            Unsafe.Add(ref o, x) = (ushort)((Unsafe.Add(ref pa, i) + Unsafe.Add(ref pa, i + cn)
                + Unsafe.Add(ref pb, i) + Unsafe.Add(ref pb, i + cn) + 2) >> 2);
        }
    }

    /// <summary>Coverage taps along one axis, in OpenCV's order: Dst[i] receives Src[i] with weight Alpha[i].</summary>
    private sealed record Taps(int[] Dst, int[] Src, float[] Alpha);

    private static Taps Table(int ssize, int dsize, double scale)
    {
        var dstIdx = new List<int>(ssize * 2);
        var srcIdx = new List<int>(ssize * 2);
        var alpha = new List<float>(ssize * 2);
        void Add(int dx, int sx, float a) { dstIdx.Add(dx); srcIdx.Add(sx); alpha.Add(a); }
        for (int dx = 0; dx < dsize; dx++)
        {
            double fsx1 = dx * scale, fsx2 = fsx1 + scale;
            double cell = Math.Min(scale, ssize - fsx1);
            int sx1 = (int)Math.Ceiling(fsx1), sx2 = (int)Math.Floor(fsx2);
            sx2 = Math.Min(sx2, ssize - 1);
            sx1 = Math.Min(sx1, sx2);
            if (sx1 - fsx1 > 1e-3) Add(dx, sx1 - 1, (float)((sx1 - fsx1) / cell));
            for (int sx = sx1; sx < sx2; sx++) Add(dx, sx, (float)(1.0 / cell));
            if (fsx2 - sx2 > 1e-3) Add(dx, sx2, (float)(Math.Min(Math.Min(fsx2 - sx2, 1.0), cell) / cell));
        }
        return new Taps(dstIdx.ToArray(), srcIdx.ToArray(), alpha.ToArray());
    }

    private static void Generic(Image<byte> src, Image<byte> dst)
    {
        if (src.Channels == 1) GenericGrey(src, dst);
        else GenericCore(src, dst, static (row, off, sum, xt, cn, beta, first) => HAccumulate(row.AsSpan(off), sum, xt, cn, beta, first),
            static (sum, drow) =>
            {
                for (int i = 0; i < drow.Length; i++) drow[i] = (byte)Math.Clamp(MathF.Round(sum[i]), 0f, 255f);
            });
    }

    /// <summary>Tables of one single-channel uint8 generic area geometry (the last one is cached, like the
    /// separable resize plans). Columns are in groups of 8 (the last padded); every column gets <see cref="Taps"/>
    /// taps, its real ones in OpenCV's order followed by zero-weight taps on its last source pixel.</summary>
    /// <remarks>A zero-weight tap adds S * 0 = +0 to a non-negative sum, which leaves it unchanged, so the padded
    /// fixed-length tap loop gives OpenCV's values while avoiding a data-dependent inner loop.</remarks>
    private sealed record GreyAreaPlan(int Sw, int Sh, int Dw, int Dh, int Taps, int PaddedWidth, int[] XSrc, float[] XAlpha,
        int[] YStart, int[] YSrc, float[] YAlpha)
    {
        private static volatile GreyAreaPlan? s_last;

        public static GreyAreaPlan For(int sw, int sh, int dw, int dh)
        {
            var p = s_last;
            if (p is not null && p.Sw == sw && p.Sh == sh && p.Dw == dw && p.Dh == dh) return p;
            var xtab = Table(sw, dw, (double)sw / dw);
            var ytab = Table(sh, dh, (double)sh / dh);
            var count = new int[dw];
            foreach (int d in xtab.Dst) count[d]++;
            int taps = count.Max(), padded = (dw + 7) / 8 * 8;
            // Layout [group][tap][lane]: tap t of column 8g + l at ((g * taps) + t) * 8 + l.
            var xsrc = new int[padded * taps];
            var xalpha = new float[padded * taps];
            var used = new int[padded];
            for (int i = 0; i < xtab.Dst.Length; i++)
            {
                int dx = xtab.Dst[i], at = ((dx / 8) * taps + used[dx]++) * 8 + dx % 8;
                xsrc[at] = xtab.Src[i];
                xalpha[at] = xtab.Alpha[i];
            }
            for (int dx = 0; dx < dw; dx++)
                for (int t = used[dx]; t < taps; t++)
                    xsrc[((dx / 8) * taps + t) * 8 + dx % 8] = xsrc[((dx / 8) * taps + used[dx] - 1) * 8 + dx % 8];
            var ystart = new int[dh + 1];
            foreach (int d in ytab.Dst) ystart[d + 1]++;
            for (int i = 0; i < dh; i++) ystart[i + 1] += ystart[i];
            p = new GreyAreaPlan(sw, sh, dw, dh, taps, padded, xsrc, xalpha, ystart, ytab.Src, ytab.Alpha);
            s_last = p;
            return p;
        }
    }

    /// <summary>Single-channel uint8 ResizeArea: per source row the column sums (fixed tap count, eight columns per
    /// AVX2 step), reused when consecutive destination rows share a source row, then weighted into the
    /// destination-row sum and rounded half to even.</summary>
    private static void GenericGrey(Image<byte> src, Image<byte> dst)
    {
        int sw = src.Width, sh = src.Height, dw = dst.Width, dh = dst.Height;
        var plan = GreyAreaPlan.For(sw, sh, dw, dh);
        var s = src.Data;
        var d = dst.Data;
        RowBands.Run(dh, RowBands.MinRows(8L * sw * sh / dh), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (y0, y1) =>
        {
            var pool = System.Buffers.ArrayPool<float>.Shared;
            var hrow = pool.Rent(plan.PaddedWidth);
            var sum = pool.Rent(plan.PaddedWidth);
            var frow = pool.Rent(sw);
            int cached = -1;
            for (int dy = y0; dy < y1; dy++)
            {
                int j0 = plan.YStart[dy], j1 = plan.YStart[dy + 1];
                for (int j = j0; j < j1; j++)
                {
                    int sy = plan.YSrc[j];
                    if (sy != cached)
                    {
                        ColumnSums(s.AsSpan(sy * sw, sw), frow, hrow, plan);
                        cached = sy;
                    }
                    if (j == j0) Scale(hrow, plan.YAlpha[j], sum, plan.PaddedWidth);
                    else ScaleAdd(hrow, plan.YAlpha[j], sum, plan.PaddedWidth);
                }
                if (j0 == j1) Array.Clear(sum);
                StoreRounded(sum, d.AsSpan(dy * dw, dw));
            }
            pool.Return(hrow);
            pool.Return(sum);
            pool.Return(frow);
        });
    }

    /// <summary>hrow[dx] = sum over column dx's taps, in table order, of S[src] * alpha (float, no fused multiply-add).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ColumnSums(ReadOnlySpan<byte> row, float[] frow, float[] hrow, GreyAreaPlan p)
    {
        int taps = p.Taps, groups = p.PaddedWidth / 8;
        ref int xs = ref MemoryMarshal.GetArrayDataReference(p.XSrc);
        ref float xa = ref MemoryMarshal.GetArrayDataReference(p.XAlpha);
        ref float h = ref MemoryMarshal.GetArrayDataReference(hrow);
        if (Avx2.IsSupported)
        {
            // Source row as floats (exact for 0..255), then one gather per tap for eight columns.
            ref byte sb = ref MemoryMarshal.GetReference(row);
            int n = row.Length, x = 0;
            fixed (float* f = frow)
            {
                for (; x + 16 <= n; x += 16)
                {
                    var b = Vector128.LoadUnsafe(ref sb, (nuint)x);
                    Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(b)).Store(f + x);
                    Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(b, 8))).Store(f + x + 8);
                }
                for (; x < n; x++) f[x] = Unsafe.Add(ref sb, x);
                for (int g = 0, k = 0; g < groups; g++)
                {
                    var acc = Vector256<float>.Zero;
                    for (int t = 0; t < taps; t++, k += 8)
                    {
                        var v = Avx2.GatherVector256(f, Vector256.LoadUnsafe(ref xs, (nuint)k), 4);
                        acc += v * Vector256.LoadUnsafe(ref xa, (nuint)k);
                    }
                    acc.StoreUnsafe(ref h, (nuint)(8 * g));
                }
            }
            return;
        }
        ref byte sp = ref MemoryMarshal.GetReference(row);
        for (int g = 0; g < groups; g++)
            for (int l = 0; l < 8; l++)
            {
                float acc = 0f;
                for (int t = 0, k = g * taps * 8 + l; t < taps; t++, k += 8)
                    acc += Unsafe.Add(ref sp, Unsafe.Add(ref xs, k)) * Unsafe.Add(ref xa, k);
                Unsafe.Add(ref h, 8 * g + l) = acc;
            }
    }

    /// <summary>dst[i] = saturate(round-half-even(sum[i])).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StoreRounded(float[] sum, Span<byte> dst)
    {
        ref float sp = ref MemoryMarshal.GetArrayDataReference(sum);
        ref byte o = ref MemoryMarshal.GetReference(dst);
        int n = dst.Length, x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var lo = Vector256<int>.Zero;
            var hi = Vector256.Create(255);
            for (; x + 32 <= n; x += 32)
            {
                var a = Vector256.Min(Vector256.Max(Vector256.ConvertToInt32(Vector256.Round(Vector256.LoadUnsafe(ref sp, (nuint)x))), lo), hi);
                var b = Vector256.Min(Vector256.Max(Vector256.ConvertToInt32(Vector256.Round(Vector256.LoadUnsafe(ref sp, (nuint)x + 8))), lo), hi);
                var c = Vector256.Min(Vector256.Max(Vector256.ConvertToInt32(Vector256.Round(Vector256.LoadUnsafe(ref sp, (nuint)x + 16))), lo), hi);
                var e = Vector256.Min(Vector256.Max(Vector256.ConvertToInt32(Vector256.Round(Vector256.LoadUnsafe(ref sp, (nuint)x + 24))), lo), hi);
                Vector256.Narrow(Vector256.Narrow(a, b).AsUInt16(), Vector256.Narrow(c, e).AsUInt16()).StoreUnsafe(ref o, (nuint)x);
            }
        }
        for (; x < n; x++) Unsafe.Add(ref o, x) = (byte)Math.Clamp(MathF.Round(Unsafe.Add(ref sp, x)), 0f, 255f);
    }

    private static void Generic(Image<float> src, Image<float> dst) =>
        GenericCore(src, dst, static (row, off, sum, xt, cn, beta, first) => HAccumulate(row.AsSpan(off), sum, xt, cn, beta, first),
            static (sum, drow) => sum.AsSpan(0, drow.Length).CopyTo(drow));

    private static void Generic(Image<ushort> src, Image<ushort> dst) =>
        GenericCore(src, dst, static (row, off, sum, xt, cn, beta, first) => HAccumulateChannels<ushort>(row.AsSpan(off), sum, xt, cn, beta, first),
            static (sum, drow) =>
            {
                for (int i = 0; i < drow.Length; i++) drow[i] = (ushort)Math.Clamp(MathF.Round(sum[i]), 0f, 65535f);
            });

    /// <summary>Horizontal pass of one source row into the destination-row accumulator: buf = row taps, then
    /// sum = beta * buf (first source row) or sum += beta * buf.</summary>
    private delegate void HPass<T>(T[] src, int offset, float[] sum, XTaps xt, int cn, float beta, bool first);

    /// <summary>Horizontal taps grouped by destination column: taps Start[dx]..Start[dx+1]-1 feed column dx.</summary>
    private sealed record XTaps(int[] Start, int[] Src, float[] Alpha, float[] Buf);

    private static void GenericCore<T>(Image<T> src, Image<T> dst, HPass<T> hpass, Action<float[], Span<T>> store)
        where T : unmanaged
    {
        int cn = src.Channels, sw = src.Width, dw = dst.Width;
        var xtab = Table(sw, dw, (double)sw / dw);
        var ytab = Table(src.Height, dst.Height, (double)src.Height / dst.Height);
        var xstart = new int[dw + 1];
        foreach (int t in xtab.Dst) xstart[t + 1]++;
        for (int i = 0; i < dw; i++) xstart[i + 1] += xstart[i];
        // Group y taps by destination row so row bands can run in parallel; order within a row is preserved.
        var starts = new int[dst.Height + 1];
        foreach (int t in ytab.Dst) starts[t + 1]++;
        for (int i = 0; i < dst.Height; i++) starts[i + 1] += starts[i];
        int rowLen = dw * cn;
        var s = src.Data;
        var d = dst.Data;
        RowBands.Run(dst.Height, RowBands.MinRows(8L * sw * cn * src.Height / dst.Height), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (y0, y1) =>
        {
            var xt = new XTaps(xstart, xtab.Src, xtab.Alpha, new float[rowLen]);
            var sum = new float[rowLen];
            for (int dy = y0; dy < y1; dy++)
            {
                for (int j = starts[dy]; j < starts[dy + 1]; j++)
                    hpass(s, ytab.Src[j] * sw * cn, sum, xt, cn, ytab.Alpha[j], j == starts[dy]);
                if (starts[dy] == starts[dy + 1]) Array.Clear(sum);
                store(sum, d.AsSpan(dy * rowLen, rowLen));
            }
        });
    }

    private static void HAccumulate(ReadOnlySpan<byte> row, float[] sum, XTaps xt, int cn, float beta, bool first) =>
        HAccumulateChannels(row, sum, xt, cn, beta, first);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HAccumulate(ReadOnlySpan<float> row, float[] sum, XTaps xt, int cn, float beta, bool first)
    {
        ref float s = ref MemoryMarshal.GetReference(row);
        ref int st = ref MemoryMarshal.GetArrayDataReference(xt.Start);
        ref int si = ref MemoryMarshal.GetArrayDataReference(xt.Src);
        ref float al = ref MemoryMarshal.GetArrayDataReference(xt.Alpha);
        ref float o = ref MemoryMarshal.GetArrayDataReference(sum);
        int dw = xt.Start.Length - 1;
        if (cn == 1)
        {
            for (int dx = 0, k = 0; dx < dw; dx++)
            {
                int k1 = Unsafe.Add(ref st, dx + 1);
                float acc = 0f;
                for (; k < k1; k++) acc += Unsafe.Add(ref s, Unsafe.Add(ref si, k)) * Unsafe.Add(ref al, k);
                if (first) Unsafe.Add(ref o, dx) = beta * acc;
                else Unsafe.Add(ref o, dx) += beta * acc;
            }
            return;
        }
        HAccumulateChannels(row, sum, xt, cn, beta, first);
    }

    /// <summary>
    /// Any channel count: the row's weighted taps summed per destination column and channel into the cleared scratch
    /// buffer (values converted to float exactly, as the byte and float paths did each on their own), then scaled by
    /// <paramref name="beta"/> into (first) or onto <paramref name="sum"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HAccumulateChannels<T>(ReadOnlySpan<T> row, float[] sum, XTaps xt, int cn, float beta, bool first)
        where T : unmanaged, INumberBase<T>
    {
        ref T s = ref MemoryMarshal.GetReference(row);
        ref int st = ref MemoryMarshal.GetArrayDataReference(xt.Start);
        ref int si = ref MemoryMarshal.GetArrayDataReference(xt.Src);
        ref float al = ref MemoryMarshal.GetArrayDataReference(xt.Alpha);
        int dw = xt.Start.Length - 1;
        var buf = xt.Buf;
        Array.Clear(buf);
        ref float b = ref MemoryMarshal.GetArrayDataReference(buf);
        for (int dx = 0, k = 0; dx < dw; dx++)
        {
            int k1 = Unsafe.Add(ref st, dx + 1);
            for (; k < k1; k++)
            {
                int sx = Unsafe.Add(ref si, k) * cn;
                float a = Unsafe.Add(ref al, k);
                for (int c = 0; c < cn; c++) Unsafe.Add(ref b, dx * cn + c) += float.CreateTruncating(Unsafe.Add(ref s, sx + c)) * a;
            }
        }
        if (first) Scale(buf, beta, sum);
        else ScaleAdd(buf, beta, sum);
    }

    private static void Scale(float[] buf, float beta, float[] sum) => Scale(buf, beta, sum, buf.Length);

    private static void ScaleAdd(float[] buf, float beta, float[] sum) => ScaleAdd(buf, beta, sum, buf.Length);

    /// <summary>sum[x] = beta * buf[x] for x &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scale(float[] buf, float beta, float[] sum, int n)
    {
        int x = 0, vw = System.Numerics.Vector<float>.Count;
        for (; x + vw <= n; x += vw) (new System.Numerics.Vector<float>(buf, x) * beta).CopyTo(sum, x);
        for (; x < n; x++) sum[x] = beta * buf[x];
    }

    /// <summary>sum[x] += beta * buf[x] for x &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaleAdd(float[] buf, float beta, float[] sum, int n)
    {
        int x = 0, vw = System.Numerics.Vector<float>.Count;
        for (; x + vw <= n; x += vw)
            (new System.Numerics.Vector<float>(sum, x) + new System.Numerics.Vector<float>(buf, x) * beta).CopyTo(sum, x);
        for (; x < n; x++) sum[x] += beta * buf[x];
    }
}
