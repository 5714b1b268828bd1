using Thorax.Training.Optim;
using System.Globalization;
using Thorax.Models.Encoders;
using Thorax.Models.Inference;
using Thorax.Models.Runtime;
using Thorax.Models.Saliency;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Cli.Bench;

/// <summary>
/// <c>thorax bench saliency</c>: the dual-encoder multi-task U-Net (<see cref="GazeMtlUNet"/>, the reference width:
/// DenseNet-201 encoder, filters 64..1024) in Thorax and the authors' <c>MTL_UNet_preset</c> in PyTorch
/// (tools/bench/saliency_bench.py, which imports their code from the local mirror as the goldens do), same threads, at
/// the reference's 320x256 (H x W): one joint training step at batch 6 (forward, log-softmax over pixels, the
/// uncertainty-weighted CE + KL loss, backward, Adam 1e-4 on every parameter: the joint stage) and eval inference under
/// <c>torch.inference_mode()</c> at batch 8, and Thorax's inference once more after <c>FuseForInference()</c> (batch
/// norms folded into the convolutions; the peer's column is its plain eval inference, as in <c>bench lungs</c>). Random
/// weights on both sides; medians in milliseconds.
/// Memory: after the timed steps, each side resets its peak resident set size (<c>echo 5 &gt; /proc/self/clear_refs</c>),
/// reads VmRSS, runs one more training step and reads VmHWM (<c>/proc/self/status</c>): the rows are that peak and its
/// growth over the RSS before the step (MiB; the optimiser state already exists). Linux only; elsewhere the rows are left out.
/// <c>--quick</c>: a smoke run (tiny DenseNet, filters 16..80, 64x64, batches 2) that the authors' fixed-width model
/// cannot mirror, so without a PyTorch column.
/// </summary>
internal static class SaliencyBench
{
    public static string TrainCase(int batch, int h, int w) => $"saliency train b{batch} {h}x{w}";

    public static string InferCase(int batch, int h, int w) => $"saliency infer b{batch} {h}x{w}";

    /// <summary>Thorax's inference after <see cref="ModuleFusion.FuseForInference{T}"/> (what <c>saliency predict</c> and
    /// <c>evaluate</c> run); its PyTorch column is the peer's plain eval inference (the authors' code does not fold).</summary>
    public static string InferFusedCase(int batch, int h, int w) => $"saliency infer fused b{batch} {h}x{w}";

    public static string PeakCase(int batch, int h, int w) => $"saliency train b{batch} {h}x{w} peak rss";

    public static string GrowthCase(int batch, int h, int w) => $"saliency train b{batch} {h}x{w} rss growth";

    /// <summary>The same training step with the DenseNet's <c>memory_efficient</c> on (both sides: Thorax's
    /// <see cref="DenseNet.MemoryEfficient"/>, torchvision's <c>_DenseLayer.memory_efficient</c>).</summary>
    public static string TrainMemoryEfficientCase(int batch, int h, int w) => TrainCase(batch, h, w) + ", memory-efficient densenet";

    /// <summary>Peak RSS of the memory-efficient step.</summary>
    public static string PeakMemoryEfficientCase(int batch, int h, int w) => PeakCase(batch, h, w) + ", memory-efficient densenet";

    /// <summary>RSS growth of the memory-efficient step.</summary>
    public static string GrowthMemoryEfficientCase(int batch, int h, int w) => GrowthCase(batch, h, w) + ", memory-efficient densenet";

    /// <summary>Runs the cases (Thorax, then the PyTorch peer in its own process) and pairs them by name.</summary>
    /// <param name="quick">The smoke configuration (no peer).</param>
    /// <param name="repeats">Timed repetitions per case (median), after one warm-up call.</param>
    /// <param name="withPeer">Run tools/bench/saliency_bench.py with /usr/bin/python3 when it has torch.</param>
    /// <param name="log">Progress lines.</param>
    public static List<BenchResult> Run(bool quick, int repeats, bool withPeer, Action<string> log)
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(0);
        int h = quick ? 64 : 320, w = quick ? 64 : 256, trainBatch = quick ? 2 : 6, inferBatch = quick ? 2 : 8;
        var rows = new List<BenchResult>();
        using (var net = quick
            ? new GazeMtlUNet([16, 32, 48, 64, 80], 3, new DenseNet("tiny", 8, [1, 1, 1, 1], 16, numClasses: 3, inChans: 3))
            : new GazeMtlUNet())
        {
            using var x = torch.rand(trainBatch, 1, h, w);
            using var labels = torch.arange(trainBatch, dtype: ScalarType.Int64).remainder(3);
            using var gaze = torch.rand(trainBatch, 1, h, w);
            using var target = UncertaintyWeightedLoss.NormalizeGaze(gaze);
            using var xi = torch.rand(inferBatch, 1, h, w);
            using var opt = new SafeAdam(net.parameters(), lr: 1e-4);
            void Step()
            {
                net.train();
                using var scope = torch.NewDisposeScope();
                net.zero_grad(set_to_none: true);
                var (logits, sal) = net.call(x);
                using var loss = UncertaintyWeightedLoss.Compute(logits, SaliencyLayers.LogSoftmaxOverPixels(sal), labels, target, net.LgSigmaClass);
                loss.Sum.backward();
                opt.step();
            }
            var train = TrainCase(trainBatch, h, w);
            log($"Thorax  {train} ...");
            rows.Add(new BenchResult(train, Timing.MedianMs(Step, 1, repeats), null));
            var infer = InferCase(inferBatch, h, w);
            log($"Thorax  {infer} ...");
            void Infer()
            {
                net.eval();
                using var inference = torch.inference_mode();
                using var scope = torch.NewDisposeScope();
                net.call(xi);
            }
            rows.Add(new BenchResult(infer, Timing.MedianMs(Infer, 1, repeats), null));
            if (PeakRss.Supported)
            {
                log($"Thorax  {PeakCase(trainBatch, h, w)} (one more step) ...");
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var (before, peak) = PeakRss.Around(Step);
                rows.Add(new BenchResult(PeakCase(trainBatch, h, w), peak, null, "MiB"));
                // Clamped at 0: the resident set can shrink between the reset and the first reading (memory another
                // thread frees, a huge page given back), and a peak below the starting point means no growth.
                rows.Add(new BenchResult(GrowthCase(trainBatch, h, w), Math.Max(0, peak - before), null, "MiB"));
            }
            else log("peak memory rows left out: /proc/self/clear_refs and /proc/self/status are Linux only");
            // torchvision's memory_efficient DenseNet: the bottleneck intermediates are recomputed in backward
            net.DenseNet.MemoryEfficient = true;
            var trainMe = TrainMemoryEfficientCase(trainBatch, h, w);
            log($"Thorax  {trainMe} ...");
            rows.Add(new BenchResult(trainMe, Timing.MedianMs(Step, 1, repeats), null));
            if (PeakRss.Supported)
            {
                log($"Thorax  {PeakMemoryEfficientCase(trainBatch, h, w)} (one more step) ...");
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var (before, peak) = PeakRss.Around(Step);
                rows.Add(new BenchResult(PeakMemoryEfficientCase(trainBatch, h, w), peak, null, "MiB"));
                rows.Add(new BenchResult(GrowthMemoryEfficientCase(trainBatch, h, w), Math.Max(0, peak - before), null, "MiB"));
            }
            net.DenseNet.MemoryEfficient = false;
            // Last: a fused network cannot train.
            net.FuseForInference();
            var fused = InferFusedCase(inferBatch, h, w);
            log($"Thorax  {fused} ...");
            rows.Add(new BenchResult(fused, Timing.MedianMs(Infer, 1, repeats), null));
        }

        Dictionary<string, double>? peer = null;
        if (withPeer && quick) log("PyTorch peer skipped: --quick uses a reduced network, which the authors' fixed-width MTL_UNet_preset cannot build");
        else if (withPeer)
        {
            log("PyTorch: the authors' MTL_UNet_preset (same sizes, batches and threads) ...");
            peer = Commands.BenchCommand.RunPeer("saliency_bench.py", needsTorch: true,
            [
                "--threads", TorchRuntime.NumThreads.ToString(CultureInfo.InvariantCulture), "--repeats", repeats.ToString(CultureInfo.InvariantCulture), "--warmup", "1",
                "--height", h.ToString(CultureInfo.InvariantCulture), "--width", w.ToString(CultureInfo.InvariantCulture),
                "--train-batch", trainBatch.ToString(CultureInfo.InvariantCulture), "--infer-batch", inferBatch.ToString(CultureInfo.InvariantCulture),
            ], log);
        }
        string PeerCase(string c) => c == InferFusedCase(inferBatch, h, w) ? InferCase(inferBatch, h, w) : c;
        return rows.Select(r => r with { PyTorchMs = peer != null && peer.TryGetValue(PeerCase(r.Case), out var v) ? v : null }).ToList();
    }
}

/// <summary>Peak resident set size of this process around a piece of work, from Linux's /proc (VmHWM after resetting it
/// with <c>clear_refs</c> 5); tools/bench/saliency_bench.py measures its side the same way.</summary>
internal static class PeakRss
{
    public static bool Supported => OperatingSystem.IsLinux() && File.Exists("/proc/self/clear_refs");

    /// <summary>(RSS before, peak RSS during) <paramref name="work"/>, in MiB.</summary>
    public static (double Before, double Peak) Around(Action work)
    {
        File.WriteAllText("/proc/self/clear_refs", "5");
        var before = StatusKb("VmRSS");
        work();
        return (before / 1024.0, StatusKb("VmHWM") / 1024.0);
    }

    private static double StatusKb(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return double.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        throw new InvalidOperationException($"/proc/self/status has no {field} line");
    }
}
