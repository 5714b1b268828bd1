using Thorax.Training.Optim;
using Thorax.Models.Inference;
using Thorax.Models.Runtime;
using Thorax.Models.Segmentation;
using Thorax.Pipelines.Lungs;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Thorax.Cli.Bench;

/// <summary>
/// <c>thorax bench lungs</c>: the four lung-segmentation networks (unet, unetpp, attention-unet, sa-unet), one training
/// step (forward + BCE-with-logits + backward + Adam, batch 4) and inference under <c>torch.inference_mode()</c>
/// (batch 32), 256 px, in Thorax (TorchSharp) and in PyTorch (tools/bench/lungs_bench.py), same architectures, same
/// widths, same thread count. Medians in milliseconds.
/// </summary>
/// <remarks>
/// <para>
/// Widths: by default every model starts at the base width the lung trainer uses
/// (<see cref="LungTrainingOptions.BaseChannels"/>, 16), which is what users run; <c>referenceWidths</c> switches to
/// each paper's width (U-Net and Attention U-Net 64, U-Net++ 32, SA-UNet 16), which takes far longer.
/// </para>
/// <para>
/// Rows per model: the training step; inference of the plain evaluation-mode model (<c>infer eval</c>); inference
/// after <see cref="ModuleFusion.FuseForInference{T}"/> (<c>infer fused</c>: batch norms folded into the
/// convolutions), which is how Thorax's lung pipeline predicts; and the fused model in bfloat16 with a bfloat16 input
/// (<c>infer fused bf16</c>, what <c>lungs predict --precision bf16</c> runs). The two float32 inference rows are
/// compared with the same PyTorch figure: PyTorch eager as users run it, <c>model.eval()</c> +
/// <c>torch.inference_mode()</c> without any folding, scripting or tracing; the peer is deliberately not given the
/// same optimisation. The bf16 row is compared with PyTorch's bf16 inference under
/// <c>torch.autocast('cpu', dtype=torch.bfloat16)</c> (float32 weights cast per operation): PyTorch 1.13 cannot run
/// these networks after <c>model.to(torch.bfloat16)</c> (its oneDNN bf16 transposed convolution rejects the weight
/// shape, and the fallback has no bf16 kernel), so autocast is its only bf16 path.
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

    /// <summary>The PyTorch peer's float32 inference case (eager, eval mode, inference mode).</summary>
    public static string InferCase(string model) => $"{model} infer b{InferBatch} {Size}px";

    /// <summary>The PyTorch peer's bf16 inference case (eval mode, inference mode, CPU autocast to bfloat16).</summary>
    public static string InferBf16Case(string model) => $"{model} infer bf16 b{InferBatch} {Size}px";

    internal static string InferEvalRow(string model) => $"{model} infer eval b{InferBatch} {Size}px";

    internal static string InferFusedRow(string model) => $"{model} infer fused b{InferBatch} {Size}px";

    internal static string InferFusedBf16Row(string model) => $"{model} infer fused bf16 b{InferBatch} {Size}px";

    /// <summary>The base width used unless <c>referenceWidths</c> is set: the lung trainer's default.</summary>
    public static int DefaultBaseChannels { get; } = new LungTrainingOptions().BaseChannels;

    /// <summary>Runs the selected models (names from <see cref="SegmentationModels.Names"/>).</summary>
    /// <param name="models">Model names.</param>
    /// <param name="repeats">Timed repetitions per case (after one warm-up).</param>
    /// <param name="withPeer">Whether to run the PyTorch peer.</param>
    /// <param name="referenceWidths">True: each paper's width; false: <see cref="DefaultBaseChannels"/> for every model.</param>
    /// <param name="log">Progress messages.</param>
    /// <param name="mkldnn">False: oneDNN off on both sides (<see cref="EngineSwitches.OneDnnEnabled"/>, the peer's
    /// <c>torch.backends.mkldnn.enabled = False</c>).</param>
    public static List<BenchResult> Run(IReadOnlyList<string> models, int repeats, bool withPeer, bool referenceWidths, Action<string> log,
        bool mkldnn = true)
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(0);
        EngineSwitches.OneDnnEnabled = mkldnn;
        int? baseChannels = referenceWidths ? null : DefaultBaseChannels;
        using var x = torch.randn(new long[] { TrainBatch, 1, Size, Size }, ScalarType.Float32);
        using var u = torch.rand(new long[] { TrainBatch, 1, Size, Size }, ScalarType.Float32);
        using var yMask = u.gt(0.5);
        using var y = yMask.to(ScalarType.Float32);
        using var xi = torch.randn(new long[] { InferBatch, 1, Size, Size }, ScalarType.Float32);
        using var xiBf16 = xi.to(ScalarType.BFloat16);

        var peerAvailable = false;
        if (withPeer)
        {
            peerAvailable = PyTorchPeer.Available(out var why);
            if (!peerAvailable) log("Python peer skipped: " + why);
        }
        var rows = new List<BenchResult>();
        foreach (var name in models)
        {
            double train, inferEval, inferFused, inferBf16;
            using (var model = SegmentationModels.Create(name, 1, 1, baseChannels))
            {
                model.train();
                using var optimizer = new SafeAdam(model.parameters(), lr: 1e-3);
                log($"Thorax  {TrainCase(name)} ...");
                train = Timing.MedianMs(() =>
                {
                    using var scope = torch.NewDisposeScope();
                    // Gradients set to none, as the peer's opt.zero_grad(set_to_none=True): TorchSharp's
                    // optimizer.zero_grad() zeroes them instead, and backward then adds into them (one more pass).
                    model.zero_grad(set_to_none: true);
                    var loss = F.binary_cross_entropy_with_logits(model.forward(x), y);
                    loss.backward();
                    optimizer.step();
                }, WarmupRepeats, repeats);
                model.eval();
                Action Infer(Tensor input) => () =>
                {
                    using var inference = torch.inference_mode();
                    using var scope = torch.NewDisposeScope();
                    model.forward(input);
                };
                log($"Thorax  {InferEvalRow(name)} ...");
                inferEval = Timing.MedianMs(Infer(xi), WarmupRepeats, repeats);
                model.FuseForInference();
                log($"Thorax  {InferFusedRow(name)} ...");
                inferFused = Timing.MedianMs(Infer(xi), WarmupRepeats, repeats);
                model.to(ScalarType.BFloat16);
                log($"Thorax  {InferFusedBf16Row(name)} ...");
                inferBf16 = Timing.MedianMs(Infer(xiBf16), WarmupRepeats, repeats);
            }

            Dictionary<string, double>? peer = null;
            if (peerAvailable)
            {
                log($"PyTorch {name} (same architecture, widths and threads) ...");
                var args = new List<string>
                {
                    "--threads", TorchRuntime.NumThreads.ToString(), "--repeats", repeats.ToString(), "--warmup", WarmupRepeats.ToString(),
                    "--models", name, "--train-batch", TrainBatch.ToString(), "--infer-batch", InferBatch.ToString(), "--size", Size.ToString(),
                    "--bf16",
                };
                if (!mkldnn) args.Add("--no-mkldnn");
                if (baseChannels is { } b) args.AddRange(new[] { "--base", b.ToString() });
                peer = Commands.BenchCommand.RunPeer("lungs_bench.py", needsTorch: false, args, log); // torch checked above
            }
            double? Peer(string c) => peer != null && peer.TryGetValue(c, out var v) ? v : null;
            rows.Add(new BenchResult(TrainCase(name), train, Peer(TrainCase(name))));
            rows.Add(new BenchResult(InferEvalRow(name), inferEval, Peer(InferCase(name))));
            rows.Add(new BenchResult(InferFusedRow(name), inferFused, Peer(InferCase(name))));
            rows.Add(new BenchResult(InferFusedBf16Row(name), inferBf16, Peer(InferBf16Case(name))));
        }
        return rows;
    }
}
