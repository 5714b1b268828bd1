namespace Thorax.Synthetic.Internal;

/// <summary>Connected-component helpers for 0/255 masks (4-connectivity).</summary>
internal static class MaskOps
{
    /// <summary>Labels 4-connected components of non-zero pixels; returns the count and fills labels (0 = background).</summary>
    public static int Label(ReadOnlySpan<byte> mask, int width, int height, int[] labels)
    {
        Array.Clear(labels);
        int next = 0;
        var stack = new Stack<int>();
        for (int i = 0; i < width * height; i++)
        {
            if (mask[i] == 0 || labels[i] != 0) continue;
            next++;
            labels[i] = next;
            stack.Push(i);
            while (stack.Count > 0)
            {
                int p = stack.Pop();
                int x = p % width, y = p / width;
                for (int k = 0; k < 4; k++)
                {
                    int q;
                    if (k == 0) { if (x == 0) continue; q = p - 1; }
                    else if (k == 1) { if (x == width - 1) continue; q = p + 1; }
                    else if (k == 2) { if (y == 0) continue; q = p - width; }
                    else { if (y == height - 1) continue; q = p + width; }
                    if (labels[q] == 0 && mask[q] != 0) { labels[q] = next; stack.Push(q); }
                }
            }
        }
        return next;
    }

    /// <summary>Clears every component except the largest one, in place.</summary>
    public static void KeepLargestComponent(byte[] mask, int width, int height)
    {
        // Work inside the bounding box of the non-zero pixels only.
        int x0 = width, x1 = -1, y0 = height, y1 = -1;
        for (int y = 0; y < height; y++)
        {
            var row = mask.AsSpan(y * width, width);
            int first = row.IndexOfAnyExcept((byte)0);
            if (first < 0) continue;
            int last = row.LastIndexOfAnyExcept((byte)0);
            if (y < y0) y0 = y;
            y1 = y;
            if (first < x0) x0 = first;
            if (last > x1) x1 = last;
        }
        if (y1 < 0) return;
        int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
        var sub = new byte[bw * bh];
        for (int y = 0; y < bh; y++) mask.AsSpan((y0 + y) * width + x0, bw).CopyTo(sub.AsSpan(y * bw, bw));
        var labels = new int[sub.Length];
        int n = Label(sub, bw, bh, labels);
        if (n <= 1) return;
        var sizes = new int[n + 1];
        foreach (int l in labels) sizes[l]++;
        int best = 1;
        for (int l = 2; l <= n; l++) if (sizes[l] > sizes[best]) best = l;
        for (int y = 0; y < bh; y++)
            for (int x = 0; x < bw; x++)
                if (labels[y * bw + x] != best) mask[(y0 + y) * width + x0 + x] = 0;
    }
}
