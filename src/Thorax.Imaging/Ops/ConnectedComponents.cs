using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Thorax.Imaging.Ops;

/// <summary>
/// Connected-component labelling equal to <c>cv2.connectedComponentsWithStats(mask, connectivity)</c>,
/// including OpenCV's label order.
/// </summary>
/// <remarks>
/// <para>Foreground is any non-zero pixel. Label order: for 4-connectivity, by each component's first pixel in raster
/// order (OpenCV's SAUF scan); for 8-connectivity, by its first 2x2 block in block-raster order (OpenCV's block-based
/// BBDT/Spaghetti scans), i.e. sorted by (y / 2, x / 2) of the earliest block.</para>
/// <para>Implementation: run-length union-find over horizontal bands of rows, processed on up to
/// <see cref="OpsThreading.MaxThreads"/> threads on large images (two bands per thread, 64K pixels per band at least;
/// one thread and one band when MaxThreads is 1). In each band, every row is split into
/// runs of non-zero pixels (64-pixel bit masks), a run is joined to the runs of the previous row it touches
/// (overlapping columns for 4-connectivity, columns within one for 8-connectivity), and area, coordinate sums,
/// bounding box and scan key are accumulated per provisional label. Then, on one thread, the bands' provisional labels
/// are put in one table, the runs on either side of each band boundary are joined the same way, every provisional
/// label is resolved to its component, components are numbered in OpenCV's order and the statistics are summed per
/// component. Last, each band writes its rows of the label image run by run. The result does not depend on the
/// number of bands.</para>
/// </remarks>
public static class ConnectedComponents
{
    /// <summary>Pixels per band below which an extra band costs more (dispatch, boundary merge) than it saves.</summary>
    private const int MinBandPixels = 1 << 16;

    /// <summary>Runs and provisional labels per row (in sixteenths, with a margin) seen by the latest band scan:
    /// the initial scratch size of the next. Updated without synchronisation; only a size hint.</summary>
    private static int s_runsPerRow = 16 * 16, s_labelsPerRow = 4 * 16;

    /// <summary>Labels the non-zero pixels of a single-channel mask and computes per-label statistics.</summary>
    public static ComponentLabels Label(Image<byte> mask, Connectivity connectivity = Connectivity.Eight)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.Channels != 1) throw new ArgumentException($"Expected a single-channel mask, got {mask.Channels} channels.");
        // Two bands per thread, taken in turn by whichever thread is free: on a busy machine a thread that starts late
        // leaves less of the work waiting for it. One thread: one band, no parallel dispatch.
        int threads = OpsThreading.Effective;
        int minRows = Math.Max(1, MinBandPixels / Math.Max(mask.Width, 1));
        int bands = Math.Min(threads == 1 ? 1 : 2 * threads, mask.Height / minRows);
        return Label(mask, connectivity, bands, Math.Min(threads, Math.Max(bands, 1)));
    }

    /// <summary><see cref="Label(Image{byte}, Connectivity)"/> with an explicit number of row bands (clamped to
    /// [1, rows]), run on up to <paramref name="threads"/> threads (0: one per band) when there are several. The result
    /// is the same for any number of bands; tests use this to check the band merge.</summary>
    // AggressiveOptimization here and on every callee that is not inlined: tiered compilation would otherwise run them
    // as unoptimised tier-0 code for the first calls (hundreds of milliseconds of a process' life: 3.6 ms instead of
    // 1.6 ms per 1024^2 call until the tier-1 code arrived).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static ComponentLabels Label(Image<byte> mask, Connectivity connectivity, int bandCount, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.Channels != 1) throw new ArgumentException($"Expected a single-channel mask, got {mask.Channels} channels.");
        int w = mask.Width, h = mask.Height;
        bool eight = connectivity == Connectivity.Eight;
        int nb = Math.Clamp(bandCount, 1, Math.Max(h, 1));
        var bands = new Band[nb];
        for (int b = 0; b < nb; b++) bands[b] = new Band((int)((long)h * b / nb), (int)((long)h * (b + 1) / nb));
        var m = mask.Data;
        if (nb == 1) bands[0].Scan(m, w, eight);
        else BandDispatcher.For(nb, threads > 0 ? threads : nb, b => bands[b].Scan(m, w, eight));

        // Provisional labels of all bands in one table: band b's label p is global label Offset + p.
        int total = 1;
        foreach (var band in bands) { band.Offset = total - 1; total += band.Labels - 1; }
        int[] parent;
        if (nb == 1) parent = bands[0].Parent;
        else
        {
            parent = new int[total];
            foreach (var band in bands)
                for (int p = 1; p < band.Labels; p++) parent[band.Offset + p] = band.Offset + band.Parent[p];
            for (int b = 1; b < nb; b++) JoinBoundary(parent, bands[b - 1], bands[b], eight ? 1 : 0);
        }
        // Every label's parent is a smaller or equal label (unions keep the smaller root, Find compresses to it), so
        // one ascending pass points every label at its root.
        for (int g = 1; g < total; g++) parent[g] = parent[parent[g]];

        // Component numbers in OpenCV's order.
        var final = new int[total];
        int count = 1;
        if (!eight)
        {
            // Labels are created in raster order (band by band, row by row) and a component's first run always creates
            // a label, so its root - the smallest label - is that of its first pixel.
            for (int g = 1; g < total; g++) final[g] = parent[g] == g ? count++ : final[parent[g]];
        }
        else
        {
            var rootKey = new long[total];
            for (int g = 0; g < total; g++) rootKey[g] = long.MaxValue;
            foreach (var band in bands)
                for (int p = 1; p < band.Labels; p++)
                {
                    ref long k = ref rootKey[parent[band.Offset + p]];
                    k = Math.Min(k, band.Sums[p].Key);
                }
            int roots = 0;
            for (int g = 1; g < total; g++) if (parent[g] == g) roots++;
            var rootArr = new int[roots];
            var keys = new long[roots];
            for (int g = 1, i = 0; g < total; g++)
                if (parent[g] == g) { rootArr[i] = g; keys[i++] = rootKey[g]; }
            Array.Sort(keys, rootArr);
            foreach (int r in rootArr) final[r] = count++;
            for (int g = 1; g < total; g++) final[g] = final[parent[g]];
        }

        // Statistics per component: sums of the provisional labels' accumulators.
        var acc = new Acc[count];
        for (int k = 0; k < count; k++) acc[k] = Acc.Empty;
        foreach (var band in bands)
        {
            for (int p = 1; p < band.Labels; p++) acc[final[band.Offset + p]].Add(band.Sums[p]);
            acc[0].Add(band.Background);
        }
        var stats = new ComponentStats[count];
        for (int k = 0; k < count; k++)
        {
            ref var a = ref acc[k];
            stats[k] = a.Area == 0
                ? new ComponentStats(0, 0, 0, 0, 0, double.NaN, double.NaN)
                : new ComponentStats(a.Left, a.Top, a.Right - a.Left + 1, a.Bottom - a.Top + 1, (int)a.Area,
                    (double)a.SumX / a.Area, (double)a.SumY / a.Area);
        }

        // Label image, band by band (every pixel is written once: runs and the gaps between them).
        var data = GC.AllocateUninitializedArray<int>(w * h);
        if (nb == 1) bands[0].Write(data, w, final);
        else BandDispatcher.For(nb, threads > 0 ? threads : nb, b => bands[b].Write(data, w, final));
        foreach (var band in bands) band.Release();
        return new ComponentLabels(new Image<int>(w, h, 1, data), stats);
    }

    /// <summary>Joins the runs of the last row of <paramref name="above"/> with the runs of the first row of
    /// <paramref name="below"/> that they touch (global labels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void JoinBoundary(int[] parent, Band above, Band below, int touch)
    {
        if (above.Y1 == above.Y0 || below.Y1 == below.Y0) return;
        int j = above.RowStart[above.Y1 - above.Y0 - 1], jEnd = above.RowStart[above.Y1 - above.Y0];
        int rEnd = below.RowStart[1];
        var ap = above.Pos; var bp = below.Pos;
        for (int r = 0; r < rEnd; r++)
        {
            int s = bp[2 * r], e = bp[2 * r + 1];
            while (j < jEnd && ap[2 * j + 1] + touch <= s) j++;
            int label = below.Offset + below.Label[r];
            for (int i = j; i < jEnd && ap[2 * i] < e + touch; i++)
            {
                int ra = Find(parent, above.Offset + above.Label[i]), rb = Find(parent, label);
                if (ra < rb) parent[rb] = ra;
                else if (rb < ra) parent[ra] = rb;
            }
        }
    }

    /// <summary>Per-label accumulator: pixel count, coordinate sums, bounding box and (8-connectivity) the smallest
    /// block-raster scan key of its pixels.</summary>
    private struct Acc
    {
        public long Area, SumX, SumY, Key;
        public int Left, Right, Top, Bottom;

        public static Acc Empty => new() { Key = long.MaxValue, Left = int.MaxValue, Top = int.MaxValue, Right = -1, Bottom = -1 };

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(in Acc o)
        {
            Area += o.Area;
            SumX += o.SumX;
            SumY += o.SumY;
            if (o.Key < Key) Key = o.Key;
            if (o.Left < Left) Left = o.Left;
            if (o.Right > Right) Right = o.Right;
            if (o.Top < Top) Top = o.Top;
            if (o.Bottom > Bottom) Bottom = o.Bottom;
        }
    }

    /// <summary>Rows [<see cref="Y0"/>, <see cref="Y1"/>): runs ([start, end) column pairs in <see cref="Pos"/>, in
    /// raster order), provisional labels 1..<see cref="Labels"/>-1 with their union-find parents and accumulators (<see cref="Sums"/>),
    /// and the background's accumulator.</summary>
    private sealed class Band(int y0, int y1)
    {
        public readonly int Y0 = y0, Y1 = y1;
        public readonly int[] RowStart = new int[y1 - y0 + 1];
        public int[] Pos = [];
        public int[] Label = [];
        public int Count;
        public int[] Parent = [];
        public Acc[] Sums = [];
        public int Labels = 1;
        public Acc Background = Acc.Empty;
        public int Offset;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Scan(byte[] m, int w, bool eight)
        {
            int rows = Y1 - Y0;
            // Scratch from the shared pools (returned by Release), sized by the previous call's density so that a
            // repeated call on similar masks neither grows nor allocates.
            int runCap = (int)Math.Min(Math.Max(64L, (long)rows * s_runsPerRow / 16 + (w + 1) / 2), int.MaxValue / 2);
            int labelCap = (int)Math.Min(Math.Max(16L, (long)rows * s_labelsPerRow / 16 + 16), int.MaxValue / 2);
            Pos = ArrayPool<int>.Shared.Rent(2 * runCap);
            Label = ArrayPool<int>.Shared.Rent(runCap);
            Parent = ArrayPool<int>.Shared.Rent(labelCap);
            Sums = ArrayPool<Acc>.Shared.Rent(labelCap);
            int touch = eight ? 1 : 0;
            long blocksPerRow = (w + 1) / 2;
            long rowSumX = (long)w * (w - 1) / 2;
            int maxRunsPerRow = (w + 1) / 2;
            int n = 0, labels = 1;
            var bg = Background;
            for (int i = 0; i < rows; i++)
            {
                int y = Y0 + i;
                RowStart[i] = n;
                if (n + maxRunsPerRow > Label.Length)
                {
                    int cap = Math.Max(Label.Length * 2, n + maxRunsPerRow);
                    Grow(ref Pos, 2 * n, 2 * cap);
                    Grow(ref Label, n, cap);
                }
                int r0 = n;
                n = Runs(m.AsSpan(y * w, w), Pos, n);
                int prev = i > 0 ? RowStart[i - 1] : 0, prevEnd = i > 0 ? r0 : 0;
                var pos = Pos;
                var lab = Label;
                long runSumX = 0;
                int covered = 0;
                for (int r = r0; r < n; r++)
                {
                    int s = pos[2 * r], e = pos[2 * r + 1];
                    // Previous-row runs that end before this run can touch it never touch later runs either.
                    while (prev < prevEnd && pos[2 * prev + 1] + touch <= s) prev++;
                    int label = 0;
                    for (int j = prev; j < prevEnd && pos[2 * j] < e + touch; j++)
                    {
                        int other = lab[j];
                        if (label == 0) label = Find(Parent, other);
                        else label = Union(Parent, label, other);
                    }
                    if (label == 0)
                    {
                        if (labels == Parent.Length)
                        {
                            Grow(ref Parent, labels, labels * 2);
                            Grow(ref Sums, labels, labels * 2);
                        }
                        label = labels++;
                        Parent[label] = label;
                        Sums[label] = new Acc { Key = long.MaxValue, Left = s, Right = e - 1, Top = y, Bottom = y };
                    }
                    lab[r] = label;
                    int len = e - s;
                    long xs = (long)(s + e - 1) * len / 2;
                    runSumX += xs;
                    covered += len;
                    ref var a = ref Sums[label];
                    a.Area += len;
                    a.SumX += xs;
                    a.SumY += (long)y * len;
                    if (s < a.Left) a.Left = s;
                    if (e - 1 > a.Right) a.Right = e - 1;
                    a.Bottom = y;
                    if (eight)
                    {
                        long key = ((y >> 1) * blocksPerRow + (s >> 1)) * 4 + ((y & 1) << 1) + (s & 1);
                        if (key < a.Key) a.Key = key;
                    }
                }
                if (covered < w)
                {
                    // Background pixels of this row: the complement of the runs.
                    int bgLeft = n == r0 || pos[2 * r0] > 0 ? 0 : pos[2 * r0 + 1];
                    int bgRight = n == r0 || pos[2 * n - 1] < w ? w - 1 : pos[2 * n - 2] - 1;
                    bg.Area += w - covered;
                    bg.SumX += rowSumX - runSumX;
                    bg.SumY += (long)y * (w - covered);
                    if (bgLeft < bg.Left) bg.Left = bgLeft;
                    if (bgRight > bg.Right) bg.Right = bgRight;
                    if (y < bg.Top) bg.Top = y;
                    bg.Bottom = y;
                }
            }
            RowStart[rows] = n;
            Count = n;
            Labels = labels;
            Background = bg;
            if (rows > 0)
            {
                // Hints for the next call, in 1/16 per row, with a quarter to spare.
                s_runsPerRow = (int)Math.Min(((long)n * 20 + rows - 1) / rows, 1 << 24);
                s_labelsPerRow = (int)Math.Min(((long)labels * 20 + rows - 1) / rows, 1 << 24);
            }
        }

        /// <summary>Returns the scratch arrays to the shared pools.</summary>
        public void Release()
        {
            ArrayPool<int>.Shared.Return(Pos);
            ArrayPool<int>.Shared.Return(Label);
            ArrayPool<int>.Shared.Return(Parent);
            ArrayPool<Acc>.Shared.Return(Sums);
            Pos = Label = Parent = [];
            Sums = [];
        }

        /// <summary>Replaces <paramref name="a"/> by a pooled array of at least <paramref name="size"/> elements
        /// holding its first <paramref name="used"/> elements.</summary>
        private static void Grow<T>(ref T[] a, int used, int size)
        {
            var b = ArrayPool<T>.Shared.Rent(size);
            Array.Copy(a, b, used);
            ArrayPool<T>.Shared.Return(a);
            a = b;
        }

        /// <summary>Writes this band's rows of the label image: component number per run, 0 between runs.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Write(int[] data, int w, int[] final)
        {
            var pos = Pos;
            for (int i = 0; i < Y1 - Y0; i++)
            {
                ref int row = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(data), (nint)(Y0 + i) * w);
                int x = 0;
                for (int r = RowStart[i]; r < RowStart[i + 1]; r++)
                {
                    int s = pos[2 * r], e = pos[2 * r + 1];
                    FillRun(ref Unsafe.Add(ref row, x), s - x, 0);
                    FillRun(ref Unsafe.Add(ref row, s), e - s, final[Offset + Label[r]]);
                    x = e;
                }
                FillRun(ref Unsafe.Add(ref row, x), w - x, 0);
            }
        }
    }

    /// <summary>Sets <paramref name="len"/> ints from <paramref name="dst"/> to <paramref name="value"/>. Our own loop
    /// rather than Span.Fill: the runs are short, and the framework's vectorised fill starts as unoptimised tier-0
    /// code in every process (it is not precompiled), which doubled the time of the first few hundred calls.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FillRun(ref int dst, int len, int value)
    {
        if (len >= 8)
        {
            var v = Vector256.Create(value);
            int i = 0;
            for (; i + 8 <= len; i += 8) v.StoreUnsafe(ref dst, (nuint)i);
            if (i < len) v.StoreUnsafe(ref dst, (nuint)(len - 8));
        }
        else
            for (int i = 0; i < len; i++) Unsafe.Add(ref dst, i) = value;
    }

    /// <summary>Appends the runs of non-zero bytes of <paramref name="row"/> to <paramref name="pos"/> as [start, end)
    /// pairs from run index <paramref name="n"/> (the caller leaves room for (width + 1) / 2 runs); returns the new
    /// run count. Works on 64-pixel masks: every change between zero and non-zero is one set bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Runs(ReadOnlySpan<byte> row, int[] pos, int n)
    {
        int w = row.Length;
        ref byte src = ref MemoryMarshal.GetReference(row);
        ref int dst = ref MemoryMarshal.GetArrayDataReference(pos);
        int k = 2 * n; // next position to write: even = run start, odd = run end
        ulong carry = 0; // 1 when the pixel before the current block is non-zero
        int x = 0;
        for (; x + 64 <= w; x += 64)
        {
            ulong bits = NonZero64(ref Unsafe.Add(ref src, x));
            ulong edges = bits ^ ((bits << 1) | carry);
            carry = bits >> 63;
            while (edges != 0)
            {
                Unsafe.Add(ref dst, k++) = x + BitOperations.TrailingZeroCount(edges);
                edges &= edges - 1;
            }
        }
        if (x < w)
        {
            // Last partial block of w - x < 64 pixels, as if zero-padded: a run still open ends at w. From the 64
            // pixels ending at w when the row has them, else pixel by pixel.
            ulong bits = 0;
            if (w >= 64) bits = NonZero64(ref Unsafe.Add(ref src, w - 64)) >> (64 - (w - x));
            else
                for (int i = w - 1; i >= x; i--) bits = (bits << 1) | (Unsafe.Add(ref src, i) != 0 ? 1UL : 0);
            ulong edges = bits ^ ((bits << 1) | carry);
            carry = 0;
            while (edges != 0)
            {
                Unsafe.Add(ref dst, k++) = x + BitOperations.TrailingZeroCount(edges);
                edges &= edges - 1;
            }
        }
        if (carry != 0) Unsafe.Add(ref dst, k++) = w;
        return k >> 1;
    }

    /// <summary>Bit i set when byte i of the 64 at <paramref name="p"/> is non-zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong NonZero64(ref byte p)
    {
        ulong lo = Vector256.Equals(Vector256.LoadUnsafe(ref p), Vector256<byte>.Zero).ExtractMostSignificantBits();
        ulong hi = Vector256.Equals(Vector256.LoadUnsafe(ref p, 32), Vector256<byte>.Zero).ExtractMostSignificantBits();
        return ~(lo | (hi << 32));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Find(int[] parent, int i)
    {
        ref int p = ref MemoryMarshal.GetArrayDataReference(parent);
        int root = i;
        while (Unsafe.Add(ref p, root) != root) root = Unsafe.Add(ref p, root);
        while (Unsafe.Add(ref p, i) != root)
        {
            int next = Unsafe.Add(ref p, i);
            Unsafe.Add(ref p, i) = root;
            i = next;
        }
        return root;
    }

    /// <summary>Joins the set of root <paramref name="root"/> with the set of <paramref name="other"/>; returns the
    /// new root (the smaller label).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Union(int[] parent, int root, int other)
    {
        int ro = Find(parent, other);
        if (ro == root) return root;
        if (ro < root) { parent[root] = ro; return ro; }
        parent[ro] = root;
        return root;
    }
}
