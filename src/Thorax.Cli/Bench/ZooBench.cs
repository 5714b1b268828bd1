using Thorax.Training.Optim;
using Thorax.Models.Runtime;
using Thorax.Models.Segmentation.Zoo;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Thorax.Cli.Bench;

/// <summary>
/// <c>thorax bench zoo</c>: segmentation_models-style U-Nets (<see cref="SegmentationZoo"/>) on the zoo encoders, one
/// training step (forward + BCE-with-logits + backward + Adam) and eval inference under <c>torch.inference_mode()</c>,
/// 1-channel input, in Thorax (TorchSharp) and in PyTorch (tools/bench/zoo_bench.py, the PyTorch peers the zoo is
/// checked against), same architectures, sizes and thread count. Medians in milliseconds; the sides take turns per
/// encoder (the peer in its own process), so load changes on a shared machine hit both.
/// </summary>
internal static class ZooBench
{
    public const int WarmupRepeats = 1;

    public static string TrainCase(string enc, string dec, int batch, int size) => $"{enc} {dec} train b{batch} {size}px";

    public static string InferCase(string enc, string dec, int batch, int size) => $"{enc} {dec} infer b{batch} {size}px";

    public static List<BenchResult> Run(IReadOnlyList<string> encoders, string decoder, int size, int trainBatch, int inferBatch, int repeats,
        bool withPeer, Action<string> log)
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(0);
        using var x = torch.randn(new long[] { trainBatch, 1, size, size }, ScalarType.Float32);
        using var u = torch.rand(new long[] { trainBatch, 1, size, size }, ScalarType.Float32);
        using var yMask = u.gt(0.5);
        using var y = yMask.to(ScalarType.Float32);
        using var xi = torch.randn(new long[] { inferBatch, 1, size, size }, ScalarType.Float32);
        var peerAvailable = false;
        if (withPeer)
        {
            peerAvailable = PyTorchPeer.Available(out var why);
            if (!peerAvailable) log("Python peer skipped: " + why);
        }
        var rows = new List<BenchResult>();
        foreach (var enc in encoders)
        {
            string trainCase = TrainCase(enc, decoder, trainBatch, size), inferCase = InferCase(enc, decoder, inferBatch, size);
            double train, infer;
            using (var model = SegmentationZoo.Create(enc, decoder, inChans: 1, classes: 1))
            {
                model.train();
                using var optimizer = new SafeAdam(model.parameters(), lr: 1e-3);
                log($"Thorax  {trainCase} ...");
                train = Timing.MedianMs(() =>
                {
                    using var scope = torch.NewDisposeScope();
                    model.zero_grad(set_to_none: true);
                    F.binary_cross_entropy_with_logits(model.forward(x), y).backward();
                    optimizer.step();
                }, WarmupRepeats, repeats);
                model.eval();
                log($"Thorax  {inferCase} ...");
                infer = Timing.MedianMs(() =>
                {
                    using var inference = torch.inference_mode();
                    using var scope = torch.NewDisposeScope();
                    model.forward(xi);
                }, WarmupRepeats, repeats);
            }
            Dictionary<string, double>? peer = null;
            if (peerAvailable)
            {
                log($"PyTorch {enc} {decoder} (same architecture, sizes and threads) ...");
                peer = Commands.BenchCommand.RunPeer("zoo_bench.py", needsTorch: false,
                [
                    "--threads", TorchRuntime.NumThreads.ToString(), "--repeats", repeats.ToString(), "--warmup", WarmupRepeats.ToString(),
                    "--encoders", enc, "--decoder", decoder, "--train-batch", trainBatch.ToString(), "--infer-batch", inferBatch.ToString(),
                    "--size", size.ToString(), "--in-chans", "1",
                ], log);
            }
            double? Peer(string c) => peer != null && peer.TryGetValue(c, out var v) ? v : null;
            rows.Add(new BenchResult(trainCase, train, Peer(trainCase)));
            rows.Add(new BenchResult(inferCase, infer, Peer(inferCase)));
        }
        return rows;
    }
}
