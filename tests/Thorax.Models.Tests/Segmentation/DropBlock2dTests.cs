using FsCheck;
using FsCheck.Fluent;
using Thorax.Models.Segmentation;
using Thorax.Models.Tests.Support;

namespace Thorax.Models.Tests.Segmentation;

public class DropBlock2dTests
{
    /// <summary>Exact expected dropped fraction: position q is kept iff none of the valid seeds whose block covers it fired.</summary>
    private static double ExpectedDropFraction(DropBlock2d layer, int h, int w)
    {
        var bs = layer.BlockSize;
        int half = bs / 2, before = (bs - 1) / 2, after = bs - 1 - before;
        var gamma = layer.Gamma(h, w);
        static int Covering(int q, int n, int half, int before, int after) =>
            Math.Max(0, Math.Min(n - 1 - half, q + before) - Math.Max(half, q - after) + 1);
        double kept = 0;
        for (var r = 0; r < h; r++)
            for (var c = 0; c < w; c++)
                kept += Math.Pow(1 - gamma, Covering(r, h, half, before, after) * Covering(c, w, half, before, after));
        return 1 - kept / (h * w);
    }

    [Fact]
    public void Gamma_MatchesTheSaUNetFormula()
    {
        var layer = new DropBlock2d(7, 0.9);
        Assert.Equal(0.1 / 49 * 1024.0 / (26 * 26), layer.Gamma(32, 32), 12);
        Assert.Equal(0.1 / 49 * (40.0 * 28) / (34 * 22), layer.Gamma(40, 28), 12);
        Assert.Equal(0, layer.Gamma(6, 100));
        Assert.Equal(0, new DropBlock2d(4, 0.9).Gamma(4, 100)); // even block: rows 2..1 hold no valid seed
        Assert.True(new DropBlock2d(4, 0.9).Gamma(5, 100) > 0);
    }

    [Theory]
    [InlineData(7, 0.9)]
    [InlineData(7, 0.82)]
    [InlineData(3, 0.7)]
    public void Forward_Training_DropsTheExpectedFractionAndPreservesTheSum(int blockSize, double keepProb)
    {
        using var scope = torch.NewDisposeScope();
        using var gen = new torch.Generator(1234);
        var layer = new DropBlock2d(blockSize, keepProb, gen);
        var x = torch.ones(8, 16, 64, 64);
        var y = layer.call(x);
        var values = Golden.Floats(y);
        var dropped = values.Count(v => v == 0) / (double)values.Length;
        var expected = ExpectedDropFraction(layer, 64, 64);
        Assert.InRange(dropped, expected - 0.015, expected + 0.015);
        Assert.InRange(expected, (1 - keepProb) * 0.7, (1 - keepProb) * 1.2); // the formula aims at 1 - keep_prob
        Assert.Equal(values.Length, values.Sum(v => (double)v), values.Length * 1e-5);
        var scale = values.First(v => v != 0);
        Assert.Equal(1 / (1 - dropped), scale, 1e-4); // absolute tolerance (decimal rounding can split nearby values)
    }

    [Fact]
    public void Forward_Training_EveryDroppedPixelLiesInAZeroBlockInsideTheMap()
    {
        using var scope = torch.NewDisposeScope();
        using var gen = new torch.Generator(7);
        const int bs = 5, h = 20, w = 17;
        var layer = new DropBlock2d(bs, 0.75, gen);
        var y = Golden.Floats(layer.call(torch.ones(2, 3, h, w)));
        var zeros = 0;
        for (var m = 0; m < 6; m++)
        {
            var map = y.AsSpan(m * h * w, h * w).ToArray();
            bool ZeroBlockAt(int pr, int pc)
            {
                for (var r = pr - bs / 2; r <= pr + bs / 2; r++)
                    for (var c = pc - bs / 2; c <= pc + bs / 2; c++)
                        if (map[r * w + c] != 0) return false;
                return true;
            }
            for (var r = 0; r < h; r++)
            {
                for (var c = 0; c < w; c++)
                {
                    if (map[r * w + c] != 0) continue;
                    zeros++;
                    var found = false;
                    for (var pr = Math.Max(bs / 2, r - bs / 2); pr <= Math.Min(h - 1 - bs / 2, r + bs / 2) && !found; pr++)
                        for (var pc = Math.Max(bs / 2, c - bs / 2); pc <= Math.Min(w - 1 - bs / 2, c + bs / 2) && !found; pc++)
                            found = ZeroBlockAt(pr, pc);
                    Assert.True(found, $"map {m} pixel ({r}, {c}) is zero outside any {bs}x{bs} dropped block");
                }
            }
        }
        Assert.True(zeros > 0, "seed 7 should drop something");
    }

    [Fact]
    public void Forward_Eval_IsTheIdentity()
    {
        using var scope = torch.NewDisposeScope();
        var layer = new DropBlock2d(7, 0.5);
        layer.eval();
        var x = torch.randn(2, 3, 32, 32);
        SegmentationGolden.AssertClose(x, layer.call(x), "eval", 0, 0);
    }

    [Fact]
    public void Forward_Training_KeepProbOneOrMapSmallerThanBlock_IsTheIdentity()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(2, 3, 32, 32);
        SegmentationGolden.AssertClose(x, new DropBlock2d(7, 1.0).call(x), "keep 1", 0, 0);
        var small = torch.randn(2, 3, 6, 40);
        SegmentationGolden.AssertClose(small, new DropBlock2d(7, 0.5).call(small), "6 rows < block 7", 0, 0);
    }

    [Fact]
    public void Forward_SameGeneratorSeed_SameMask_DifferentSeed_DifferentMask()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.ones(1, 4, 32, 32);
        float[] Run(long seed)
        {
            using var g = new torch.Generator((ulong)seed);
            return Golden.Floats(new DropBlock2d(7, 0.8, g).call(x));
        }
        Assert.Equal(Run(42), Run(42));
        Assert.NotEqual(Run(42), Run(43));
    }

    [Fact]
    public void Forward_Training_OutputIsInputTimesAScaledBinaryMask_Property()
    {
        Prop.ForAll(Gen.Choose(1, 9).ToArbitrary(), Gen.Choose(1, 40).ToArbitrary(), Gen.Choose(1, 40).ToArbitrary(), (bs, h, w) =>
        {
            using var scope = torch.NewDisposeScope();
            using var g = new torch.Generator((ulong)(h * 100 + w));
            var x = torch.rand(new long[] { 2, 2, h, w }, generator: g).add(0.5);
            var y = new DropBlock2d(bs, 0.8, g).call(x);
            var ratio = Golden.Floats(y.div(x));
            var nonzero = ratio.Where(r => r != 0).ToArray();
            // One common scale numel / kept for every kept element.
            var expectedScale = nonzero.Length == 0 ? 0 : ratio.Length / (double)nonzero.Length;
            return nonzero.All(r => Math.Abs(r - expectedScale) <= 1e-4 * expectedScale);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Constructor_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DropBlock2d(0, 0.9));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DropBlock2d(7, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DropBlock2d(7, 1.1));
    }
}
