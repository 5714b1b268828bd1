namespace Thorax.Imaging.Ops;

/// <summary>
/// Binary mask post-processing: hole filling, small-component removal, keep-largest. Masks are single-channel
/// 8-bit; any non-zero pixel is foreground; outputs are 0/255.
/// </summary>
public static class MaskOps
{
    /// <summary>
    /// Fills holes: background regions not 4-connected to the image border become foreground
    /// (<c>scipy.ndimage.binary_fill_holes</c> with its default cross structure).
    /// </summary>
    public static Image<byte> FillHoles(Image<byte> mask)
    {
        RequireMask(mask);
        int w = mask.Width, h = mask.Height;
        var m = mask.Data;
        var outside = new bool[w * h];
        var stack = new Stack<int>();
        void Seed(int i)
        {
            if (m[i] == 0 && !outside[i]) { outside[i] = true; stack.Push(i); }
        }
        for (int x = 0; x < w; x++) { Seed(x); Seed((h - 1) * w + x); }
        for (int y = 0; y < h; y++) { Seed(y * w); Seed(y * w + w - 1); }
        while (stack.Count > 0)
        {
            int i = stack.Pop();
            int x = i % w, y = i / w;
            if (x > 0) Seed(i - 1);
            if (x < w - 1) Seed(i + 1);
            if (y > 0) Seed(i - w);
            if (y < h - 1) Seed(i + w);
        }
        var dst = new Image<byte>(w, h);
        var d = dst.Data;
        for (int i = 0; i < d.Length; i++) d[i] = outside[i] ? (byte)0 : (byte)255;
        return dst;
    }

    /// <summary>
    /// Removes components with fewer than <paramref name="minArea"/> pixels (skimage <c>remove_small_objects</c>
    /// semantics: keeps area &gt;= minArea).
    /// </summary>
    public static Image<byte> RemoveSmallComponents(Image<byte> mask, int minArea, Connectivity connectivity = Connectivity.Eight)
    {
        RequireMask(mask);
        var cc = ConnectedComponents.Label(mask, connectivity);
        return Select(cc, k => cc.Stats[k].Area >= minArea);
    }

    /// <summary>
    /// Keeps the <paramref name="count"/> largest components by pixel count (ties: lower label first); MONAI
    /// <c>KeepLargestConnectedComponent(num_components)</c>.
    /// </summary>
    public static Image<byte> KeepLargestComponents(Image<byte> mask, int count = 1, Connectivity connectivity = Connectivity.Eight)
    {
        RequireMask(mask);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var cc = ConnectedComponents.Label(mask, connectivity);
        var keep = Enumerable.Range(1, cc.Count - 1)
            .OrderByDescending(k => cc.Stats[k].Area).ThenBy(k => k)
            .Take(count).ToHashSet();
        return Select(cc, keep.Contains);
    }

    private static Image<byte> Select(ComponentLabels cc, Func<int, bool> keep)
    {
        var keepLabel = new bool[cc.Count];
        for (int k = 1; k < cc.Count; k++) keepLabel[k] = keep(k);
        var l = cc.Labels.Data;
        var dst = new Image<byte>(cc.Labels.Width, cc.Labels.Height);
        var d = dst.Data;
        for (int i = 0; i < l.Length; i++) d[i] = keepLabel[l[i]] ? (byte)255 : (byte)0;
        return dst;
    }

    internal static void RequireMask(Image<byte> mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.Channels != 1) throw new ArgumentException($"Expected a single-channel mask, got {mask.Channels} channels.");
    }
}
