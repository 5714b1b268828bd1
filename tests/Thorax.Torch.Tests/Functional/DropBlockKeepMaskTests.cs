using F = Thorax.Functional;

namespace Thorax.TorchTests.Functional;

/// <summary>
/// The DropBlock keep mask: the native CPU kernel, libtorch's pooling formulation and a loop-by-loop reference written
/// here from the definition (seeds in the valid region, b x b squares, rescale by numel / kept) give the same values.
/// </summary>
public class DropBlockKeepMaskTests
{
    /// <summary>The definition, element by element: dropped if a seed lies within rows/cols [p - (b-1-(b-1)/2), p + (b-1)/2].</summary>
    private static float[] Reference(float[] u, int n, int c, int h, int w, double gamma, int bs)
    {
        int half = bs / 2, before = (bs - 1) / 2, after = bs - 1 - before;
        var dropped = new bool[u.Length];
        for (var p = 0; p < n * c; p++)
            for (var i = half; i < h - half; i++)
                for (var j = half; j < w - half; j++)
                {
                    if (!(u[p * h * w + i * w + j] < (float)gamma)) continue;
                    for (var r = Math.Max(0, i - after); r <= Math.Min(h - 1, i + before); r++)
                        for (var q = Math.Max(0, j - after); q <= Math.Min(w - 1, j + before); q++) dropped[p * h * w + r * w + q] = true;
                }
        var kept = dropped.Count(d => !d);
        var scale = 1f / Math.Max(1, kept) * u.Length;
        return dropped.Select(d => d ? 0f : scale).ToArray();
    }

    [Theory]
    [InlineData(1, 0.05)]
    [InlineData(3, 0.02)]
    [InlineData(4, 0.05)]
    [InlineData(7, 0.01)]
    [InlineData(7, 0.3)]
    [InlineData(5, 0.0)]
    [InlineData(3, 1.0)]
    public void NativeKernel_EqualsPoolingFormulation_AndTheDefinition(int bs, double gamma)
    {
        using var scope = Torch.NewScope();
        using var g = new Generator(100 + bs);
        const int n = 2, c = 3, h = 20, w = 17;
        var u = Torch.Rand(new long[] { n, c, h, w }, g);
        var native = F.DropBlockKeepMaskFromUniform(u, gamma, bs, composite: false).ToArray<float>();
        var pooled = F.DropBlockKeepMaskFromUniform(u, gamma, bs, composite: true).ToArray<float>();
        var reference = Reference(u.ToArray<float>(), n, c, h, w, gamma, bs);
        Assert.Equal(reference, native);
        Assert.Equal(reference, pooled);
    }

    [Fact]
    public void NativeKernel_Float64_EqualsPoolingFormulation()
    {
        using var scope = Torch.NewScope();
        using var g = new Generator(7);
        var u = Torch.Rand(new long[] { 3, 2, 31, 29 }, g, DType.Float64);
        var native = F.DropBlockKeepMaskFromUniform(u, 0.02, 7, composite: false);
        var pooled = F.DropBlockKeepMaskFromUniform(u, 0.02, 7, composite: true);
        Assert.Equal(DType.Float64, native.DType);
        Assert.Equal(pooled.ToArray<double>(), native.ToArray<double>());
        Assert.Contains(0.0, native.ToArray<double>());
    }

    [Fact]
    public void KeepMask_IsReproducibleFromTheGenerator_RescalesToNumel_AndHasNoHistory()
    {
        using var scope = Torch.NewScope();
        var x = Torch.Ones(new long[] { 2, 4, 24, 24 }).RequiresGrad_();
        using var g1 = new Generator(5);
        using var g2 = new Generator(5);
        using var g3 = new Generator(6);
        var mask = F.DropBlockKeepMask(x, 0.03, 5, g1);
        Assert.Equal(mask.ToArray<float>(), F.DropBlockKeepMask(x, 0.03, 5, g2).ToArray<float>());
        Assert.NotEqual(mask.ToArray<float>(), F.DropBlockKeepMask(x, 0.03, 5, g3).ToArray<float>());
        Assert.False(mask.RequiresGrad);
        Assert.Equal(x.NumEl, mask.Sum().Item(), 1.0);
        Assert.Contains(0f, mask.ToArray<float>());
    }

    [Fact]
    public void GeometricSeeds_AreIndependentBernoulliDraws()
    {
        // Block 1: the mask is the seed map itself over the whole plane. Dropped count ~ Binomial(65536, 0.1)
        // (sd 76.8); neighbouring pairs are both dropped at rate gamma^2 when the draws are independent.
        using var scope = Torch.NewScope();
        using var g = new Generator(11);
        const double gamma = 0.1;
        var m = F.DropBlockKeepMask(Torch.Ones(new long[] { 4, 4, 64, 64 }), gamma, 1, g).ToArray<float>();
        var dropped = m.Select(v => v == 0f).ToArray();
        var n = dropped.Count(d => d);
        Assert.InRange(n, 65536 * gamma - 5 * 76.8, 65536 * gamma + 5 * 76.8);
        int pairs = 0, both = 0;
        for (var k = 0; k + 1 < dropped.Length; k++)
        {
            if ((k + 1) % 64 == 0) continue;
            pairs++;
            if (dropped[k] && dropped[k + 1]) both++;
        }
        var sd = Math.Sqrt(pairs * gamma * gamma * (1 - gamma * gamma));
        Assert.InRange(both, pairs * gamma * gamma - 5 * sd, pairs * gamma * gamma + 5 * sd);
        // gamma 1 seeds every position (first and last included): everything is dropped; gamma 0 drops nothing.
        Assert.All(F.DropBlockKeepMask(Torch.Ones(new long[] { 2, 1, 3, 3 }), 1.0, 1, g).ToArray<float>(), v => Assert.Equal(0f, v));
        Assert.All(F.DropBlockKeepMask(Torch.Ones(new long[] { 2, 1, 3, 3 }), 0.0, 1, g).ToArray<float>(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void BadShapes_AreReportedByName()
    {
        using var scope = Torch.NewScope();
        var e1 = Assert.Throws<TorchException>(() => F.DropBlockKeepMask(Torch.Ones(new long[] { 4, 8, 8 }), 0.1, 3));
        Assert.Contains("(N, C, H, W)", e1.Message);
        var e2 = Assert.Throws<TorchException>(() => F.DropBlockKeepMask(Torch.Ones(new long[] { 1, 1, 5, 40 }), 0.1, 7));
        Assert.Contains("smaller than the block", e2.Message);
    }
}
