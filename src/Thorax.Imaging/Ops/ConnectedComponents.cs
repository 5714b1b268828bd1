namespace Thorax.Imaging.Ops;

/// <summary>
/// Connected-component labelling equal to <c>cv2.connectedComponentsWithStats(mask, connectivity)</c>,
/// including OpenCV's label order.
/// </summary>
/// <remarks>
/// Foreground is any non-zero pixel. Label order: for 4-connectivity, by each component's first pixel in raster
/// order (OpenCV's SAUF scan); for 8-connectivity, by its first 2x2 block in block-raster order (OpenCV's block-based
/// BBDT/Spaghetti scans), i.e. sorted by (y / 2, x / 2) of the earliest block. Implementation: union-find in one
/// raster pass, then relabelling.
/// </remarks>
public static class ConnectedComponents
{
    /// <summary>Labels the non-zero pixels of a single-channel mask and computes per-label statistics.</summary>
    public static ComponentLabels Label(Image<byte> mask, Connectivity connectivity = Connectivity.Eight)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.Channels != 1) throw new ArgumentException($"Expected a single-channel mask, got {mask.Channels} channels.");
        int w = mask.Width, h = mask.Height;
        var m = mask.Data;
        var prov = new int[w * h];
        var parent = new List<int> { 0 };
        bool eight = connectivity == Connectivity.Eight;

        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                if (m[i] == 0) continue;
                int label = 0;
                void Join(int other)
                {
                    if (other == 0) return;
                    if (label == 0) label = other;
                    else Union(parent, label, other);
                }
                if (x > 0) Join(prov[i - 1]);
                if (y > 0)
                {
                    Join(prov[i - w]);
                    if (eight)
                    {
                        if (x > 0) Join(prov[i - w - 1]);
                        if (x < w - 1) Join(prov[i - w + 1]);
                    }
                }
                if (label == 0)
                {
                    label = parent.Count;
                    parent.Add(label);
                }
                prov[i] = label;
            }
        }

        // Order roots by OpenCV's scan key of their first pixel/block.
        int n = parent.Count;
        var firstKey = new long[n];
        Array.Fill(firstKey, long.MaxValue);
        long blocksPerRow = (w + 1) / 2;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int p = prov[y * w + x];
                if (p == 0) continue;
                int r = Find(parent, p);
                long key = eight ? ((y >> 1) * blocksPerRow + (x >> 1)) * 4 + ((y & 1) << 1) + (x & 1) : (long)y * w + x;
                if (key < firstKey[r]) firstKey[r] = key;
            }
        var roots = new List<int>();
        for (int p = 1; p < n; p++) if (Find(parent, p) == p) roots.Add(p);
        roots.Sort((a, b) => firstKey[a].CompareTo(firstKey[b]));
        var final = new int[n];
        for (int k = 0; k < roots.Count; k++) final[roots[k]] = k + 1;

        int count = roots.Count + 1;
        var labels = new Image<int>(w, h);
        var l = labels.Data;
        var left = new int[count]; var top = new int[count]; var right = new int[count]; var bottom = new int[count];
        var area = new int[count]; var sx = new double[count]; var sy = new double[count];
        Array.Fill(left, int.MaxValue); Array.Fill(top, int.MaxValue); Array.Fill(right, -1); Array.Fill(bottom, -1);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                int lab = prov[i] == 0 ? 0 : final[Find(parent, prov[i])];
                l[i] = lab;
                area[lab]++;
                sx[lab] += x;
                sy[lab] += y;
                if (x < left[lab]) left[lab] = x;
                if (x > right[lab]) right[lab] = x;
                if (y < top[lab]) top[lab] = y;
                if (y > bottom[lab]) bottom[lab] = y;
            }
        var stats = new ComponentStats[count];
        for (int k = 0; k < count; k++)
            stats[k] = area[k] == 0
                ? new ComponentStats(0, 0, 0, 0, 0, double.NaN, double.NaN)
                : new ComponentStats(left[k], top[k], right[k] - left[k] + 1, bottom[k] - top[k] + 1, area[k],
                    sx[k] / area[k], sy[k] / area[k]);
        return new ComponentLabels(labels, stats);
    }

    private static int Find(List<int> parent, int i)
    {
        int root = i;
        while (parent[root] != root) root = parent[root];
        while (parent[i] != root)
        {
            int next = parent[i];
            parent[i] = root;
            i = next;
        }
        return root;
    }

    private static void Union(List<int> parent, int a, int b)
    {
        int ra = Find(parent, a), rb = Find(parent, b);
        if (ra == rb) return;
        if (ra < rb) parent[rb] = ra; else parent[ra] = rb;
    }
}
