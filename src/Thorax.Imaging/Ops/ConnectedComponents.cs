using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Thorax.Imaging.Ops;

/// <summary>
/// Connected-component labelling equal to <c>cv2.connectedComponentsWithStats(mask, connectivity)</c>,
/// including OpenCV's label order.
/// </summary>
/// <remarks>
/// Foreground is any non-zero pixel. Label order: for 4-connectivity, by each component's first pixel in raster
/// order (OpenCV's SAUF scan); for 8-connectivity, by its first 2x2 block in block-raster order (OpenCV's block-based
/// BBDT/Spaghetti scans), i.e. sorted by (y / 2, x / 2) of the earliest block. Implementation: run-length union-find.
/// Each row is split into runs of non-zero pixels (vectorised search); a run is joined to the runs of the previous row
/// it touches (overlapping columns for 4-connectivity, columns within one for 8-connectivity); provisional labels are
/// resolved to the component's root, ordered by OpenCV's scan key, and the label image and statistics are written run
/// by run. Single-threaded.
/// </remarks>
public static class ConnectedComponents
{
    /// <summary>Labels the non-zero pixels of a single-channel mask and computes per-label statistics.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ComponentLabels Label(Image<byte> mask, Connectivity connectivity = Connectivity.Eight)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.Channels != 1) throw new ArgumentException($"Expected a single-channel mask, got {mask.Channels} channels.");
        int w = mask.Width, h = mask.Height;
        bool eight = connectivity == Connectivity.Eight;
        var runs = new Runs(Math.Max(16, h * 4));
        var rowStart = new int[h + 1];
        var parent = new int[Math.Max(16, h * 4)];
        int labels = 1; // provisional labels 1..labels-1; parent[0] unused
        int touch = eight ? 1 : 0;
        var m = mask.Data;

        // Pass 1: runs and unions with the previous row.
        for (int y = 0; y < h; y++)
        {
            rowStart[y] = runs.Count;
            var row = m.AsSpan(y * w, w);
            int prev = y > 0 ? rowStart[y - 1] : 0, prevEnd = y > 0 ? rowStart[y] : 0;
            int x = 0;
            while (x < w)
            {
                int s = row.Slice(x).IndexOfAnyExcept((byte)0);
                if (s < 0) break;
                s += x;
                int e = row.Slice(s).IndexOf((byte)0);
                e = e < 0 ? w : s + e;
                x = e;
                // Previous-row runs that end before this run can touch it never touch later runs either.
                while (prev < prevEnd && runs.End[prev] + touch <= s) prev++;
                int label = 0;
                for (int j = prev; j < prevEnd && runs.Start[j] < e + touch; j++)
                {
                    int other = runs.Label[j];
                    if (label == 0) label = Find(parent, other);
                    else label = Union(parent, label, other);
                }
                if (label == 0)
                {
                    if (labels == parent.Length) Array.Resize(ref parent, parent.Length * 2);
                    label = labels;
                    parent[labels] = labels;
                    labels++;
                }
                runs.Add(s, e, label);
            }
        }
        rowStart[h] = runs.Count;

        // Pass 2: roots ordered by OpenCV's scan key of their first pixel / 2x2 block.
        int n = runs.Count;
        var final = new int[labels];
        int count = 1;
        if (!eight)
        {
            // Labels are created in raster order and every set's root is its smallest label, i.e. its first run.
            for (int p = 1; p < labels; p++)
                final[p] = Find(parent, p) == p ? count++ : 0;
            for (int p = 1; p < labels; p++) final[p] = final[Find(parent, p)];
        }
        else
        {
            var firstKey = new long[labels];
            Array.Fill(firstKey, long.MaxValue);
            long blocksPerRow = (w + 1) / 2;
            for (int y = 0; y < h; y++)
                for (int r = rowStart[y]; r < rowStart[y + 1]; r++)
                {
                    int root = Find(parent, runs.Label[r]);
                    int s = runs.Start[r];
                    long key = ((y >> 1) * blocksPerRow + (s >> 1)) * 4 + ((y & 1) << 1) + (s & 1);
                    if (key < firstKey[root]) firstKey[root] = key;
                }
            var roots = new List<int>();
            for (int p = 1; p < labels; p++) if (parent[p] == p) roots.Add(p);
            var rootArr = roots.ToArray();
            var keys = Array.ConvertAll(rootArr, r => firstKey[r]);
            Array.Sort(keys, rootArr);
            foreach (int r in rootArr) final[r] = count++;
            for (int p = 1; p < labels; p++) final[p] = final[Find(parent, p)];
        }

        // Pass 3: label image and statistics, run by run.
        var image = new Image<int>(w, h, 1, GC.AllocateUninitializedArray<int>(w * h));
        var l = image.Data;
        var left = new int[count]; var top = new int[count]; var right = new int[count]; var bottom = new int[count];
        var area = new long[count]; var sx = new long[count]; var sy = new long[count];
        Array.Fill(left, int.MaxValue); Array.Fill(top, int.MaxValue); Array.Fill(right, -1); Array.Fill(bottom, -1);
        long rowSumX = (long)w * (w - 1) / 2;
        for (int y = 0; y < h; y++)
        {
            var lrow = l.AsSpan(y * w, w);
            int r0 = rowStart[y], r1 = rowStart[y + 1];
            int x = 0, covered = 0;
            long runSumX = 0;
            for (int r = r0; r < r1; r++)
            {
                int s = runs.Start[r], e = runs.End[r], len = e - s;
                if (s > x) lrow.Slice(x, s - x).Clear();
                int lab = final[runs.Label[r]];
                lrow.Slice(s, len).Fill(lab);
                x = e;
                covered += len;
                long xs = (long)(s + e - 1) * len / 2;
                runSumX += xs;
                area[lab] += len;
                sx[lab] += xs;
                sy[lab] += (long)y * len;
                if (s < left[lab]) left[lab] = s;
                if (e - 1 > right[lab]) right[lab] = e - 1;
                if (y < top[lab]) top[lab] = y;
                bottom[lab] = y;
            }
            if (x < w) lrow.Slice(x).Clear();
            if (covered < w)
            {
                // Background pixels of this row: the complement of the runs.
                int bgLeft = r1 == r0 || runs.Start[r0] > 0 ? 0 : runs.End[r0];
                int bgRight = r1 == r0 || runs.End[r1 - 1] < w ? w - 1 : runs.Start[r1 - 1] - 1;
                area[0] += w - covered;
                sx[0] += rowSumX - runSumX;
                sy[0] += (long)y * (w - covered);
                if (bgLeft < left[0]) left[0] = bgLeft;
                if (bgRight > right[0]) right[0] = bgRight;
                if (y < top[0]) top[0] = y;
                bottom[0] = y;
            }
        }
        var stats = new ComponentStats[count];
        for (int k = 0; k < count; k++)
            stats[k] = area[k] == 0
                ? new ComponentStats(0, 0, 0, 0, 0, double.NaN, double.NaN)
                : new ComponentStats(left[k], top[k], right[k] - left[k] + 1, bottom[k] - top[k] + 1, (int)area[k],
                    (double)sx[k] / area[k], (double)sy[k] / area[k]);
        return new ComponentLabels(image, stats);
    }

    /// <summary>Growable run table: [Start, End) columns and provisional label per run, in raster order.</summary>
    private sealed class Runs(int capacity)
    {
        public int[] Start = new int[capacity];
        public int[] End = new int[capacity];
        public int[] Label = new int[capacity];
        public int Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(int start, int end, int label)
        {
            if (Count == Start.Length)
            {
                Array.Resize(ref Start, Count * 2);
                Array.Resize(ref End, Count * 2);
                Array.Resize(ref Label, Count * 2);
            }
            Start[Count] = start;
            End[Count] = end;
            Label[Count] = label;
            Count++;
        }
    }

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
    private static int Union(int[] parent, int root, int other)
    {
        int ro = Find(parent, other);
        if (ro == root) return root;
        if (ro < root) { parent[root] = ro; return ro; }
        parent[ro] = root;
        return root;
    }
}
