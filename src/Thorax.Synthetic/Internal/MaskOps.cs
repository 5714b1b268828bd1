using System.Runtime.CompilerServices;

namespace Thorax.Synthetic.Internal;

/// <summary>Connected-component helpers for 0/255 masks (4-connectivity), working on horizontal runs with a
/// union-find over runs, so the cost is proportional to the number of runs rather than pixels.</summary>
internal static class MaskOps
{
    /// <summary>Clears every component except the largest one (by pixel count; the first in raster order on
    /// ties), in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot pixel loop, called a few times per study
    public static void KeepLargestComponent(byte[] mask, int width, int height)
    {
        var runs = Runs(mask, width, height, out var rowStart);
        int n = Resolve(runs, rowStart, height, out var root);
        if (n <= 1) return;
        var size = new long[runs.Count];
        for (int r = 0; r < runs.Count; r++) size[root[r]] += runs[r].X1 - runs[r].X0;
        int best = -1;
        for (int r = 0; r < runs.Count; r++)
            if (root[r] == r && (best < 0 || size[r] > size[best])) best = r;
        for (int r = 0; r < runs.Count; r++)
        {
            if (root[r] == best) continue;
            var (y, x0, x1) = runs[r];
            mask.AsSpan(y * width + x0, x1 - x0).Clear();
        }
    }

    /// <summary>Maximal runs [X0, X1) of non-zero pixels, row by row; rowStart[y] is the first run of row y
    /// (rowStart[height] = run count).</summary>
    private static List<(int Y, int X0, int X1)> Runs(ReadOnlySpan<byte> mask, int width, int height, out int[] rowStart)
    {
        var runs = new List<(int, int, int)>();
        rowStart = new int[height + 1];
        for (int y = 0; y < height; y++)
        {
            rowStart[y] = runs.Count;
            var row = mask.Slice(y * width, width);
            int x = 0;
            while (x < width)
            {
                int off = row[x..].IndexOfAnyExcept((byte)0);
                if (off < 0) break;
                int start = x + off;
                int len = row[start..].IndexOf((byte)0);
                int end = len < 0 ? width : start + len;
                runs.Add((y, start, end));
                x = end;
            }
        }
        rowStart[height] = runs.Count;
        return runs;
    }

    /// <summary>Unions runs that overlap a run of the previous row; root[r] is the smallest run index of r's
    /// component. Returns the number of components.</summary>
    private static int Resolve(List<(int Y, int X0, int X1)> runs, int[] rowStart, int height, out int[] root)
    {
        var parent = new int[runs.Count];
        for (int r = 0; r < parent.Length; r++) parent[r] = r;
        for (int y = 1; y < height; y++)
        {
            int p = rowStart[y - 1], pEnd = rowStart[y];
            for (int r = rowStart[y]; r < rowStart[y + 1]; r++)
            {
                var (_, x0, x1) = runs[r];
                while (p < pEnd && runs[p].X1 <= x0) p++;
                for (int q = p; q < pEnd && runs[q].X0 < x1; q++) Union(parent, r, q);
            }
        }
        int n = 0;
        root = new int[runs.Count];
        for (int r = 0; r < runs.Count; r++)
        {
            root[r] = Find(parent, r);
            if (root[r] == r) n++;
        }
        return n;
    }

    private static int Find(int[] parent, int a)
    {
        while (parent[a] != a)
        {
            parent[a] = parent[parent[a]];
            a = parent[a];
        }
        return a;
    }

    private static void Union(int[] parent, int a, int b)
    {
        a = Find(parent, a);
        b = Find(parent, b);
        if (a == b) return;
        if (a < b) parent[b] = a; else parent[a] = b;
    }
}
