using Thorax.Imaging.Ops;

namespace Thorax.Imaging.Tests.Ops;

/// <summary>
/// Connected components split into row bands (the parallel path) against the one-band scan and against the per-pixel
/// reference: identical labels (same numbering), counts and statistics for any number of bands, with components that
/// cross band boundaries straight, diagonally only, or join two separate pieces of a band below.
/// </summary>
public class ConnectedComponentsBandTests
{
    private static readonly Connectivity[] Both = [Connectivity.Four, Connectivity.Eight];

    private static void AssertSame(ComponentLabels expected, ComponentLabels actual, string what)
    {
        Assert.True(expected.Count == actual.Count, $"{what}: count {actual.Count}, expected {expected.Count}");
        Assert.True(expected.Labels.Data.AsSpan().SequenceEqual(actual.Labels.Data), $"{what}: labels differ at {Mismatch(expected.Labels.Data, actual.Labels.Data)}");
        for (int k = 0; k < expected.Count; k++)
            Assert.True(expected.Stats[k] == actual.Stats[k], $"{what}: stats[{k}] {actual.Stats[k]}, expected {expected.Stats[k]}");
    }

    private static int Mismatch(int[] a, int[] b)
    {
        for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) return i;
        return -1;
    }

    /// <summary>Every band count from 1 to the row count (capped) equals the reference labelling.</summary>
    private static void CheckAllBands(Image<byte> mask, string what, int maxBands = 9)
    {
        foreach (var conn in Both)
        {
            var (labels, stats) = FastPathReferenceTests.Reference.Label(mask, conn);
            var one = ConnectedComponents.Label(mask, conn, 1);
            Assert.Equal(stats.Length, one.Count);
            Assert.True(labels.AsSpan().SequenceEqual(one.Labels.Data), $"{what} {conn} 1 band: labels differ from the reference at {Mismatch(labels, one.Labels.Data)}");
            for (int k = 0; k < stats.Length; k++) Assert.Equal(stats[k], one.Stats[k]);
            var bandCounts = Enumerable.Range(2, Math.Max(0, Math.Min(maxBands, mask.Height) - 1)).Append(mask.Height).Distinct();
            foreach (int bands in bandCounts)
                AssertSame(one, ConnectedComponents.Label(mask, conn, bands), $"{what} {conn} {bands} bands");
        }
    }

    private static Image<byte> RandomMask(int w, int h, double density, int blobs, int seed)
    {
        var rng = new Random(seed);
        var mask = new Image<byte>(w, h);
        for (int i = 0; i < mask.Data.Length; i++) mask.Data[i] = rng.NextDouble() < density ? (byte)rng.Next(1, 256) : (byte)0;
        for (int b = 0; b < blobs; b++)
        {
            int x0 = rng.Next(w), y0 = rng.Next(h), bw = rng.Next(1, 12), bh = rng.Next(1, 12);
            byte v = rng.Next(4) == 0 ? (byte)0 : (byte)255;
            for (int y = y0; y < Math.Min(h, y0 + bh); y++)
                for (int x = x0; x < Math.Min(w, x0 + bw); x++) mask[x, y] = v;
        }
        return mask;
    }

    [Fact]
    public void Bands_RandomMasks_EqualOneBandAndReference()
    {
        int[] widths = [1, 2, 3, 7, 63, 64, 65, 100, 128, 130];
        int[] heights = [1, 2, 3, 4, 9, 17, 40];
        double[] densities = [0.05, 0.3, 0.5, 0.7, 0.95];
        int seed = 0;
        foreach (int w in widths)
            foreach (int h in heights)
                foreach (double d in densities)
                {
                    seed++;
                    CheckAllBands(RandomMask(w, h, d, w * h / 40, seed), $"{w}x{h} density {d} seed {seed}");
                }
    }

    [Fact]
    public void Bands_EmptyAndFullMasks()
    {
        foreach (var (w, h) in new[] { (1, 1), (1, 9), (9, 1), (64, 5), (65, 33), (130, 17) })
        {
            var empty = new Image<byte>(w, h);
            CheckAllBands(empty, $"empty {w}x{h}");
            var full = new Image<byte>(w, h);
            full.Pixels.Fill(1);
            CheckAllBands(full, $"full {w}x{h}");
            foreach (var conn in Both)
            {
                var e = ConnectedComponents.Label(empty, conn, 3);
                Assert.Equal(1, e.Count);
                Assert.Equal(new ComponentStats(0, 0, w, h, w * h, (w - 1) / 2.0, (h - 1) / 2.0), e.Stats[0]);
                var f = ConnectedComponents.Label(full, conn, 3);
                Assert.Equal(2, f.Count);
                Assert.Equal(new ComponentStats(0, 0, 0, 0, 0, double.NaN, double.NaN), f.Stats[0]);
                Assert.Equal(new ComponentStats(0, 0, w, h, w * h, (w - 1) / 2.0, (h - 1) / 2.0), f.Stats[1]);
            }
        }
    }

    [Fact]
    public void Bands_DiagonalChainsCrossBoundariesOnlyWithEight()
    {
        // A diagonal staircase and an anti-diagonal one: one component each with 8-connectivity, one per pixel with 4,
        // whatever rows the band boundaries fall between.
        var mask = new Image<byte>(40, 40);
        for (int i = 0; i < 40; i++)
        {
            mask[i, i] = 255;
            if (39 - i != i && 39 - i != i + 1 && 39 - i != i - 1) mask[39 - i, i] = 255;
        }
        CheckAllBands(mask, "diagonals", 40);
        foreach (int bands in new[] { 1, 2, 5, 40 })
            Assert.Equal(79, ConnectedComponents.Label(mask, Connectivity.Four, bands).Count);
    }

    [Fact]
    public void Bands_ComponentsJoinedOnlyInALowerBand()
    {
        // Comb: teeth start at the top (each its own label in every upper band) and meet in a bar on the last row, so
        // the join happens in the bottom band only and must renumber all upper bands' labels. A second comb hangs from
        // a top bar, and a spiral winds through every band.
        int w = 61, h = 30;
        var mask = new Image<byte>(w, h);
        for (int x = 0; x < 30; x += 2)
            for (int y = 0; y < h; y++) mask[x, y] = 1;
        for (int x = 0; x < 30; x++) mask[x, h - 1] = 1;
        for (int x = 32; x < w; x += 3)
            for (int y = 0; y < h - 2; y++) mask[x, y] = 1;
        for (int x = 32; x < w; x++) mask[x, 0] = 1;
        CheckAllBands(mask, "combs", 30);
        foreach (var conn in Both)
            Assert.Equal(3, ConnectedComponents.Label(mask, conn, 7).Count);

        var spiral = new Image<byte>(41, 41);
        int x0 = 0, y0 = 0, x1 = 40, y1 = 40;
        while (x0 <= x1 && y0 <= y1)
        {
            for (int x = x0; x <= x1; x++) spiral[x, y0] = 1;
            for (int y = y0; y <= y1; y++) spiral[x1, y] = 1;
            for (int x = x0; x <= x1; x++) spiral[x, y1] = 1;
            for (int y = y0 + 2; y <= y1; y++) spiral[x0, y] = 1;
            if (y0 + 2 <= y1) spiral[x0 + 1, y0 + 2] = 1;
            x0 += 2; y0 += 2; x1 -= 2; y1 -= 2;
        }
        CheckAllBands(spiral, "spiral", 41);
    }

    [Fact]
    public void Bands_LargeMasks_EqualOneBand()
    {
        // Larger than the automatic band threshold: the bench's block mask, noise, and the bench mask at odd sizes.
        var masks = new List<(string, Image<byte>)>
        {
            ("blocks 1024x1024", Blocks(1024, 1024, 8)),
            ("blocks 999x517", Blocks(999, 517, 5)),
            ("noise 700x600", RandomMask(700, 600, 0.45, 0, 1)),
            ("blobs 1030x300", RandomMask(1030, 300, 0.02, 5000, 2)),
        };
        foreach (var (what, mask) in masks)
            foreach (var conn in Both)
            {
                var one = ConnectedComponents.Label(mask, conn, 1);
                foreach (int bands in new[] { 2, 3, 4, 16 })
                    AssertSame(one, ConnectedComponents.Label(mask, conn, bands), $"{what} {conn} {bands} bands");
                // More bands than threads: bands are taken in turn by the threads.
                foreach (var (bands, threads) in new[] { (4, 2), (8, 2), (7, 3) })
                    AssertSame(one, ConnectedComponents.Label(mask, conn, bands, threads), $"{what} {conn} {bands} bands on {threads} threads");
                AssertSame(one, ConnectedComponents.Label(mask, conn), $"{what} {conn} automatic bands");
            }
    }

    [Fact]
    public void Bands_OneColumnAndOneRow()
    {
        var rng = new Random(5);
        foreach (int n in new[] { 1, 2, 63, 64, 65, 200, 1000 })
        {
            var col = new Image<byte>(1, n);
            var row = new Image<byte>(n, 1);
            for (int i = 0; i < n; i++) col.Data[i] = row.Data[i] = rng.Next(3) == 0 ? (byte)0 : (byte)7;
            CheckAllBands(col, $"column {n}", 12);
            CheckAllBands(row, $"row {n}");
        }
    }

    /// <summary>The bench's mask: cell x cell blocks switched on by an integer hash of the block index.</summary>
    private static Image<byte> Blocks(int w, int h, int cell)
    {
        var mask = new Image<byte>(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                mask[x, y] = (((long)(x / cell) * 73856093) ^ ((long)(y / cell) * 19349663)) % 7 < 3 ? (byte)255 : (byte)0;
        return mask;
    }
}
