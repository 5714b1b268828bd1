using Thorax.Training.Optim;
using Thorax.Models.Encoders;
using Thorax.Models.Inference;
using Thorax.Models.Runtime;
using Thorax.Models.Segmentation;
using Thorax.Pipelines.Classification;
using Thorax.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Thorax.Cli.Bench;

/// <summary>
/// <c>thorax bench ptx</c>: the pneumothorax cascade's networks (ResNet-18 classifier; FPN 256/128 over ResNet-18), one
/// training step (forward + loss + backward + Adam; BCE for the classifier, ComboLoss 3/1/4 for the segmenter) at batch
/// 4 and eval inference under <c>torch.inference_mode()</c> at batch 8, 256 px, in Thorax and in PyTorch
/// (tools/bench/ptx_bench.py with tools/ptx/ptx_peer.py: same architectures and keys), same thread count. Medians in ms.
/// Thorax's inference rows run the networks after <c>FuseForInference()</c> (batch norms folded, as a loaded run does);
/// PyTorch's run eager <c>eval()</c>.
/// Random weights on both sides (torchvision padding; timings do not depend on the values).
/// </summary>
internal static class PtxBench
{
    public const int TrainBatch = 4;
    public const int InferBatch = 8;

    public static List<BenchResult> Run(int size, int repeats, bool withPeer, Action<string> log)
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(0);
        using var x = torch.randn(new long[] { TrainBatch, 3, size, size });
        using var xi = torch.randn(new long[] { InferBatch, 3, size, size });
        using var yc = torch.rand(TrainBatch).gt(0.5).to(ScalarType.Float32);
        using var ys = torch.rand(new long[] { TrainBatch, 1, size, size }).gt(0.5).to(ScalarType.Float32);
        var rows = new List<(string Case, double Ms)>();
        void Measure(string name, nn.Module<Tensor, Tensor> net, Func<Tensor, Tensor> loss)
        {
            net.train();
            using var opt = new SafeAdam(net.parameters(), lr: 1e-4);
            var trainCase = $"{name} train b{TrainBatch} {size}px";
            log($"Thorax  {trainCase} ...");
            rows.Add((trainCase, Timing.MedianMs(() =>
            {
                using var scope = torch.NewDisposeScope();
                net.zero_grad(set_to_none: true);
                loss(net.call(x)).backward();
                opt.step();
            }, 1, repeats)));
            net.FuseForInference(); // as ClassifierModel.Load and PtxSegmenterModel.Load do
            var inferCase = $"{name} infer b{InferBatch} {size}px";
            log($"Thorax  {inferCase} ...");
            rows.Add((inferCase, Timing.MedianMs(() =>
            {
                using var inference = torch.inference_mode();
                using var scope = torch.NewDisposeScope();
                net.call(xi);
            }, 1, repeats)));
        }
        using (var cls = new ImageClassifier(ResNet.ResNet18())) Measure("classifier", cls, z => F.binary_cross_entropy_with_logits(z, yc));
        using (var seg = new Fpn(ResNet.ResNet18(), 1, 256, 128)) Measure("segmenter", seg, z => SegmentationLoss.Combo(z, ys));

        Dictionary<string, double>? peer = null;
        if (withPeer)
        {
            log("PyTorch classifier and segmenter (same architectures, keys and threads) ...");
            peer = Commands.BenchCommand.RunPeer("ptx_bench.py", needsTorch: true,
                ["--threads", TorchRuntime.NumThreads.ToString(), "--repeats", repeats.ToString(), "--warmup", "1", "--size", size.ToString(),
                 "--train-batch", TrainBatch.ToString(), "--infer-batch", InferBatch.ToString()], log);
        }
        return rows.Select(r => new BenchResult(r.Case, r.Ms, peer != null && peer.TryGetValue(r.Case, out var v) ? v : null)).ToList();
    }
}
