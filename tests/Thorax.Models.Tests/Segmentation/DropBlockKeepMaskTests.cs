using Thorax.Models.Segmentation;
using Thorax.Models.Tests.Support;
using F = TorchSharp.torch.nn.functional;

namespace Thorax.Models.Tests.Segmentation;

/// <summary>
/// The DropBlock keep mask: the managed CPU path (seeds stamped into a buffer), libtorch's pooling formulation and a
/// loop-by-loop reference written here from the definition (seeds in the valid region, b x b squares, rescale by
/// numel / kept) give the same values; the geometric seed draw has the Bernoulli rate and independence.
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
    public void ManagedPath_EqualsPoolingFormulation_AndTheDefinition(int bs, double gamma)
    {
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator((ulong)(100 + bs));
        const int n = 2, c = 3, h = 20, w = 17;
        var u = torch.rand(new long[] { n, c, h, w }, generator: g);
        var managed = Golden.Floats(DropBlockMask.FromUniform(u, gamma, bs, composite: false));
        var pooled = Golden.Floats(DropBlockMask.FromUniform(u, gamma, bs, composite: true));
        var reference = Reference(Golden.Floats(u), n, c, h, w, gamma, bs);
        Assert.Equal(reference, managed);
        Assert.Equal(reference, pooled);
    }

    [Fact]
    public void ManagedPath_Float64_EqualsPoolingFormulation()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(7);
        var u = torch.rand(new long[] { 3, 2, 31, 29 }, ScalarType.Float64, generator: g);
        var managed = DropBlockMask.FromUniform(u, 0.02, 7, composite: false);
        var pooled = DropBlockMask.FromUniform(u, 0.02, 7, composite: true);
        Assert.Equal(ScalarType.Float64, managed.dtype);
        Assert.Equal(pooled.data<double>().ToArray(), managed.data<double>().ToArray());
        Assert.Contains(0.0, managed.data<double>().ToArray());
    }

    [Fact]
    public void OtherDtypes_UseThePoolingFormulation_InTheInputsDtype()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(3);
        var x = torch.ones(new long[] { 2, 2, 16, 16 }, ScalarType.BFloat16);
        var mask = DropBlockMask.KeepMask(x, 0.05, 3, g);
        Assert.Equal(ScalarType.BFloat16, mask.dtype);
        var values = Golden.Floats(mask);
        Assert.Contains(0f, values);
        var kept = values.Count(v => v != 0);
        Assert.All(values.Where(v => v != 0), v => Assert.Equal(values.Length / (double)kept, v, values.Length / (double)kept * 1e-2)); // bfloat16 scale
    }

    [Fact]
    public void KeepMask_IsReproducibleFromTheGenerator_RescalesToNumel_AndHasNoHistory()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.ones(new long[] { 2, 4, 24, 24 }).requires_grad_();
        using var g1 = new torch.Generator(5);
        using var g2 = new torch.Generator(5);
        using var g3 = new torch.Generator(6);
        var mask = DropBlockMask.KeepMask(x, 0.03, 5, g1);
        Assert.Equal(Golden.Floats(mask), Golden.Floats(DropBlockMask.KeepMask(x, 0.03, 5, g2)));
        Assert.NotEqual(Golden.Floats(mask), Golden.Floats(DropBlockMask.KeepMask(x, 0.03, 5, g3)));
        Assert.False(mask.requires_grad);
        Assert.Equal(x.numel(), mask.sum().item<float>(), 1.0);
        Assert.Contains(0f, Golden.Floats(mask));
    }

    [Fact]
    public void KeepMask_WithoutGenerator_FollowsTheGlobalSeed()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.ones(new long[] { 1, 2, 20, 20 });
        torch.manual_seed(9);
        var a = Golden.Floats(DropBlockMask.KeepMask(x, 0.05, 3, null));
        torch.manual_seed(9);
        var b = Golden.Floats(DropBlockMask.KeepMask(x, 0.05, 3, null));
        Assert.Equal(a, b);
    }

    [Fact]
    public void GeometricSeeds_AreIndependentBernoulliDraws()
    {
        // Block 1: the mask is the seed map itself over the whole plane. Dropped count ~ Binomial(65536, 0.1)
        // (sd 76.8); neighbouring pairs are both dropped at rate gamma^2 when the draws are independent.
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(11);
        const double gamma = 0.1;
        var m = Golden.Floats(DropBlockMask.KeepMask(torch.ones(new long[] { 4, 4, 64, 64 }), gamma, 1, g));
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
        Assert.All(Golden.Floats(DropBlockMask.KeepMask(torch.ones(new long[] { 2, 1, 3, 3 }), 1.0, 1, g)), v => Assert.Equal(0f, v));
        Assert.All(Golden.Floats(DropBlockMask.KeepMask(torch.ones(new long[] { 2, 1, 3, 3 }), 0.0, 1, g)), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void BadShapesAndGamma_AreReportedByName()
    {
        using var scope = torch.NewDisposeScope();
        var e1 = Assert.Throws<ArgumentException>(() => DropBlockMask.KeepMask(torch.ones(new long[] { 4, 8, 8 }), 0.1, 3, null));
        Assert.Contains("(N, C, H, W)", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => DropBlockMask.KeepMask(torch.ones(new long[] { 1, 1, 5, 40 }), 0.1, 7, null));
        Assert.Contains("smaller than the block", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => DropBlockMask.KeepMask(torch.ones(new long[] { 1, 1, 8, 8 }), 1.5, 3, null));
        Assert.Equal("gamma", e3.ParamName);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(4)]
    public void SeparableMaxFilter_UsedForTheBlockMask_EqualsTheSquareFilter(int k)
    {
        // The pooling formulation builds its block mask with a 1 x k then a k x 1 max pool; this is the identity it relies on.
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(11);
        var seeds = torch.rand(new long[] { 2, 3, 40, 33 }, generator: g).lt(0.05).to_type(ScalarType.Float32);
        var square = F.max_pool2d(seeds, k, 1);
        var separable = F.max_pool2d(F.max_pool2d(seeds, new long[] { 1, k }, new long[] { 1, 1 }), new long[] { k, 1 }, new long[] { 1, 1 });
        Assert.Equal(Golden.Floats(square), Golden.Floats(separable));
    }
}
