using Thorax.Models.GdVig;
using Thorax.Models.Vig;
using Thorax.Pipelines.GdVig;

namespace Thorax.Pipelines.Tests.GdVig;

/// <summary>The node-neighbourhood figure (<see cref="GdVigGraphFigure"/>): the neighbours it reports and draws are the
/// model's own KNN indices, with and without gaze.</summary>
public sealed class GdVigGraphFigureTests
{
    private static GdVigPixels Study(int size)
    {
        var rng = new Random(3);
        var img = new byte[size * size];
        var gaze = new byte[size * size];
        for (var i = 0; i < img.Length; i++) img[i] = (byte)rng.Next(256);
        for (var y = 0; y < size; y++)
            for (var x = 0; x < size; x++)
                gaze[y * size + x] = (byte)(x < size / 3 && y < size / 2 ? 255 - 3 * (x + y) % 200 : 10);
        return new GdVigPixels(size, size, img, gaze);
    }

    [Fact]
    public void Neighbours_AreTheModelsKnn_AndAreWhatIsDrawn()
    {
        TorchSharp.torch.manual_seed(21);
        var o = GdVigOptions.Reduced(GdVigVariant.SiimAcr, [8, 16, 32, 64], [1, 1, 1, 1], 96, gazeLambda: 1);
        using var net = GdVigNetwork.Create(GdVigModelKind.GdVigTrueGaze, GdVigVariant.SiimAcr, o);
        var px = Study(96);
        var fig = GdVigGraphFigure.Compute(net, px, 20, 30, 3.0);
        Assert.Equal(1.0, net.Classifier.GazeLambda); // restored
        Assert.Equal([3.0, 0.0], fig.Rows.Select(r => r.Lambda));
        Assert.Equal((20, 30), (fig.NetX, fig.NetY));

        // the model's KNN, traced independently (eval mode, as the figure) at each lambda on the same input and gaze
        net.Module.eval();
        var input = GdVigInputs.Test(px, 96);
        var x = GdVigInputs.Stack([input.Image], 96);
        var g = GdVigInputs.Stack([input.Gaze!], 96);
        foreach (var row in fig.Rows)
        {
            net.Classifier.GazeLambda = row.Lambda;
            var graphs = new List<VigGraph>();
            using (TorchSharp.torch.no_grad()) net.Trace(x, g, graphs);
            Assert.Equal(4, row.Blocks.Count);
            for (var b = 0; b < 4; b++)
            {
                var gr = graphs[b];
                var blk = row.Blocks[b];
                Assert.Equal((30 * gr.Height / 96, 20 * gr.Width / 96), (blk.Row, blk.Col));
                Assert.Equal(gr.Of(0, blk.Row * gr.Width + blk.Col).ToArray(), blk.Neighbours);
            }
        }
        net.Classifier.GazeLambda = 1;
        Assert.NotEqual(fig.Rows[0].Blocks[0].Neighbours, fig.Rows[1].Blocks[0].Neighbours); // the gaze moves them

        // drawn: every neighbour's key cell is tinted yellow, every other key cell outside the node's cell is grey
        const int scale = 2;
        var png = fig.Render(scale);
        var p = 96 * scale;
        Assert.Equal(5 * p + 4 * GdVigGraphFigure.Gap, png.Width);
        Assert.Equal(2 * p + GdVigGraphFigure.Gap, png.Height);
        for (var r = 0; r < 2; r++)
            for (var b = 0; b < 4; b++)
            {
                var blk = fig.Rows[r].Blocks[b];
                var gr = blk.Graph;
                var (qx0, qy0, qx1, qy1) = GdVigGraphFigure.Cell(blk.Row, blk.Col, gr.Height, gr.Width, p);
                int ox = (b + 1) * (p + GdVigGraphFigure.Gap), oy = r * (p + GdVigGraphFigure.Gap);
                for (var j = 0; j < gr.KeyHeight * gr.KeyWidth; j++)
                {
                    var (x0, y0, x1, y1) = GdVigGraphFigure.Cell(j / gr.KeyWidth, j % gr.KeyWidth, gr.KeyHeight, gr.KeyWidth, p);
                    // a pixel of the key cell outside the node's cell
                    (int X, int Y)? probe = null;
                    for (var yy = y0; yy < y1 && probe is null; yy++)
                        for (var xx = x0; xx < x1; xx++)
                            if (xx < qx0 || xx >= qx1 || yy < qy0 || yy >= qy1) { probe = (xx, yy); break; }
                    if (probe is not { } pr) continue;
                    int R = png[ox + pr.X, oy + pr.Y, 0], G = png[ox + pr.X, oy + pr.Y, 1], B = png[ox + pr.X, oy + pr.Y, 2];
                    if (blk.Neighbours.Contains(j)) Assert.True(R - B > 100 && G - B > 90, $"row {r} block {b}: neighbour key {j} not tinted ({R},{G},{B})");
                    else Assert.True(R == G && G == B, $"row {r} block {b}: key {j} is not a neighbour but tinted ({R},{G},{B})");
                }
            }
    }

    [Fact]
    public void BadInput_Named()
    {
        TorchSharp.torch.manual_seed(22);
        var o = GdVigOptions.Reduced(GdVigVariant.SiimAcr, [8, 16, 32, 64], [1, 1, 1, 1], 96);
        using var vig = GdVigNetwork.Create(GdVigModelKind.Vig, GdVigVariant.SiimAcr, o);
        var px = Study(96);
        Assert.Contains("outside the 96x96 image", Assert.Throws<ArgumentException>(() => GdVigGraphFigure.Compute(vig, px, 96, 0, 1)).Message);
        Assert.Contains("--gaze", Assert.Throws<ArgumentException>(() => GdVigGraphFigure.Compute(vig, px, 5, 5, 1)).Message);
        Assert.Contains("positive", Assert.Throws<ArgumentException>(() => GdVigGraphFigure.Compute(vig, px, 5, 5, 0)).Message);
        // a plain ViG directed by a given gaze map: same classifier weights, both rows drawn
        var fig = GdVigGraphFigure.Compute(vig, px, 5, 5, 2, GdVigInputs.Test(px, 96).Gaze);
        Assert.Equal(2, fig.Rows.Count);
        Assert.Equal(0.0, vig.Classifier.GazeLambda);
    }
}
