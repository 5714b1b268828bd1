using System.CommandLine;
using System.Globalization;
using Thorax.Imaging.Codecs;
using Thorax.Models.Runtime;
using Thorax.Pipelines.GdVig;
using Thorax.Training;

namespace Thorax.Cli.Commands;

/// <summary><c>thorax gdvig graph</c>: one node's KNN neighbourhood in every block of a GD-ViG classifier, with the gaze
/// and without (lambda 0, the same weights), drawn on the image.</summary>
internal static class GdVigGraphCommand
{
    public static Command Create()
    {
        var run = new Option<string?>("--run") { Description = "Run folder of gdvig train." };
        var weights = new Option<string?>("--weights") { Description = "Or: an authors' checkpoint, with --variant (published widths, 224 px)." };
        var variant = new Option<string?>("--variant") { Description = "egdcxr or siim (with --weights)." };
        var image = new Option<string>("--image") { Description = "8-bit grey PNG/JPEG or DICOM.", Required = true };
        var node = new Option<string>("--node") { Description = "The node as x,y in the image's pixels.", Required = true };
        var lambda = new Option<double?>("--lambda") { Description = "Gaze lambda of the gaze row (default: the model's, or 1 for a model trained without gaze)." };
        var gaze = new Option<string?>("--gaze") { Description = "A gaze map (8-bit grey PNG, the image's size) to direct the graph instead of the model's own (GD-ViG: its generator's map); required for vig runs." };
        var output = new Option<string>("--out") { Description = "PNG to write: row 1 with gaze, row 2 without; column 1 the image (gaze overlay in row 1), then one panel per block: the node's cell in red, its neighbours' key cells in yellow.", Required = true };
        var scale = new Option<int?>("--scale") { Description = "Pixels per network pixel in the panels (default: panels of at least 256 px)." };
        var json = new Option<bool>("--json") { Description = "Print the node and, per lambda and block, its grid cell and neighbours as JSON." };
        var deviceOpt = DeviceOption.Create();
        var cmd = new Command("graph", "One node's KNN neighbours in every block of the classifier, with gaze (lambda > 0) and without (lambda 0, the same weights), drawn on the image (the model's own graphs).")
            { run, weights, variant, image, node, lambda, gaze, output, scale, json, deviceOpt };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var dev = DeviceOption.Parse(r, deviceOpt);
            var parts = r.GetValue(node)!.Split(',');
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var x) || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var y))
                throw new ArgumentException($"--node: expected x,y in pixels, got '{r.GetValue(node)}'");
            TorchRuntime.EnsureLoaded();
            GdVigNetwork net;
            if (r.GetValue(run) is { } runDir)
            {
                if (r.GetValue(weights) is not null) throw new ArgumentException("give --run or --weights, not both");
                net = GdVigNetwork.LoadRun(runDir, dev);
            }
            else if (r.GetValue(weights) is { } w)
                net = GdVigNetwork.LoadPublished(w, GdVigPredictor.ParseVariant(r.GetValue(variant) ?? throw new ArgumentException("--weights needs --variant (egdcxr or siim)")), dev);
            else throw new ArgumentException("give --run RUN (a gdvig train folder) or --weights FILE --variant V");
            using (net)
            {
                var file = r.GetValue(image)!;
                var img = GdVigPredictor.ReadGrey8(file);
                byte[]? g = null;
                if (r.GetValue(gaze) is { } gp)
                {
                    var gm = GdVigPredictor.ReadGrey8(gp);
                    if (gm.Width != img.Width || gm.Height != img.Height)
                        throw new ArgumentException($"{gp}: the gaze map is {gm.Width}x{gm.Height}, the image {file} {img.Width}x{img.Height}");
                    g = gm.Pixels.ToArray();
                }
                var pixels = new GdVigPixels(img.Width, img.Height, img.Pixels.ToArray(), g);
                var l = r.GetValue(lambda) ?? (net.Options.GazeLambda > 0 ? net.Options.GazeLambda : 1.0);
                var given = g is null ? null : GdVigInputs.Test(pixels, net.Size).Gaze;
                var fig = GdVigGraphFigure.Compute(net, pixels, x, y, l, given);
                var s = r.GetValue(scale) ?? Math.Max(1, (256 + net.Size - 1) / net.Size);
                if (s is < 1 or > 16) throw new ArgumentException($"--scale must be in [1, 16], got {s}");
                var outPath = Path.GetFullPath(r.GetValue(output)!);
                Directory.CreateDirectory(Path.GetDirectoryName(outPath)!);
                RunFiles.WriteBytes(outPath, Png.Encode(fig.Render(s)));
                if (r.GetValue(json))
                {
                    CliJson.PrintJson(fig.ToJson(file, outPath).ToJsonString());
                    return 0;
                }
                Console.WriteLine($"node ({x}, {y}) of {file} = ({fig.NetX}, {fig.NetY}) at {fig.Size} px");
                for (var b = 0; b < fig.Rows[0].Blocks.Count; b++)
                {
                    var a = fig.Rows[0].Blocks[b];
                    var z = fig.Rows[1].Blocks[b];
                    Console.WriteLine($"  block {b} (stage {a.Graph.Stage}, {a.Graph.Height}x{a.Graph.Width} nodes, {a.Graph.KeyHeight}x{a.Graph.KeyWidth} keys): " +
                                      $"lambda {l:G3}: [{string.Join(", ", a.Neighbours)}]; lambda 0: [{string.Join(", ", z.Neighbours)}]; shared {a.Neighbours.Intersect(z.Neighbours).Count()} of {a.Neighbours.Length}");
                }
                Console.WriteLine($"figure: {outPath}");
                return 0;
            }
        }));
        return cmd;
    }
}
