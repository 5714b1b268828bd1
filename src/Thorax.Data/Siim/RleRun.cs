namespace Thorax.Data.Siim;

/// <summary>One run of foreground pixels: <see cref="Length"/> consecutive pixels starting at the 0-based flat
/// index <see cref="Start"/> in the encoding's pixel order (column-major for SIIM training RLE).</summary>
/// <param name="Start">0-based flat index of the first pixel.</param>
/// <param name="Length">Number of pixels, at least 1.</param>
public readonly record struct RleRun(int Start, int Length)
{
    /// <summary>Exclusive end index (Start + Length).</summary>
    public int End => Start + Length;

    /// <summary>Sorts and merges overlapping or touching runs (the union of the pixel sets).</summary>
    public static List<RleRun> Union(IEnumerable<RleRun> runs)
    {
        var sorted = runs.ToList();
        sorted.Sort((a, b) => a.Start.CompareTo(b.Start));
        var merged = new List<RleRun>(sorted.Count);
        foreach (var r in sorted)
        {
            if (merged.Count > 0 && r.Start <= merged[^1].End)
            {
                var last = merged[^1];
                if (r.End > last.End) merged[^1] = new RleRun(last.Start, r.End - last.Start);
            }
            else merged.Add(r);
        }
        return merged;
    }
}
