using Thorax.Training.Optim;
using Thorax.Models.Contextual;
using Thorax.Models.Inference;
using Thorax.Models.Runtime;
using Thorax.Models.Weights;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Thorax.Cli.Bench;

/// <summary>
/// <c>thorax bench contextual</c>: the U-Net baseline and ConTEXTual Net (base width 16 as the trainer's default, MiniLM's
/// text width 384, 48 cached report tokens), one training step (forward + BCE-with-logits + backward + AdamW, batch 2 as
/// the paper) and eval inference (batch 4) at 256 and 512 px, in Thorax and in PyTorch (tools/bench/contextual_bench.py)
/// with the same weights (written by Thorax as safetensors, read by the peer) and the same inputs. The frozen text
/// encoder is not in the loop: its outputs are computed once per report and cached (TextEmbeddingCache). After the
/// plain rows, Thorax's inference once more after <c>FuseForInference()</c> (batch norms folded; peer column = its plain
/// eval inference) and after <c>.to(BFloat16)</c> on bf16 inputs (peer column = PyTorch's bf16 inference under
/// autocast), as <c>bench lungs</c> does. ConTEXTual Net's fused rows are followed by the same inference with the
/// attention maps asked for (the gates' written-out attention instead of the fused kernel; no peer figure).
/// </summary>
internal static class ContextualBench
{
    public const int TrainBatch = 2;
    public const int InferBatch = 4;
    public const int Tokens = 48;
    public const int TextDim = 384;

    /// <summary>The row of ConTEXTual Net's inference with its attention maps returned (no peer figure).</summary>
    public static string AttentionMapsRow(string label, int size) => $"contextual infer {label} b{InferBatch} {size}px, attention maps";

    public static List<BenchResult> Run(int[] sizes, int baseWidth, int repeats, bool withPeer, Action<string> log)
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(0);
        var widths = Enumerable.Range(0, 5).Select(i => (long)baseWidth << i).ToArray();
        var tmp = Directory.CreateTempSubdirectory("thorax-bench-ctx-").FullName;
        var rows = new List<(string Case, double Ms)>();
        try
        {
            using var text = torch.randn(InferBatch, Tokens, TextDim);
            using var mask = torch.ones(InferBatch, Tokens, dtype: ScalarType.Int64);
            SafeTensors.Save(Path.Combine(tmp, "inputs.safetensors"), new Dictionary<string, Tensor> { ["text"] = text, ["mask"] = mask });
            using var full = new ContextualNet(new ContextualNetOptions { Widths = widths, TextDim = TextDim });
            SafeTensors.Save(Path.Combine(tmp, "weights.safetensors"), full.state_dict());
            foreach (var language in new[] { false, true })
            {
                var name = language ? "contextual" : "unet";
                using var net = new ContextualNet(new ContextualNetOptions { Widths = widths, TextDim = TextDim, Language = language });
                StateDicts.LoadFile(net, Path.Combine(tmp, "weights.safetensors"), strict: language);
                using var opt = new SafeAdamW(net.parameters(), lr: 5e-5, weight_decay: 0.01);
                foreach (var s in sizes)
                {
                    using var x = torch.rand(TrainBatch, 3, s, s) * 255;
                    using var y = torch.rand(TrainBatch, 1, s, s).gt(0.9).to(ScalarType.Float32);
                    using var xi = torch.rand(InferBatch, 3, s, s) * 255;
                    using var tt = text.narrow(0, 0, TrainBatch);
                    using var mt = mask.narrow(0, 0, TrainBatch);
                    log($"Thorax  {name} train b{TrainBatch} {s}px ...");
                    var train = Timing.MedianMs(() =>
                    {
                        using var scope = torch.NewDisposeScope();
                        net.train();
                        net.zero_grad(set_to_none: true);
                        var loss = F.binary_cross_entropy_with_logits(net.Forward(x, tt, mt), y);
                        loss.backward();
                        opt.step();
                    }, 1, repeats);
                    log($"Thorax  {name} infer b{InferBatch} {s}px ...");
                    var infer = Timing.MedianMs(() =>
                    {
                        net.eval();
                        using var inference = torch.inference_mode();
                        using var scope = torch.NewDisposeScope();
                        net.Forward(xi, text, mask);
                    }, 1, repeats);
                    rows.Add(($"{name} train b{TrainBatch} {s}px", train));
                    rows.Add(($"{name} infer b{InferBatch} {s}px", infer));
                }
                net.FuseForInference();
                foreach (var (dtype, label) in new[] { (ScalarType.Float32, "fused"), (ScalarType.BFloat16, "fused bf16") })
                {
                    if (dtype != ScalarType.Float32) net.to(dtype);
                    using var textD = dtype == ScalarType.Float32 ? text.clone() : text.to(dtype); // its own tensor: text is used by the next model
                    foreach (var s in sizes)
                    {
                        using var xi = (torch.rand(InferBatch, 3, s, s) * 255).to(dtype);
                        log($"Thorax  {name} infer {label} b{InferBatch} {s}px ...");
                        var ms = Timing.MedianMs(() =>
                        {
                            using var inference = torch.inference_mode();
                            using var scope = torch.NewDisposeScope();
                            net.Forward(xi, textD, mask);
                        }, 1, repeats);
                        rows.Add(($"{name} infer {label} b{InferBatch} {s}px", ms));
                        if (!language) continue;
                        // The same network asked for its attention maps: the gates then run the written-out attention
                        // (scores and softmax materialised) instead of the fused scaled_dot_product_attention.
                        log($"Thorax  {name} infer {label} b{InferBatch} {s}px with attention maps ...");
                        var maps = Timing.MedianMs(() =>
                        {
                            using var inference = torch.inference_mode();
                            using var scope = torch.NewDisposeScope();
                            net.Forward(xi, textD, mask, new List<Tensor>());
                        }, 1, repeats);
                        rows.Add((AttentionMapsRow(label, s), maps));
                    }
                }
            }
            Dictionary<string, double>? peer = null;
            if (withPeer)
            {
                log("PyTorch (same architecture, weights, inputs and threads) ...");
                peer = Commands.BenchCommand.RunPeer("contextual_bench.py", needsTorch: true, new[]
                {
                    "--weights", Path.Combine(tmp, "weights.safetensors"), "--inputs", Path.Combine(tmp, "inputs.safetensors"),
                    "--threads", TorchRuntime.NumThreads.ToString(), "--repeats", repeats.ToString(), "--warmup", "1",
                    "--sizes", string.Join(",", sizes), "--train-batch", TrainBatch.ToString(), "--infer-batch", InferBatch.ToString(),
                    "--base", baseWidth.ToString(), "--text-dim", TextDim.ToString(), "--bf16",
                }, log);
            }
            // fused rows compare with the peer's plain eval inference, bf16 rows with its autocast bf16 inference
            static string PeerCase(string c) => c.Replace(" infer fused bf16 ", " infer bf16 ").Replace(" infer fused ", " infer ");
            return rows.Select(r => new BenchResult(r.Case, r.Ms, peer is not null && peer.TryGetValue(PeerCase(r.Case), out var v) ? v : null)).ToList();
        }
        finally
        {
            Directory.Delete(tmp, true);
        }
    }
}
