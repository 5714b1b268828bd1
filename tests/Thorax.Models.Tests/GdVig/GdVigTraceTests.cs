using Thorax.Models.GdVig;
using Thorax.Models.Saliency;
using Thorax.Models.Tests.Support;
using Thorax.Models.Vig;
using TorchSharp.Modules;

namespace Thorax.Models.Tests.GdVig;

/// <summary>The classifier's traced forward (<see cref="GazeDirectedVig.ClassifyWithFeatures"/>): the KNN graphs it
/// records are the ones its blocks use, the logits are those of <see cref="GazeDirectedVig.Classify"/>, and Grad-CAM runs
/// on its last stage.</summary>
public class GdVigTraceTests
{
    private static nn.Module Child(nn.Module m, string name) => m.named_children().First(c => c.name == name).module;

    [Fact]
    public void RecordedGraphs_AreTheBlocksKnn_AndLogitsUnchanged()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var o = GdVigOptions.Reduced(GdVigVariant.SiimAcr, [8, 16, 32, 64], [1, 1, 1, 1], 96, gazeLambda: 3);
        using var vig = new GazeDirectedVig(o);
        vig.eval();
        var x = randn(2, 1, 96, 96).mul(0.01);
        var gaze = rand(2, 1, 96, 96);
        using var noGrad = no_grad();
        var graphs = new List<VigGraph>();
        var (logits, last) = vig.ClassifyWithFeatures(x, gaze, graphs);
        Assert.Equal(Golden.Floats(vig.Classify(x, gaze)), Golden.Floats(logits));
        Assert.Equal(new long[] { 2, 64, 3, 3 }, last.shape);

        // one graph per block: grids 24/12/6/3 with keys pooled by 4, 2, 1, 1
        Assert.Equal(4, graphs.Count);
        Assert.Equal([0, 1, 2, 3], graphs.Select(g => g.Stage));
        Assert.Equal([24, 12, 6, 3], graphs.Select(g => g.Height));
        Assert.Equal([6, 6, 6, 3], graphs.Select(g => g.KeyHeight));
        Assert.All(graphs, g => Assert.Equal(2 * g.Nodes * 9, g.Indices.Length));

        // block 0 by hand: stem + pos_embed, fc1, keys average-pooled by 4, gaze max-pooled by 4 (and by 4 again for keys)
        var block = (VigBlock)((ModuleList<nn.Module<Tensor, Tensor>>)Child(vig, "backbone"))[0];
        var x0 = ((nn.Module<Tensor, Tensor>)Child(vig, "stem")).call(x.repeat(1, 3, 1, 1)).add(vig.get_parameter("pos_embed")!);
        var y = ((Sequential)Child(block.Grapher, "fc1")).call(x0);
        var keys = nn.functional.avg_pool2d(y, 4, 4);
        var g0 = nn.functional.max_pool2d(gaze, 4, 4);
        var gk = nn.functional.max_pool2d(g0, 4, 4);
        var idx = VigKnn.Neighbours(y.reshape(2, 8, -1), keys.reshape(2, 8, -1), 9, 1, null, g0.reshape(2, -1), gk.reshape(2, -1), 3);
        Assert.Equal(idx.data<long>().ToArray(), graphs[0].Indices);

        // without gaze (lambda 0) the first graph differs for this gaze map
        vig.GazeLambda = 0;
        var plain = new List<VigGraph>();
        vig.ClassifyWithFeatures(x, gaze, plain);
        Assert.NotEqual(graphs[0].Indices, plain[0].Indices);
    }

    [Fact]
    public void GradCam_OnTheLastStage_IsNonNegativeAndFinite()
    {
        using var scope = NewDisposeScope();
        manual_seed(12);
        var o = GdVigOptions.Reduced(GdVigVariant.SiimAcr, [8, 16, 32, 64], [1, 1, 1, 1], 96);
        using var vig = new GazeDirectedVig(o);
        vig.eval();
        var x = randn(2, 1, 96, 96).mul(0.01);
        var gaze = rand(2, 1, 96, 96);
        using var cam = GradCam.Compute(t => vig.ClassifyWithFeatures(t, gaze), x, [1L, 1L]);
        Assert.Equal(new long[] { 2, 3, 3 }, cam.Cam.shape);
        var v = Golden.Floats(cam.Cam);
        Assert.All(v, f => Assert.True(float.IsFinite(f) && f >= 0));
        using var noGrad = no_grad();
        Assert.Equal(Golden.Floats(vig.Classify(x, gaze)), Golden.Floats(cam.Logits));
        Assert.Throws<InvalidOperationException>(() => GradCam.Compute(t => (vig.Classify(t, gaze), vig.ClassifyWithFeatures(t, gaze).LastStage.detach()), x));
    }
}
