using Thorax.Models.Vig;
using static TorchSharp.torch;

namespace Thorax.Models.Tests.Vig;

/// <summary>The CPU KNN kernel against the tensor formulation it replaces (the reference's dense distance + topk);
/// the switch is process-wide, but both paths give the same graphs, so tests running beside these are unaffected.</summary>
public class VigKnnTests
{
    private static long[] Graph(bool kernel, Tensor x, Tensor? y, int k, int d, Tensor? rel = null, Tensor? gx = null, Tensor? gy = null, double lambda = 1.0)
    {
        var before = VigKnn.UseKernel;
        try
        {
            VigKnn.UseKernel = kernel;
            using var idx = VigKnn.Neighbours(x, y, k, d, rel, gx, gy, lambda);
            Assert.Equal(ScalarType.Int64, idx.dtype);
            Assert.Equal(new[] { x.shape[0], x.shape[2], (long)k }, idx.shape);
            return idx.data<long>().ToArray();
        }
        finally
        {
            VigKnn.UseKernel = before;
        }
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Kernel_GivesTheTensorFormulationsNeighbours_PooledSelfGazeRelativeDilation(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(5);
        // GD-ViG's stage-1 shape at batch 2 (56x56 nodes, keys avg-pooled by 4), stage 3 (self keys, dilation 3), and a
        // width that is not a multiple of the SIMD width (tail loop); gaze with a zero region (ReLU'd maps have many).
        foreach (var (c, side, r, dil) in new[] { (48, 56, 4, 1), (24, 14, 1, 3), (8, 7, 1, 2) })
        {
            var x = randn(new long[] { 2, c, side, side }, generator: g).to(dtype);
            var gz = rand(new long[] { 2, 1, side, side }, generator: g).sub(0.3).clamp_min(0).to(dtype);
            Tensor? y = null, gy = null;
            if (r > 1)
            {
                y = nn.functional.avg_pool2d(x, r, r).reshape(2, c, -1);
                gy = nn.functional.max_pool2d(gz, r, r).reshape(2, -1);
            }
            var nodes = x.reshape(2, c, -1);
            var gx = gz.reshape(2, -1);
            long n = nodes.shape[2], m = y?.shape[2] ?? n;
            var rel = randn(new long[] { 1, n, m }, generator: g).mul(0.1).to(dtype);
            Assert.Equal(Graph(false, nodes, y, 9, dil), Graph(true, nodes, y, 9, dil));
            Assert.Equal(Graph(false, nodes, y, 9, dil, gx: gx, gy: gy), Graph(true, nodes, y, 9, dil, gx: gx, gy: gy));
            Assert.Equal(Graph(false, nodes, y, 9, dil, gx: gx, gy: gy, lambda: 3.0), Graph(true, nodes, y, 9, dil, gx: gx, gy: gy, lambda: 3.0));
            Assert.Equal(Graph(false, nodes, y, 9, dil, rel: rel), Graph(true, nodes, y, 9, dil, rel: rel));
        }
    }

    [Fact]
    public void Kernel_NearestIsSelf_OrderIsAscendingDistance_ConstantGazeIsFeatureGraph()
    {
        using var scope = NewDisposeScope();
        // points on a circle at increasing angles: the neighbours of node 0 are 0, 1, 2, ... in order of angle
        var a = Enumerable.Range(0, 8).Select(i => 0.1 * i * i).ToArray();
        var x = tensor(a.Select(Math.Cos).Concat(a.Select(Math.Sin)).Select(v => (float)v).ToArray()).view(1, 2, 8);
        Assert.Equal(new long[] { 0, 1, 2, 3 }, Graph(true, x, null, 4, 1).Take(4).ToArray());
        Assert.Equal(new long[] { 0, 2 }, Graph(true, x, null, 2, 2).Take(2).ToArray());
        var constant = full(1, 8, 0.7f);
        Assert.Equal(Graph(true, x, null, 3, 1), Graph(true, x, null, 3, 1, gx: constant));
    }
}
