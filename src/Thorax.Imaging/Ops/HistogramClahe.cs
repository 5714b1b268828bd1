using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Thorax.Imaging.Ops;

// uint8 CLAHE (the common case) with OpenCV's structure: per-tile histograms (four interleaved sub-histograms so runs
// of equal pixels do not serialise on one counter), clipped cumulative LUTs, then per output row the two tile rows'
// LUTs blended bilinearly with per-column precomputed tile offsets and weights. Same float expression as OpenCV,
// so results stay bit-exact.
public static partial class Histogram
{
    /// <summary>
    /// CLAHE followed by <see cref="Resampling.ResizeToUnit"/>: the result equals
    /// <c>Resampling.ResizeToUnit(Clahe(src, clipLimit, tilesX, tilesY), width, height, interpolation)</c> exactly, but
    /// the equalised values are computed only on the source rows the resize reads (448 of 1024 for a bilinear
    /// 1024 -&gt; 224). This is the image preprocessing of the lung segmenter's model input.
    /// </summary>
    /// <param name="src">Single-channel image.</param>
    /// <param name="clipLimit">See <see cref="Clahe(Image{byte}, double, int, int)"/>.</param>
    /// <param name="tilesX">Tile columns.</param>
    /// <param name="tilesY">Tile rows.</param>
    /// <param name="width">Output columns, &gt;= 1.</param>
    /// <param name="height">Output rows, &gt;= 1.</param>
    /// <param name="interpolation">Resize kernel (OpenCV INTER_*).</param>
    public static Image<float> ClaheResizeToUnit(Image<byte> src, double clipLimit, int tilesX, int tilesY, int width, int height,
        Interpolation interpolation = Interpolation.Linear)
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        // Rows outside the set stay unwritten in this private intermediate; the resize never reads them.
        var equalised = ClaheU8(src, clipLimit, tilesX, tilesY, Resampling.SourceRowsRead(src.Width, src.Height, width, height, src.Channels, interpolation));
        return Resampling.ResizeToUnit(equalised, width, height, interpolation);
    }

    private static Image<byte> ClaheU8(Image<byte> src, double clipLimit, int tilesX, int tilesY, bool[]? rows = null)
    {
        ArgumentNullException.ThrowIfNull(src);
        RequireSingleChannel(src.Channels);
        ArgumentOutOfRangeException.ThrowIfLessThan(tilesX, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(tilesY, 1);
        const int bins = 256;
        var g = ClaheGeometry.Create(src.Width, src.Height, tilesX, tilesY, clipLimit, bins);
        int w = g.Width, h = g.Height, lw = g.PaddedWidth, lh = g.PaddedHeight, tw = g.TileWidth, th = g.TileHeight, tileTotal = g.TileTotal, clip = g.Clip;
        float lutScale = g.LutScale;

        var s = src.Data;
        // Column / row of the (possibly padded, BORDER_REFLECT_101) tiling grid -> source column / row.
        var colIdx = new int[lw];
        for (int x = 0; x < lw; x++) colIdx[x] = Border.Index(x, w, BorderMode.Reflect101);
        bool direct = lw == w;

        var luts = new byte[tilesX * tilesY * bins];
        RowBands.Run(tilesY, RowBands.MinRows(4L * lw * th), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (ty0, ty1) =>
        {
            var hist = new int[4 * bins];
            for (int ty = ty0; ty < ty1; ty++)
                for (int tx = 0; tx < tilesX; tx++)
                {
                    Array.Clear(hist);
                    for (int yy = 0; yy < th; yy++)
                    {
                        int sy = Border.Index(ty * th + yy, h, BorderMode.Reflect101);
                        if (direct) CountDirect(s.AsSpan(sy * w + tx * tw, tw), hist);
                        else CountIndexed(s.AsSpan(sy * w, w), colIdx.AsSpan(tx * tw, tw), hist);
                    }
                    var merged = hist.AsSpan(0, bins);
                    for (int i = 0; i < bins; i++) merged[i] += hist[bins + i] + hist[2 * bins + i] + hist[3 * bins + i];
                    BuildLut(merged, clip, lutScale, luts.AsSpan((ty * tilesX + tx) * bins, bins));
                }
        });

        float invTw = 1f / tw, invTh = 1f / th;
        // Per column: the weights and which (left tile, right tile) pair it blends, as an offset into a quad table.
        var qofs = new int[w];
        var xa = new float[w];
        var xa1 = new float[w];
        for (int x = 0; x < w; x++)
        {
            float txf = x * invTw - 0.5f;
            int tx1 = (int)MathF.Floor(txf);
            xa[x] = txf - tx1;
            xa1[x] = 1f - xa[x];
            qofs[x] = (tx1 < 0 ? 0 : tx1 + 1 > tilesX - 1 ? tilesX : tx1 + 1) * bins;
        }
        var dst = new Image<byte>(w, h, 1, GC.AllocateUninitializedArray<byte>(w * h));
        var d = dst.Data;
        RowBands.Run(h, RowBands.MinRows(w * 8L), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (y0, y1) =>
        {
            // quad[q*256 + v] packs the four LUT values a pixel of value v blends (top-left, top-right, bottom-left,
            // bottom-right) as bytes, for column pair q; rebuilt when the pair of tile rows changes.
            var quad = new int[(tilesX + 1) * bins];
            int built = -1;
            for (int y = y0; y < y1; y++)
            {
                if (rows is not null && !rows[y]) continue;
                float tyf = y * invTh - 0.5f;
                int ty1 = (int)MathF.Floor(tyf);
                int ty2 = ty1 + 1;
                float ya = tyf - ty1, ya1 = 1f - ya;
                int r1 = Math.Max(ty1, 0), r2 = Math.Min(ty2, tilesY - 1);
                if (r1 * tilesY + r2 != built)
                {
                    BuildQuad(luts, quad, r1 * tilesX * bins, r2 * tilesX * bins, tilesX);
                    built = r1 * tilesY + r2;
                }
                int x = Avx2.IsSupported ? InterpolateRowAvx2(s.AsSpan(y * w, w), d.AsSpan(y * w, w), quad, qofs, xa, xa1, ya, ya1) : 0;
                InterpolateRow(s.AsSpan(y * w, w), d.AsSpan(y * w, w), quad, qofs, xa, xa1, ya, ya1, x);
            }
        });
        return dst;
    }

    /// <summary>Packs, for every column pair q (0: tile 0 twice, q: tiles q-1 and q, tilesX: last tile twice) and
    /// value v, the LUT values of the two tile rows starting at <paramref name="row1"/> and <paramref name="row2"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BuildQuad(byte[] luts, int[] quad, int row1, int row2, int tilesX)
    {
        for (int q = 0; q <= tilesX; q++)
        {
            int t1 = Math.Max(q - 1, 0) * 256, t2 = Math.Min(q, tilesX - 1) * 256;
            for (int v = 0; v < 256; v++)
                quad[q * 256 + v] = luts[row1 + t1 + v] | (luts[row1 + t2 + v] << 8)
                                  | (luts[row2 + t1 + v] << 16) | (luts[row2 + t2 + v] << 24);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CountDirect(ReadOnlySpan<byte> row, int[] hist)
    {
        ref byte p = ref MemoryMarshal.GetReference(row);
        ref int hp = ref MemoryMarshal.GetArrayDataReference(hist);
        int n = row.Length, x = 0;
        for (; x + 4 <= n; x += 4)
        {
            Unsafe.Add(ref hp, Unsafe.Add(ref p, x))++;
            Unsafe.Add(ref hp, 256 + Unsafe.Add(ref p, x + 1))++;
            Unsafe.Add(ref hp, 512 + Unsafe.Add(ref p, x + 2))++;
            Unsafe.Add(ref hp, 768 + Unsafe.Add(ref p, x + 3))++;
        }
        for (; x < n; x++) Unsafe.Add(ref hp, Unsafe.Add(ref p, x))++;
    }

    private static void CountIndexed(ReadOnlySpan<byte> row, ReadOnlySpan<int> cols, int[] hist)
    {
        for (int i = 0; i < cols.Length; i++) hist[(i & 3) * 256 + row[cols[i]]]++;
    }

    /// <summary>Clips a histogram at <paramref name="clip"/> (0: no clipping), redistributes the excess like
    /// OpenCV and writes the saturated scaled cumulative sum.</summary>
    private static void BuildLut(Span<int> hist, int clip, float lutScale, Span<byte> lut)
    {
        int bins = hist.Length;
        ClaheGeometry.ClipAndRedistribute(hist, clip);
        int sum = 0;
        for (int i = 0; i < bins; i++)
        {
            sum += hist[i];
            lut[i] = SaturateByte(sum * lutScale);
        }
    }

    /// <summary>res = (lut1[ind1+v]*xa1 + lut1[ind2+v]*xa)*ya1 + (lut2[ind1+v]*xa1 + lut2[ind2+v]*xa)*ya, saturated
    /// with round-half-even (OpenCV's CLAHE_Interpolation_Body expression), from column <paramref name="x0"/> on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InterpolateRow(ReadOnlySpan<byte> srow, Span<byte> drow, int[] quad, int[] qofs, float[] xa,
        float[] xa1, float ya, float ya1, int x0)
    {
        ref byte sp = ref MemoryMarshal.GetReference(srow);
        ref byte dp = ref MemoryMarshal.GetReference(drow);
        ref int qp = ref MemoryMarshal.GetArrayDataReference(quad);
        ref int qo = ref MemoryMarshal.GetArrayDataReference(qofs);
        ref float a = ref MemoryMarshal.GetArrayDataReference(xa);
        ref float a1 = ref MemoryMarshal.GetArrayDataReference(xa1);
        int n = drow.Length;
        for (int x = x0; x < n; x++)
        {
            int packed = Unsafe.Add(ref qp, Unsafe.Add(ref qo, x) + Unsafe.Add(ref sp, x));
            float wa = Unsafe.Add(ref a, x), wa1 = Unsafe.Add(ref a1, x);
            float res = ((packed & 0xFF) * wa1 + ((packed >> 8) & 0xFF) * wa) * ya1
                      + (((packed >> 16) & 0xFF) * wa1 + ((packed >>> 24) & 0xFF) * wa) * ya;
            Unsafe.Add(ref dp, x) = (byte)Math.Clamp(MathF.Round(res), 0f, 255f);
        }
    }

    /// <summary>AVX2 version of <see cref="InterpolateRow"/> over whole groups of 8 pixels (one gather of packed
    /// LUT quads per group, same float expression); returns the number of pixels done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int InterpolateRowAvx2(ReadOnlySpan<byte> srow, Span<byte> drow, int[] quad, int[] qofs,
        float[] xa, float[] xa1, float ya, float ya1)
    {
        int n = drow.Length, x = 0;
        var vya = Vector256.Create(ya);
        var vya1 = Vector256.Create(ya1);
        var zero = Vector256<float>.Zero;
        var max = Vector256.Create(255f);
        var lowByte = Vector256.Create(0xFF);
        fixed (byte* sp = srow)
        fixed (byte* dp = drow)
        fixed (int* qp = quad, qo = qofs)
        fixed (float* a = xa, a1 = xa1)
        {
            for (; x + 8 <= n; x += 8)
            {
                var v = Avx2.ConvertToVector256Int32(sp + x);
                var g = Avx2.GatherVector256(qp, Avx.LoadVector256(qo + x) + v, 4);
                var wa = Avx.LoadVector256(a + x);
                var wa1 = Avx.LoadVector256(a1 + x);
                var la = Avx.ConvertToVector256Single(g & lowByte);
                var lb = Avx.ConvertToVector256Single(Avx2.ShiftRightLogical(g, 8) & lowByte);
                var lc = Avx.ConvertToVector256Single(Avx2.ShiftRightLogical(g, 16) & lowByte);
                var ld = Avx.ConvertToVector256Single(Avx2.ShiftRightLogical(g, 24));
                var res = (la * wa1 + lb * wa) * vya1 + (lc * wa1 + ld * wa) * vya;
                var r = Avx.ConvertToVector256Int32(Vector256.Min(Vector256.Max(Vector256.Round(res), zero), max));
                var s16 = Avx2.PackSignedSaturate(r, r);                 // lanes: r0..3 r0..3 | r4..7 r4..7
                var b8 = Avx2.PackUnsignedSaturate(s16, s16);            // bytes 0..3 repeated | 4..7 repeated
                *(int*)(dp + x) = b8.AsInt32().GetElement(0);
                *(int*)(dp + x + 4) = b8.AsInt32().GetElement(4);
            }
        }
        return x;
    }
}
