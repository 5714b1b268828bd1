using System.Text.Json;
using Thorax.Models.Tests.Support;
using Thorax.Models.Weights;
using TorchSharp.Modules;

namespace Thorax.Models.Tests.Layers;

/// <summary>
/// Forward and backward of the TorchSharp layers the models are built from against PyTorch 1.13
/// (tools/golden/nn/make_nn_goldens.py); the engine is libtorch 2.10 through TorchSharp.
/// </summary>
/// <remarks>
/// Outputs are compared at rtol 1e-5, atol 1e-6. A gradient element is a sum of many float32 products whose order
/// differs between libtorch builds and CPUs, and cancellation can make the sum much smaller than its terms, so gradients
/// get an absolute tolerance that follows from the reduction instead of a relative one on the result:
/// atol = 16·√n·ε₃₂·max|g|, with n the number of upstream elements that feed each gradient element (the numel of all
/// outputs) and max|g| the largest expected magnitude in that gradient tensor (the scale of its terms), plus rtol 1e-5.
/// The largest difference seen (libtorch 2.10 on an AMD EPYC): in_proj_bias of mha_batch_first_kpm, see
/// <see cref="GradientTolerance"/>; every other gradient stayed within 0.6·√n·ε₃₂·max|g|.
/// </remarks>
public sealed class LayerGoldenTests
{
    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() =>
    {
        using var doc = Golden.Json("layers.json");
        return doc.RootElement.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    });

    public static TheoryData<string> CaseNames()
    {
        var d = new TheoryData<string>();
        foreach (var n in Cases.Value.Keys) d.Add(n);
        return d;
    }

    private static nn.Module Create(string name)
    {
        switch (name)
        {
            case "linear": return nn.Linear(4, 3);
            case "linear_nobias_3d": return nn.Linear(5, 2, hasBias: false);
            case "conv1d": return nn.Conv1d(2, 3, 3, padding: 1);
            case "conv2d": return nn.Conv2d(2, 3, 3, stride: 2, padding: 1);
            case "conv2d_reflect_groups": return nn.Conv2d(4, 4, 3, padding: 1, groups: 2, padding_mode: PaddingModes.Reflect);
            case "conv_transpose2d": return nn.ConvTranspose2d(3, 2, 3, stride: 2, padding: 1, output_padding: 1);
            case "batchnorm2d_train": return nn.BatchNorm2d(3, momentum: 0.2);
            case "batchnorm1d_cumulative":
                var cumulative = nn.BatchNorm1d(4);
                cumulative.momentum = null; // PyTorch momentum=None: cumulative moving average
                return cumulative;
            case "batchnorm2d_eval":
                var eval = nn.BatchNorm2d(3);
                eval.eval();
                return eval;
            case "groupnorm": return nn.GroupNorm(2, 4);
            case "layernorm": return nn.LayerNorm(5);
            case "instancenorm2d": return nn.InstanceNorm2d(3, affine: true);
            case "embedding_padding": return nn.Embedding(6, 4, padding_idx: 0);
            case "mha_batch_first_kpm": return nn.MultiheadAttention(8, 2);
            case "mha_self_causal": return nn.MultiheadAttention(6, 3);
            case "maxpool2d": return nn.MaxPool2d(3, 2, 1);
            case "avgpool2d": return nn.AvgPool2d(3, 2, 1, count_include_pad: false);
            case "adaptive_avgpool2d": return nn.AdaptiveAvgPool2d((2, 3));
            case "upsample_bilinear": return nn.Upsample(scale_factor: new[] { 2.0, 2.0 }, mode: UpsampleMode.Bilinear, align_corners: false);
            case "upsample_nearest_size": return nn.Upsample(size: new long[] { 5, 4 });
            case "flatten": return nn.Flatten();
            case "relu": return nn.ReLU();
            case "leaky_relu": return nn.LeakyReLU(0.2);
            case "gelu": return nn.GELU();
            case "gelu_tanh": return nn.GELU(GELU.Approximate.tanh);
            case "silu": return nn.SiLU();
            case "sigmoid": return nn.Sigmoid();
            case "tanh": return nn.Tanh();
            case "softmax": return nn.Softmax(1);
            default: throw new ArgumentException("no factory for golden case " + name);
        }
    }

    /// <summary>
    /// The absolute tolerance of a gradient: 16·√n·ε₃₂ times the largest expected magnitude, n = upstream elements.
    /// Largest difference seen: mha_batch_first_kpm in_proj_bias, 1.16e-5 (n = 72, max|g| = 2.63, i.e. 4.4·√n·ε₃₂·max|g|;
    /// the tolerance is 4.3e-5); the fresh machine saw 5.9e-6 on the same gradient (0.04371944 vs 0.04372534),
    /// which the old rtol 1e-5 / atol 1e-6 rejected. The factor 16 covers the float32 rounding of a length-n dot product
    /// (√n·ε per term in the random-rounding model) through the few chained products (softmax, projections) of these layers.
    /// </summary>
    internal static double GradientTolerance(long upstream, Tensor expected)
    {
        var scale = expected.numel() == 0 ? 0 : expected.abs().max().item<float>();
        return 16 * Math.Sqrt(upstream) * 1.1920929e-7 * scale;
    }

    /// <summary>
    /// True when libtorch's float32 <c>conv_transpose1d</c> (also the input gradient of <c>conv1d</c>) disagrees with the
    /// float64 result on this CPU. Seen with libtorch 2.10 (TorchSharp-cpu 0.107) on an AVX-only AMD EPYC: the first
    /// element of a 2x3x7 by 3x2x3 case came out −0.063 instead of 1.037; conv_transpose2d and float64 are right.
    /// </summary>
    private static readonly Lazy<bool> ConvTranspose1dFloat32IsWrong = new(() =>
    {
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(0);
        var w = torch.randn(new long[] { 3, 2, 3 }, generator: g);
        var x = torch.randn(new long[] { 2, 3, 7 }, generator: g);
        var f32 = nn.functional.conv_transpose1d(x, w, null, padding: 1);
        var f64 = nn.functional.conv_transpose1d(x.to_type(ScalarType.Float64), w.to_type(ScalarType.Float64), null, padding: 1);
        return (f32.to_type(ScalarType.Float64) - f64).abs().max().item<double>() > 1e-4;
    });

    [SkippableTheory]
    [MemberData(nameof(CaseNames))]
    public void ForwardBackward_MatchesPyTorch(string name)
    {
        var c = Cases.Value[name];
        using var scope = torch.NewDisposeScope();
        using var module = Create(name);
        StateDicts.Load(module, Golden.DecodeDict(c.GetProperty("weights")), strict: true, name);

        var inputs = c.GetProperty("inputs").EnumerateArray().Select(Golden.Decode).ToArray();
        foreach (var x in inputs)
            if (x.dtype.IsFloatingPoint()) x.requires_grad_();

        Tensor[] outputs = module switch
        {
            nn.Module<Tensor, Tensor> m => new[] { m.call(inputs[0]) },
            MultiheadAttention mha when name == "mha_self_causal" => Pair(mha.call(inputs[0], inputs[0], inputs[0], attn_mask: inputs[1])),
            // TorchSharp's MultiheadAttention is sequence-first: (N, L, E) inputs are transposed in and the output back.
            MultiheadAttention mha => BatchFirst(mha.call(inputs[0].transpose(0, 1), inputs[1].transpose(0, 1), inputs[2].transpose(0, 1), key_padding_mask: inputs[3])),
            _ => throw new InvalidOperationException(),
        };

        var expectedOut = c.GetProperty("outputs").EnumerateArray().Select(Golden.Decode).ToArray();
        Assert.Equal(expectedOut.Length, outputs.Length);
        for (var i = 0; i < outputs.Length; i++) Golden.AssertClose(expectedOut[i], outputs[i], $"{name} output {i}");

        var gos = c.GetProperty("grad_outputs").EnumerateArray().Select(Golden.Decode).ToArray();
        var loss = outputs[0].mul(gos[0]).sum();
        for (var i = 1; i < outputs.Length; i++) loss = loss.add(outputs[i].mul(gos[i]).sum());
        loss.backward();
        var upstream = outputs.Sum(o => o.numel());

        var named = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var p in c.GetProperty("param_grads").EnumerateObject())
        {
            var expected = Golden.Decode(p.Value);
            Golden.AssertClose(expected, named[p.Name].grad!, $"{name} {p.Name} grad", 1e-5, GradientTolerance(upstream, expected));
        }

        var after = module.state_dict();
        foreach (var p in c.GetProperty("state_after").EnumerateObject())
            Golden.AssertClose(Golden.Decode(p.Value), after[p.Name], $"{name} state {p.Name}");

        var inGrads = c.GetProperty("input_grads").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? null : Golden.Decode(e)).ToArray();
        if (name == "mha_batch_first_kpm")
        {
            // The golden's key and value hold equal numbers. libtorch's C++ multi_head_attention_forward tests key.equal(value)
            // (by value, not identity, as Python does) and then projects key and value both from `key`, so the whole
            // gradient reaches the key: compare the sum of the two gradients.
            Assert.True(inputs[1].allclose(inputs[2], rtol: 0, atol: 0));
            var expectedSum = inGrads[1]! + inGrads[2]!;
            var actualSum = inputs[1].grad! + (inputs[2].grad is { } gv ? gv : torch.zeros_like(inputs[1]));
            Golden.AssertClose(expectedSum, actualSum, $"{name} key + value grad", 1e-5, GradientTolerance(upstream, expectedSum));
            inGrads[1] = inGrads[2] = null;
        }
        // Only the first input's gradient is compared for the self-attention case (the others are masks).
        var compareInputs = name == "mha_self_causal" ? 1 : inputs.Length;
        if (name == "conv1d")
        {
            // The input gradient is conv_transpose1d(grad_output, weight). Checked in float64 against the golden always;
            // the float32 one is skipped when it is wrong on this CPU, which the probe alone does not always catch
            // (the defect comes and goes from run to run: a clean-clone run saw this case wrong after a right probe).
            var w = named["weight"].detach().to_type(ScalarType.Float64);
            var f64 = nn.functional.conv_transpose1d(gos[0].to_type(ScalarType.Float64), w, null, padding: 1);
            Golden.AssertClose(inGrads[0]!, f64.to_type(ScalarType.Float32), $"{name} input 0 grad (float64)", 1e-5, GradientTolerance(upstream, inGrads[0]!));
            var worst = (inputs[0].grad!.to_type(ScalarType.Float64) - f64).abs().max().item<double>();
            // !(worst <= 1e-4): a NaN in the float32 gradient (the same defect) makes the maximum NaN
            Skip.If(ConvTranspose1dFloat32IsWrong.Value || !(worst <= 1e-4),
                $"libtorch's float32 conv_transpose1d (conv1d's input gradient) is wrong on this CPU (off by {worst:G3} here); the float64 gradient, outputs, parameter gradients and state were checked");
        }
        for (var i = 0; i < compareInputs; i++)
        {
            if (inGrads[i] is not { } expected) continue;
            Golden.AssertClose(expected, inputs[i].grad!, $"{name} input {i} grad", 1e-5, GradientTolerance(upstream, expected));
        }
    }

    private static Tensor[] Pair(Tuple<Tensor, Tensor> r) => new[] { r.Item1, r.Item2 };

    private static Tensor[] BatchFirst(Tuple<Tensor, Tensor> r) => new[] { r.Item1.transpose(0, 1), r.Item2 };
}
