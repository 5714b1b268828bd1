using Thorax.Models.Segmentation;
using Thorax.Optim;
using Thorax.Pipelines.Lungs;
using F = Thorax.Functional;

namespace Thorax.Cli.Bench;

/// <summary>
/// <c>thorax bench lungs</c>: the four lung-segmentation networks (unet, unetpp, attention-unet, sa-unet), one training
/// step (forward + BCE-with-logits + backward + Adam, batch 4) and inference under <see cref="Torch.InferenceMode"/>
/// (batch 32), 256 px, in Thorax and in PyTorch (tools/bench/lungs_bench.py), same architectures, same widths, same
/// thread count. Medians in milliseconds.
/// </summary>
/// <remarks>
/// <para>
/// Widths: by default every model starts at the base width the lung trainer uses
/// (<see cref="LungTrainingOptions.BaseChannels"/>, 16), which is what users run; <c>referenceWidths</c> switches to
/// each paper's width (U-Net and Attention U-Net 64, U-Net++ 32, SA-UNet 16), which takes far longer.
/// </para>
/// <para>
/// Rows per model: the training step; inference of the plain evaluation-mode model (<c>infer eval</c>); and inference
/// after <see cref="Nn.Module.FuseForInference"/> (<c>infer fused</c>: batch norms folded into the convolutions, ReLUs
/// in place), which is how Thorax's lung pipeline predicts. Both inference rows are compared with the same PyTorch
/// figure: PyTorch eager as users run it, <c>model.eval()</c> + <c>torch.inference_mode()</c> without any folding,
/// scripting or tracing; the peer is deliberately not given the same optimisation.
/// </para>
/// <para>
/// Each case runs <see cref="WarmupRepeats"/> untimed repetition and then the timed ones. The sides take turns per
/// model (Thorax, then the PyTorch peer in its own process for that model), so load changes on a shared machine hit
/// both; figures stay noisy on a busy machine.
/// </para>
/// </remarks>
internal static class LungsBench
{
    public const int TrainBatch = 4;
    public const int InferBatch = 32;
    public const int Size = 256;
    public const int WarmupRepeats = 1;

    public static string TrainCase(string model) => $"{model} train b{TrainBatch} {Size}px";

    /// <summary>The PyTorch peer's inference case (eager, eval mode, inference mode).</summary>
    public static string InferCase(string model) => $"{model} infer b{InferBatch} {Size}px";

    private static string InferEvalRow(string model) => $"{model} infer eval b{InferBatch} {Size}px";

    private static string InferFusedRow(string model) => $"{model} infer fused b{InferBatch} {Size}px";

    /// <summary>The base width used unless <c>referenceWidths</c> is set: the lung trainer's default.</summary>
    public static int DefaultBaseChannels { get; } = new LungTrainingOptions().BaseChannels;

    /// <summary>Runs the selected models (names from <see cref="SegmentationModels.Names"/>).</summary>
    /// <param name="models">Model names.</param>
    /// <param name="repeats">Timed repetitions per case (after one warm-up).</param>
    /// <param name="withPeer">Whether to run the PyTorch peer.</param>
    /// <param name="referenceWidths">True: each paper's width; false: <see cref="DefaultBaseChannels"/> for every model.</param>
    /// <param name="log">Progress messages.</param>
    public static List<BenchResult> Run(IReadOnlyList<string> models, int repeats, bool withPeer, bool referenceWidths, Action<string> log)
    {
        Torch.Initialize();
        Torch.ManualSeed(0);
        int? baseChannels = referenceWidths ? null : DefaultBaseChannels;
        using var x = Torch.Randn(new long[] { TrainBatch, 1, Size, Size }, null, DType.Float32);
        using var u = Torch.Rand(new long[] { TrainBatch, 1, Size, Size }, null, DType.Float32);
        using var yMask = u.Gt(0.5);
        using var y = yMask.To(DType.Float32);
        using var xi = Torch.Randn(new long[] { InferBatch, 1, Size, Size }, null, DType.Float32);

        var peerAvailable = false;
        if (withPeer)
        {
            peerAvailable = PyTorchPeer.Available(out var why);
            if (!peerAvailable) log("Python peer skipped: " + why);
        }
        var rows = new List<BenchResult>();
        foreach (var name in models)
        {
            double train, inferEval, inferFused;
            using (var model = SegmentationModels.Create(name, 1, 1, baseChannels))
            {
                model.Train();
                using var optimizer = new Adam(model.Parameters(), new AdamOptions { Lr = 1e-3 });
                log($"Thorax  {TrainCase(name)} ...");
                train = Timing.MedianMs(() =>
                {
                    using var scope = Torch.NewScope();
                    optimizer.ZeroGrad();
                    var loss = F.BinaryCrossEntropyWithLogits(model.Forward(x), y);
                    loss.Backward();
                    optimizer.Step();
                }, WarmupRepeats, repeats);
                model.Eval();
                void Infer()
                {
                    using var inference = Torch.InferenceMode();
                    using var scope = Torch.NewScope();
                    model.Forward(xi);
                }
                log($"Thorax  {InferEvalRow(name)} ...");
                inferEval = Timing.MedianMs(Infer, WarmupRepeats, repeats);
                model.FuseForInference();
                log($"Thorax  {InferFusedRow(name)} ...");
                inferFused = Timing.MedianMs(Infer, WarmupRepeats, repeats);
            }

            Dictionary<string, double>? peer = null;
            if (peerAvailable)
            {
                log($"PyTorch {name} (same architecture, widths and threads) ...");
                var args = new List<string>
                {
                    "--threads", Torch.NumThreads.ToString(), "--repeats", repeats.ToString(), "--warmup", WarmupRepeats.ToString(),
                    "--models", name, "--train-batch", TrainBatch.ToString(), "--infer-batch", InferBatch.ToString(), "--size", Size.ToString(),
                };
                if (baseChannels is { } b) args.AddRange(new[] { "--base", b.ToString() });
                peer = Commands.BenchCommand.RunPeer("lungs_bench.py", needsTorch: false, args, log); // torch checked above
            }
            double? Peer(string c) => peer != null && peer.TryGetValue(c, out var v) ? v : null;
            rows.Add(new BenchResult(TrainCase(name), train, Peer(TrainCase(name))));
            rows.Add(new BenchResult(InferEvalRow(name), inferEval, Peer(InferCase(name))));
            rows.Add(new BenchResult(InferFusedRow(name), inferFused, Peer(InferCase(name))));
        }
        return rows;
    }
}
