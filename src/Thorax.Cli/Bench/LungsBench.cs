using Thorax.Models.Segmentation;
using Thorax.Optim;
using F = Thorax.Functional;

namespace Thorax.Cli.Bench;

/// <summary>
/// <c>thorax bench lungs</c>: the four lung-segmentation networks (unet, unetpp, attention-unet, sa-unet) at their
/// reference widths, one training step (forward + BCE-with-logits + backward + Adam, batch 4) and eval inference under
/// <see cref="Torch.InferenceMode"/> (batch 32), 256 px, in Thorax and, in the same run, the same architectures in
/// PyTorch (tools/bench/lungs_bench.py) with the same thread count. Medians in milliseconds, eager vs eager.
/// </summary>
/// <remarks>
/// No warm-up repetitions: at reference widths a batch-32 pass takes tens of seconds on 2 cores, so the first (slower)
/// repetition is absorbed by the median instead; the Python side does the same.
/// </remarks>
internal static class LungsBench
{
    public const int TrainBatch = 4;
    public const int InferBatch = 32;
    public const int Size = 256;

    public static string TrainCase(string model) => $"{model} train b{TrainBatch} {Size}px";

    public static string InferCase(string model) => $"{model} infer b{InferBatch} {Size}px";

    /// <summary>Runs the selected models (names from <see cref="SegmentationModels.Names"/>).</summary>
    public static List<BenchResult> Run(IReadOnlyList<string> models, int repeats, bool withPeer, Action<string> log)
    {
        Torch.Initialize();
        Torch.ManualSeed(0);
        using var x = Torch.Randn(new long[] { TrainBatch, 1, Size, Size }, null, DType.Float32);
        using var u = Torch.Rand(new long[] { TrainBatch, 1, Size, Size }, null, DType.Float32);
        using var yMask = u.Gt(0.5);
        using var y = yMask.To(DType.Float32);
        using var xi = Torch.Randn(new long[] { InferBatch, 1, Size, Size }, null, DType.Float32);

        var ours = new Dictionary<string, double>();
        foreach (var name in models)
        {
            using var model = SegmentationModels.Create(name, 1, 1, baseChannels: null);
            model.Train();
            using var optimizer = new Adam(model.Parameters(), new AdamOptions { Lr = 1e-3 });
            log($"Thorax  {TrainCase(name)} ...");
            ours[TrainCase(name)] = Timing.MedianMs(() =>
            {
                using var scope = Torch.NewScope();
                optimizer.ZeroGrad();
                var loss = F.BinaryCrossEntropyWithLogits(model.Forward(x), y);
                loss.Backward();
                optimizer.Step();
            }, 0, repeats);
            model.Eval();
            log($"Thorax  {InferCase(name)} ...");
            ours[InferCase(name)] = Timing.MedianMs(() =>
            {
                using var inference = Torch.InferenceMode();
                using var scope = Torch.NewScope();
                model.Forward(xi);
            }, 0, repeats);
        }

        Dictionary<string, double>? peer = null;
        if (withPeer)
        {
            log("PyTorch peer (same architectures, same threads) ...");
            peer = Commands.BenchCommand.RunPeer("lungs_bench.py", true, new[]
            {
                "--threads", Torch.NumThreads.ToString(), "--repeats", repeats.ToString(), "--models", string.Join(",", models),
                "--train-batch", TrainBatch.ToString(), "--infer-batch", InferBatch.ToString(), "--size", Size.ToString(),
            }, log);
        }
        return models.SelectMany(m => new[] { TrainCase(m), InferCase(m) })
            .Select(c => new BenchResult(c, ours[c], peer != null && peer.TryGetValue(c, out var v) ? v : null))
            .ToList();
    }
}
