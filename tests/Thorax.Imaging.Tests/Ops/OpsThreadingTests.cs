using Thorax.Imaging.Ops;

namespace Thorax.Imaging.Tests.Ops;

/// <summary>
/// The row-parallel operations on <see cref="RowBands"/> give the same values whatever
/// <see cref="OpsThreading.MaxThreads"/> is: every output element is computed by the same arithmetic, only the
/// distribution of rows (or tiles) over threads changes. Image sizes are chosen so that the budgets above 1 really
/// split the work into several bands (checked against <see cref="RowBands.MinRows"/>).
/// </summary>
public class OpsThreadingTests
{
    private static readonly int[] Budgets = [4, 3, 2];

    /// <summary>Runs <paramref name="op"/> with one thread, then with each budget in <see cref="Budgets"/>, and
    /// asserts identical outputs; restores the budget afterwards.</summary>
    private static void AssertSameForAnyBudget<T>(Func<T[]> op, string what) where T : unmanaged, IEquatable<T>
    {
        int saved = OpsThreading.MaxThreads;
        try
        {
            OpsThreading.MaxThreads = 1;
            var one = op();
            foreach (int threads in Budgets)
            {
                OpsThreading.MaxThreads = threads;
                var many = op();
                Assert.Equal(one.Length, many.Length);
                int at = Mismatch(one, many);
                Assert.True(at < 0, $"{what}: {threads} threads differ from 1 thread at element {at}");
            }
        }
        finally { OpsThreading.MaxThreads = saved; }
    }

    private static int Mismatch<T>(T[] a, T[] b) where T : IEquatable<T>
    {
        for (int i = 0; i < a.Length; i++) if (!a[i].Equals(b[i])) return i;
        return -1;
    }

    /// <summary>Asserts that <see cref="RowBands.Run"/> over <paramref name="rows"/> with this per-row cost splits into
    /// more than one band at a budget of 4 (the same arithmetic as RowBands.Run).</summary>
    private static void AssertSplits(int rows, long opsPerRow, string what)
    {
        int bands = Math.Min(4, rows / RowBands.MinRows(opsPerRow));
        Assert.True(bands > 1, $"{what}: {rows} rows of {opsPerRow} ops give {bands} band(s) at 4 threads");
    }

    private static Image<float> RandomFloat(int w, int h, int cn, int seed)
    {
        var rng = new Random(seed);
        var img = new Image<float>(w, h, cn);
        for (int i = 0; i < img.Data.Length; i++) img.Data[i] = (float)rng.NextDouble() * 255f;
        return img;
    }

    private static Image<byte> RandomByte(int w, int h, int cn, int seed)
    {
        var rng = new Random(seed);
        var img = new Image<byte>(w, h, cn);
        rng.NextBytes(img.Data);
        return img;
    }

    [Fact]
    public void GaussianBlur_SameForAnyThreadBudget()
    {
        // 2048x1536 so that the transpose (blocks of 32 rows, 32 * cols ops each) splits too.
        const int w = 2048, h = 1536;
        const double sigma = 2.0;
        int r = Gaussian.Kernel(sigma).Length / 2;
        Assert.True(r > 0);
        AssertSplits(h, (long)w * (r + 1), "row pass");
        AssertSplits(w, (long)h * (r + 1), "column pass");
        AssertSplits(h / 32, 32L * w, "transpose");
        AssertSplits(w / 32, 32L * h, "transpose back");
        var src = RandomFloat(w, h, 1, 1);
        AssertSameForAnyBudget(() => Gaussian.Blur(src, sigma).Data, "Blur sigma 2");
        AssertSameForAnyBudget(() => Gaussian.Blur(src, 1.5, 3.0, BorderMode.Constant, constant: 7f).Data, "Blur anisotropic constant");
        AssertSameForAnyBudget(() => Gaussian.CvBlur(src, 7, 5, 1.2, 0.9).Data, "CvBlur float");
        var rgb = RandomFloat(640, 1200, 3, 2);
        AssertSameForAnyBudget(() => Gaussian.Blur(rgb, 1.0).Data, "Blur 3 channels");
    }

    [Fact]
    public void Morphology_SameForAnyThreadBudget()
    {
        const int w = 1024, h = 768;
        var rect = StructuringElement.Create(MorphShape.Rectangle, 7, 7);
        var ellipse = StructuringElement.Create(MorphShape.Ellipse, 9, 5);
        AssertSplits(h, Math.Max(1, (long)w * rect.Offsets().Length / 8), "rect 7x7");
        AssertSplits(h, Math.Max(1, (long)w * ellipse.Offsets().Length / 8), "ellipse 9x5");
        var u8 = RandomByte(w, h, 1, 3);
        var f32 = RandomFloat(w, h, 1, 4);
        var u8c3 = RandomByte(w, h, 3, 5);
        foreach (var (name, se) in new[] { ("rect", rect), ("ellipse", ellipse) })
        {
            AssertSameForAnyBudget(() => Morphology.Erode(u8, se).Data, $"erode u8 {name}");
            AssertSameForAnyBudget(() => Morphology.Dilate(u8, se).Data, $"dilate u8 {name}");
            AssertSameForAnyBudget(() => Morphology.Erode(f32, se).Data, $"erode f32 {name}");
            AssertSameForAnyBudget(() => Morphology.Dilate(f32, se).Data, $"dilate f32 {name}");
            AssertSameForAnyBudget(() => Morphology.Open(u8c3, se).Data, $"open u8c3 {name}");
        }
    }

    [Fact]
    public void WarpAffine_SameForAnyThreadBudget()
    {
        const int w = 1024, h = 768;
        AssertSplits(h, 8L * w, "warp 1 channel");
        var m = AffineTransform.Rotation(w / 2.0, h / 2.0, 17.5, 1.1);
        var u8 = RandomByte(w, h, 1, 6);
        var u8c3 = RandomByte(w, h, 3, 7);
        var f32 = RandomFloat(w, h, 1, 8);
        AssertSameForAnyBudget(() => Warp.Affine(u8, m, w, h).Data, "u8 linear constant");
        AssertSameForAnyBudget(() => Warp.Affine(u8, m, w, h, Interpolation.Nearest, BorderMode.Reflect101).Data, "u8 nearest reflect101");
        AssertSameForAnyBudget(() => Warp.Affine(u8c3, m, w, h, Interpolation.Linear, BorderMode.Replicate).Data, "u8c3 linear replicate");
        AssertSameForAnyBudget(() => Warp.Affine(f32, m, w, h, Interpolation.Linear, BorderMode.Reflect, 3.0).Data, "f32 linear reflect");
        AssertSameForAnyBudget(() => Warp.Affine(f32, m, w, h, Interpolation.Linear, BorderMode.Constant, 3.0).Data, "f32 linear constant");
    }

    [Fact]
    public void Clahe16_SameForAnyThreadBudget()
    {
        // Not a multiple of the grid, so the padded (reflect-101) tiles are exercised too.
        const int w = 1000, h = 750;
        var g = ClaheGeometry.Create(w, h, 8, 8, 40.0, 65536);
        AssertSplits(64, (long)g.TileWidth * g.TileHeight + 65536, "tile histograms");
        AssertSplits(h, 8L * w, "interpolation");
        var rng = new Random(9);
        var src = new Image<ushort>(w, h);
        for (int i = 0; i < src.Data.Length; i++) src.Data[i] = (ushort)rng.Next(4096);
        AssertSameForAnyBudget(() => Histogram.Clahe(src).Data, "clahe u16 clip 40");
        AssertSameForAnyBudget(() => Histogram.Clahe(src, 2.0, 8, 8).Data, "clahe u16 clip 2");
        AssertSameForAnyBudget(() => Histogram.Clahe(src, 0, 8, 8).Data, "clahe u16 no clip");
        // A coarser grid with fewer tiles than bands still gives the same values.
        AssertSameForAnyBudget(() => Histogram.Clahe(src, 40.0, 3, 2).Data, "clahe u16 3x2 tiles");
    }

    [Fact]
    public void ResizeAntiAliased_SameForAnyThreadBudget()
    {
        AssertSplits(600, 8L * 800, "800x600 output");
        AssertSplits(500, 8L * 400 * 3, "400x500 3-channel output");
        var src = RandomFloat(1024, 768, 1, 10);
        AssertSameForAnyBudget(() => Resampling.ResizeAntiAliased(src, 800, 600).Data, "down 1024x768 -> 800x600");
        AssertSameForAnyBudget(() => Resampling.ResizeAntiAliased(src, 1500, 1100).Data, "up 1024x768 -> 1500x1100");
        var rgb = RandomFloat(1200, 1000, 3, 11);
        AssertSameForAnyBudget(() => Resampling.ResizeAntiAliased(rgb, 400, 500).Data, "down 3 channels");
    }
}
