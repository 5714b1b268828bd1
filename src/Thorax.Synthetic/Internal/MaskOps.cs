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
        var labels = new int[mask.Length];
        int n = Label(mask, width, height, labels);
        if (n <= 1) return;
        var sizes = new int[n + 1];
        foreach (int l in labels) sizes[l]++;
        int best = 1;
        for (int l = 2; l <= n; l++) if (sizes[l] > sizes[best]) best = l;
        for (int i = 0; i < mask.Length; i++) if (labels[i] != best) mask[i] = 0;
    }
}
