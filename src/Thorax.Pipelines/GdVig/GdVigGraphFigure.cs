using System.Text.Json.Nodes;
using Thorax.Imaging;
using Thorax.Models.GdVig;
using Thorax.Models.Vig;
using static TorchSharp.torch;

namespace Thorax.Pipelines.GdVig;

/// <summary>The chosen node of one block's graph and its neighbours.</summary>
/// <param name="Graph">The block's whole graph (sample 0).</param>
/// <param name="Row">The node's row on the block's node grid.</param>
/// <param name="Col">The node's column.</param>
/// <param name="Neighbours">Its k neighbours: indices into the key grid (row-major), in the model's order.</param>
public sealed record GdVigNodeNeighbours(VigGraph Graph, int Row, int Col, long[] Neighbours);

/// <summary>One forward's neighbourhoods (one per block) at a given gaze weight.</summary>
/// <param name="Lambda">The classifier's gaze lambda for this forward (0: the plain feature graph).</param>
/// <param name="Blocks">Per block, in order.</param>
public sealed record GdVigGraphRow(double Lambda, IReadOnlyList<GdVigNodeNeighbours> Blocks);

/// <summary>
/// The KNN neighbourhood of one node in every block of a GD-ViG classifier, with the gaze (lambda &gt; 0) and without
/// (lambda 0, the same weights), as the model builds it (<see cref="GazeDirectedVig.ClassifyWithFeatures"/> records
/// every block's graph), like the paper's figure of node neighbourhoods; rendered as one PNG: a row per lambda, the
/// first column the image (with the directing gaze map as a JET overlay in the gaze row), then one panel per block with
/// the chosen node's cell outlined in red and its neighbours' key cells filled in yellow.
/// </summary>
public sealed record GdVigGraphFigure(int Size, int X, int Y, int NetX, int NetY, Image<byte> Image, float[]? Gaze, IReadOnlyList<GdVigGraphRow> Rows)
{
    /// <summary>
    /// Runs the classifier twice on the study (test transform): directed by <paramref name="gaze"/> (or the network's own
    /// directing gaze: the generator's prediction for GD-ViG) at <paramref name="lambda"/>, then at lambda 0.
    /// </summary>
    /// <param name="net">The network (its classifier's lambda is restored afterwards).</param>
    /// <param name="pixels">The image (and its gaze map, needed for a GD-ViG on the true gaze without <paramref name="gaze"/>).</param>
    /// <param name="x">The node's column in the image's pixels.</param>
    /// <param name="y">The node's row in the image's pixels.</param>
    /// <param name="lambda">Gaze weight of the gaze row (&gt; 0).</param>
    /// <param name="gaze">A gaze map [S*S] in [0, 1] at the network size to direct the graph instead of the network's own.</param>
    /// <exception cref="ArgumentException">The node is outside the image, lambda is not positive, or there is no gaze to direct the graph.</exception>
    public static GdVigGraphFigure Compute(GdVigNetwork net, GdVigPixels pixels, int x, int y, double lambda, float[]? gaze = null)
    {
        if (x < 0 || y < 0 || x >= pixels.Width || y >= pixels.Height)
            throw new ArgumentException($"node {x},{y} is outside the {pixels.Width}x{pixels.Height} image");
        if (!(lambda > 0) || !double.IsFinite(lambda)) throw new ArgumentException($"lambda must be positive for the gaze row, got {lambda}");
        var size = net.Size;
        var input = GdVigInputs.Test(pixels, size);
        int nx = (int)((long)x * size / pixels.Width), ny = (int)((long)y * size / pixels.Height);
        var classifier = net.Classifier;
        var saved = classifier.GazeLambda;
        var wasTraining = net.Module.training;
        net.Module.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var image = GdVigInputs.Stack([input.Image], size);
            Tensor? g;
            if (gaze is not null)
            {
                if (gaze.Length != size * size) throw new ArgumentException($"gaze map has {gaze.Length} values, not {size}x{size}", nameof(gaze));
                g = GdVigInputs.Stack([gaze], size);
            }
            else if (net.Kind == GdVigModelKind.Vig)
                throw new ArgumentException("a plain ViG run has no gaze of its own; give a gaze map (--gaze) to direct its graph");
            else if (net.Kind == GdVigModelKind.GdVigTrueGaze)
                g = input.Gaze is { } tg ? GdVigInputs.Stack([tg], size) : throw new ArgumentException("GD-ViG on the true gaze needs the image's gaze map (--gaze)");
            else
                g = net.DirectingGaze(image);
            var directing = g!.reshape(-1).to_type(ScalarType.Float32).cpu().data<float>().ToArray();
            var rows = new List<GdVigGraphRow>();
            foreach (var l in new[] { lambda, 0.0 })
            {
                classifier.GazeLambda = l;
                var graphs = new List<VigGraph>();
                net.Trace(image, g, graphs);
                rows.Add(new GdVigGraphRow(l, graphs.Select(gr =>
                {
                    int r = ny * gr.Height / size, c = nx * gr.Width / size;
                    return new GdVigNodeNeighbours(gr, r, c, gr.Of(0, r * gr.Width + c).ToArray());
                }).ToList()));
            }
            return new GdVigGraphFigure(size, x, y, nx, ny, GdVigInputs.Thumbnail(pixels, size), directing, rows);
        }
        finally
        {
            classifier.GazeLambda = saved;
            if (wasTraining) net.Module.train();
        }
    }

    /// <summary>Pixels between panels.</summary>
    public const int Gap = 4;

    /// <summary>The figure as an RGB image: panels of <see cref="Size"/>·<paramref name="scale"/> pixels, <see cref="Gap"/> apart.</summary>
    public Image<byte> Render(int scale)
    {
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale));
        var p = Size * scale;
        var cols = 1 + Rows.Max(r => r.Blocks.Count);
        int w = cols * p + (cols - 1) * Gap, h = Rows.Count * p + (Rows.Count - 1) * Gap;
        var canvas = new Image<byte>(w, h, 3);
        canvas.Pixels.Fill(255);
        var grey = Image;
        var gazeOverlay = Gaze is null ? null : GdVigReport.Overlay(grey, Gaze);
        for (var ri = 0; ri < Rows.Count; ri++)
        {
            var oy = ri * (p + Gap);
            Blit(canvas, ri == 0 && gazeOverlay is not null ? gazeOverlay : grey, 0, oy, scale);
            for (var bi = 0; bi < Rows[ri].Blocks.Count; bi++)
            {
                var b = Rows[ri].Blocks[bi];
                var ox = (bi + 1) * (p + Gap);
                Blit(canvas, grey, ox, oy, scale);
                var g = b.Graph;
                foreach (var j in b.Neighbours)
                {
                    int kr = (int)(j / g.KeyWidth), kc = (int)(j % g.KeyWidth);
                    var (x0, y0, x1, y1) = Cell(kr, kc, g.KeyHeight, g.KeyWidth, p);
                    Fill(canvas, ox + x0, oy + y0, ox + x1, oy + y1, (255, 220, 0), 0.45);
                }
                var (qx0, qy0, qx1, qy1) = Cell(b.Row, b.Col, g.Height, g.Width, p);
                Fill(canvas, ox + qx0, oy + qy0, ox + qx1, oy + qy1, (230, 0, 0), 0.35);
                Outline(canvas, ox + qx0, oy + qy0, ox + qx1, oy + qy1, (230, 0, 0), Math.Max(1, scale));
            }
        }
        return canvas;
    }

    /// <summary>The pixel box [x0, x1) x [y0, y1) of cell (row, col) of a rows x cols grid on a panel of side p.</summary>
    public static (int X0, int Y0, int X1, int Y1) Cell(int row, int col, int rows, int cols, int p) =>
        (col * p / cols, row * p / rows, (col + 1) * p / cols, (row + 1) * p / rows);

    private static void Blit(Image<byte> canvas, Image<byte> src, int ox, int oy, int scale)
    {
        var c = canvas.Pixels;
        var s = src.Pixels;
        var ch = src.Channels;
        for (var y = 0; y < src.Height * scale; y++)
            for (var x = 0; x < src.Width * scale; x++)
            {
                var si = ((y / scale) * src.Width + x / scale) * ch;
                var di = ((oy + y) * canvas.Width + ox + x) * 3;
                c[di] = s[si];
                c[di + 1] = s[ch == 3 ? si + 1 : si];
                c[di + 2] = s[ch == 3 ? si + 2 : si];
            }
    }

    private static void Fill(Image<byte> canvas, int x0, int y0, int x1, int y1, (int R, int G, int B) colour, double alpha)
    {
        var c = canvas.Pixels;
        for (var y = y0; y < y1; y++)
            for (var x = x0; x < x1; x++)
            {
                var i = (y * canvas.Width + x) * 3;
                c[i] = (byte)Math.Round((1 - alpha) * c[i] + alpha * colour.R);
                c[i + 1] = (byte)Math.Round((1 - alpha) * c[i + 1] + alpha * colour.G);
                c[i + 2] = (byte)Math.Round((1 - alpha) * c[i + 2] + alpha * colour.B);
            }
    }

    private static void Outline(Image<byte> canvas, int x0, int y0, int x1, int y1, (int R, int G, int B) colour, int t)
    {
        var c = canvas.Pixels;
        for (var y = y0; y < y1; y++)
            for (var x = x0; x < x1; x++)
            {
                if (x >= x0 + t && x < x1 - t && y >= y0 + t && y < y1 - t) continue;
                var i = (y * canvas.Width + x) * 3;
                (c[i], c[i + 1], c[i + 2]) = ((byte)colour.R, (byte)colour.G, (byte)colour.B);
            }
    }

    /// <summary>The <c>--json</c> object: the node, and per row (lambda) and block the node's grid cell and its neighbours.</summary>
    public JsonObject ToJson(string file, string output)
    {
        var rows = new JsonArray();
        foreach (var r in Rows)
        {
            var blocks = new JsonArray();
            foreach (var b in r.Blocks)
            {
                var g = b.Graph;
                blocks.Add(new JsonObject
                {
                    ["stage"] = g.Stage, ["block"] = g.Block, ["k"] = g.K, ["dilation"] = g.Dilation,
                    ["grid"] = new JsonArray(g.Height, g.Width), ["key_grid"] = new JsonArray(g.KeyHeight, g.KeyWidth),
                    ["node"] = new JsonArray(b.Row, b.Col),
                    ["neighbours"] = new JsonArray(b.Neighbours.Select(j => (JsonNode?)j).ToArray()),
                    ["neighbour_cells"] = new JsonArray(b.Neighbours.Select(j => (JsonNode?)new JsonArray((int)(j / g.KeyWidth), (int)(j % g.KeyWidth))).ToArray()),
                });
            }
            rows.Add(new JsonObject { ["lambda"] = r.Lambda, ["blocks"] = blocks });
        }
        var shared = Rows.Count == 2
            ? Rows[0].Blocks.Zip(Rows[1].Blocks, (a, b) => (JsonNode?)a.Neighbours.Intersect(b.Neighbours).Count()).ToArray()
            : [];
        return new JsonObject
        {
            ["file"] = file, ["x"] = X, ["y"] = Y, ["size"] = Size, ["node_x"] = NetX, ["node_y"] = NetY,
            ["rows"] = rows, ["neighbours_shared"] = new JsonArray(shared), ["out"] = output, ["version"] = 1,
        };
    }
}
