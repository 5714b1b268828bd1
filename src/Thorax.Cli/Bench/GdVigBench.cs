using Thorax.Training.Optim;
using Thorax.Models.GdVig;
using Thorax.Models.Inference;
using Thorax.Models.Runtime;
using Thorax.Models.Vig;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Thorax.Cli.Bench;

/// <summary>
/// <c>thorax bench gdvig</c>: GD-ViG (<see cref="GdVigModel"/>, EGD-CXR variant, 224 px) in Thorax and the authors'
/// GAViG in PyTorch (tools/bench/gdvig_bench.py, which imports their code from the local mirror as the goldens do), same
/// threads: eval inference under <c>torch.inference_mode()</c> at batch 8; one training step at batch 8 (CE on the
/// logits + MSE of the predicted gaze map, backward, AdamW 1e-4 / 0.01: the authors' engine and Thorax's trainer); and
/// the KNN graph construction alone (<see cref="VigKnn"/> vs the authors' <c>DenseDilatedKnnGraph</c>) on random node
/// features of every block's shape: the first block of each stage in its gaze-directed form, and all graphs of one
/// backbone in the gaze-directed (GDC) and plain (GMG) forms; last, Thorax's inference after <c>FuseForInference()</c>
/// (its PyTorch column is the peer's plain eval inference). Random weights on both sides; medians in milliseconds.
/// <c>--quick</c> is a smoke run (reduced widths, one block per stage, 96 px, batch 2) that the authors' fixed-width
/// model cannot mirror, so it has no PyTorch column.
/// </summary>
internal static class GdVigBench
{
    public const int K = 9;

    /// <summary>The published EGD-CXR configuration at batch 8, or the quick smoke configuration.</summary>
    public static (GdVigOptions Options, int Batch) Settings(bool quick) => quick
        ? (GdVigOptions.Reduced(GdVigVariant.EgdCxr, [8, 16, 24, 32], [1, 1, 1, 1], 96), 2)
        : (GdVigOptions.For(GdVigVariant.EgdCxr), 8);

    /// <summary>One Grapher's graph: stage (0-based), global block index, channels, node side, key reduce ratio, dilation.</summary>
    public sealed record KnnBlock(int Stage, int Index, int Channels, int Side, int Reduce, int Dilation)
    {
        public int Nodes => Side * Side;
        public int Keys => Reduce > 1 ? (Side / Reduce) * (Side / Reduce) : Nodes;
    }

    /// <summary>Every block's graph, as Thorax's pyramid backbone (and the authors' ViG_Gaze) lay them out.</summary>
    public static List<KnnBlock> Blocks(GdVigOptions o)
    {
        var list = new List<KnnBlock>();
        int side = o.ImageSize / 4, idx = 0;
        for (var s = 0; s < 4; s++)
        {
            if (s > 0) side /= 2;
            for (var j = 0; j < o.Blocks[s]; j++, idx++)
                list.Add(new KnnBlock(s, idx, o.Channels[s], side, PyramidVigOptions.ReduceRatios[s], idx / 4 + 1));
        }
        return list;
    }

    public static string StageCase(KnnBlock b, int batch) => $"knn gaze stage{b.Stage + 1} b{batch} {b.Nodes}x{b.Keys} c{b.Channels} k{K}x{b.Dilation}";

    public static string AllCase(string form, int blocks, int batch) => $"knn {form} all {blocks} graphs b{batch}";

    public static string ModelCase(string what, int batch, int size) => $"gdvig {what} b{batch} {size}px";

    /// <summary>Thorax's inference after <see cref="Thorax.Models.Inference.ModuleFusion.FuseForInference{T}"/> (what
    /// <c>gdvig predict</c> and <c>evaluate</c> run); its PyTorch column is the peer's plain eval inference.</summary>
    public static string FusedCase(int batch, int size) => $"gdvig infer fused b{batch} {size}px";

    /// <summary>Runs the cases (Thorax, then the PyTorch peer in its own process) and pairs them by name.</summary>
    /// <param name="quick">The smoke configuration (no peer).</param>
    /// <param name="repeats">Timed repetitions per case (median), after one warm-up call.</param>
    /// <param name="withPeer">Run tools/bench/gdvig_bench.py with /usr/bin/python3 when it has torch.</param>
    /// <param name="log">Progress lines.</param>
    /// <param name="only">Substrings: run only the cases whose name contains one (all when empty).</param>
    public static List<BenchResult> Run(bool quick, int repeats, bool withPeer, Action<string> log, IReadOnlyList<string>? only = null)
    {
        bool Wanted(string c) => only is null || only.Count == 0 || only.Any(o => c.Contains(o, StringComparison.Ordinal));
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(0);
        var (o, batch) = Settings(quick);
        var rows = new List<(string Case, double Ms)>();

        // The graph construction alone: inputs made (and pooled) outside the timed region, as on the PyTorch side.
        var blocks = Blocks(o);
        using (var inputs = torch.NewDisposeScope())
        {
            var g = new Generator(1);
            var data = blocks.Select(b =>
            {
                var x = torch.randn(new long[] { batch, b.Channels, b.Side, b.Side }, generator: g);
                var gz = torch.rand(new long[] { batch, 1, b.Side, b.Side }, generator: g);
                Tensor? y = null, gy = null;
                if (b.Reduce > 1)
                {
                    y = F.avg_pool2d(x, b.Reduce, b.Reduce).reshape(batch, b.Channels, -1);
                    gy = F.max_pool2d(gz, b.Reduce, b.Reduce).reshape(batch, -1);
                }
                return (X: x.reshape(batch, b.Channels, -1), Y: y, G: gz.reshape(batch, -1), GY: gy);
            }).ToList();
            void Graph(int i, bool gaze)
            {
                using var scope = torch.NewDisposeScope();
                var d = data[i];
                VigKnn.Neighbours(d.X, d.Y, K, blocks[i].Dilation, gazeX: gaze ? d.G : null, gazeY: gaze ? d.GY : null);
            }
            foreach (var b in blocks.GroupBy(b => b.Stage).Select(s => s.First()).Where(b => Wanted(StageCase(b, batch))))
            {
                log($"Thorax  {StageCase(b, batch)} ...");
                rows.Add((StageCase(b, batch), Timing.MedianMs(() => Graph(b.Index, true), 1, repeats)));
            }
            foreach (var (form, gaze) in new[] { ("gaze", true), ("plain", false) }.Where(f => Wanted(AllCase(f.Item1, blocks.Count, batch))))
            {
                log($"Thorax  {AllCase(form, blocks.Count, batch)} ...");
                rows.Add((AllCase(form, blocks.Count, batch), Timing.MedianMs(() =>
                {
                    for (var i = 0; i < blocks.Count; i++) Graph(i, gaze);
                }, 1, repeats)));
            }
        }

        // The whole model: inference and one training step.
        var (infer, train, fusedInfer) = (ModelCase("infer", batch, o.ImageSize), ModelCase("train", batch, o.ImageSize), FusedCase(batch, o.ImageSize));
        if (Wanted(infer) || Wanted(train) || Wanted(fusedInfer))
        {
            using var net = new GdVigModel(o);
            var s = o.ImageSize;
            using var x = torch.rand(batch, 1, s, s).sub_(0.456).div_(0.224).div_(255.0);
            using var gaze = torch.rand(batch, 1, s, s);
            using var labels = torch.arange(batch, dtype: ScalarType.Int64).remainder(3);
            using var opt = new SafeAdamW(net.parameters(), lr: 1e-4, weight_decay: 0.01);
            void Infer()
            {
                net.eval();
                using var inference = torch.inference_mode();
                using var scope = torch.NewDisposeScope();
                net.Predict(x);
            }
            if (Wanted(infer))
            {
                log($"Thorax  {infer} ...");
                rows.Add((infer, Timing.MedianMs(Infer, 1, repeats)));
            }
            if (Wanted(train))
            {
                log($"Thorax  {train} ...");
                rows.Add((train, Timing.MedianMs(() =>
                {
                    net.train();
                    using var scope = torch.NewDisposeScope();
                    net.zero_grad(set_to_none: true);
                    var (logits, predicted) = net.Predict(x);
                    F.cross_entropy(logits, labels).add(F.mse_loss(predicted, gaze)).backward();
                    opt.step();
                }, 1, repeats)));
            }
            if (Wanted(fusedInfer))
            {
                // Last: a fused network cannot train.
                net.FuseForInference();
                log($"Thorax  {fusedInfer} ...");
                rows.Add((fusedInfer, Timing.MedianMs(Infer, 1, repeats)));
            }
        }

        Dictionary<string, double>? peer = null;
        if (withPeer && quick) log("PyTorch peer skipped: --quick uses reduced widths, which the authors' fixed-width GAViG cannot build");
        else if (withPeer)
        {
            log("PyTorch: the authors' GAViG and KNN modules (same shapes and threads) ...");
            peer = Commands.BenchCommand.RunPeer("gdvig_bench.py", needsTorch: true,
            [
                "--threads", TorchRuntime.NumThreads.ToString(), "--repeats", repeats.ToString(), "--warmup", "1",
                "--batch", batch.ToString(), "--size", o.ImageSize.ToString(),
                "--parts", string.Join(",", new[] { "knn", "model" }.Where(p => rows.Any(r => r.Case.StartsWith(p == "knn" ? "knn" : "gdvig", StringComparison.Ordinal)))),
            ], log);
        }
        string PeerCase(string c) => c == fusedInfer ? infer : c;
        return rows.Select(r => new BenchResult(r.Case, r.Ms, peer != null && peer.TryGetValue(PeerCase(r.Case), out var v) ? v : null)).ToList();
    }
}
