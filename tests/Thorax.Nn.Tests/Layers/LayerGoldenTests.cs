using System.Text.Json;
using Thorax.Nn.Tests.Support;

namespace Thorax.Nn.Tests.Layers;

/// <summary>Forward and backward of every layer against PyTorch 1.13 (tools/golden/nn/make_nn_goldens.py).</summary>
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

    private static Module Create(string name) => name switch
    {
        "linear" => new Linear(4, 3),
        "linear_nobias_3d" => new Linear(5, 2, bias: false),
        "conv1d" => new Conv1d(2, 3, 3, padding: 1),
        "conv2d" => new Conv2d(2, 3, 3, stride: 2, padding: 1),
        "conv2d_reflect_groups" => new Conv2d(4, 4, 3, padding: 1, groups: 2, paddingMode: PaddingMode.Reflect),
        "conv_transpose2d" => new ConvTranspose2d(3, 2, 3, stride: 2, padding: 1, outputPadding: 1),
        "batchnorm2d_train" => new BatchNorm2d(3, momentum: 0.2),
        "batchnorm1d_cumulative" => new BatchNorm1d(4, momentum: null),
        "batchnorm2d_eval" => new BatchNorm2d(3).Eval(),
        "groupnorm" => new GroupNorm(2, 4),
        "layernorm" => new LayerNorm(5),
        "instancenorm2d" => new InstanceNorm2d(3, affine: true),
        "embedding_padding" => new Embedding(6, 4, paddingIdx: 0),
        "mha_batch_first_kpm" => new MultiheadAttention(8, 2, batchFirst: true),
        "mha_self_causal" => new MultiheadAttention(6, 3),
        "maxpool2d" => new MaxPool2d(3, 2, 1),
        "avgpool2d" => new AvgPool2d(3, 2, 1, countIncludePad: false),
        "adaptive_avgpool2d" => new AdaptiveAvgPool2d(2, 3),
        "upsample_bilinear" => Upsample.ByScale(2, InterpolationMode.Bilinear, alignCorners: false),
        "upsample_nearest_size" => Upsample.ToSize(5, 4),
        "flatten" => new Flatten(),
        "relu" => new Relu(),
        "leaky_relu" => new LeakyRelu(0.2),
        "gelu" => new Gelu(),
        "gelu_tanh" => new Gelu(tanhApproximation: true),
        "silu" => new Silu(),
        "sigmoid" => new Sigmoid(),
        "tanh" => new Tanh(),
        "softmax" => new Softmax(1),
        _ => throw new ArgumentException("no factory for golden case " + name),
    };

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void ForwardBackward_MatchesPyTorch(string name)
    {
        var c = Cases.Value[name];
        using var scope = Torch.NewScope();
        using var module = Create(name);
        using (var w = Golden.DecodeDict(c.GetProperty("weights"))) module.LoadStateDict(w);

        var inputs = c.GetProperty("inputs").EnumerateArray().Select(Golden.Decode).ToArray();
        foreach (var x in inputs)
            if (x.DType.IsFloatingPoint()) x.RequiresGrad = true;

        Tensor[] outputs = module switch
        {
            Module<Tensor, Tensor> m => new[] { m.Forward(inputs[0]) },
            MultiheadAttention mha when name == "mha_self_causal" => Pair(mha.Forward(inputs[0], inputs[0], inputs[0], attnMask: inputs[1])),
            MultiheadAttention mha => Pair(mha.Forward(inputs[0], inputs[1], inputs[2], keyPaddingMask: inputs[3])),
            _ => throw new InvalidOperationException(),
        };

        var expectedOut = c.GetProperty("outputs").EnumerateArray().Select(Golden.Decode).ToArray();
        Assert.Equal(expectedOut.Length, outputs.Length);
        for (var i = 0; i < outputs.Length; i++) Golden.AssertClose(expectedOut[i], outputs[i], $"{name} output {i}");

        var gos = c.GetProperty("grad_outputs").EnumerateArray().Select(Golden.Decode).ToArray();
        var loss = outputs[0].Mul(gos[0]).Sum();
        for (var i = 1; i < outputs.Length; i++) loss = loss.Add(outputs[i].Mul(gos[i]).Sum());
        loss.Backward();

        var inGrads = c.GetProperty("input_grads").EnumerateArray().ToArray();
        // Only the first input's gradient is compared for the self-attention case (the others are masks).
        var compareInputs = name == "mha_self_causal" ? 1 : inputs.Length;
        for (var i = 0; i < compareInputs; i++)
        {
            if (inGrads[i].ValueKind == JsonValueKind.Null) continue;
            Golden.AssertClose(Golden.Decode(inGrads[i]), inputs[i].Grad!, $"{name} input {i} grad");
        }
        var named = module.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var p in c.GetProperty("param_grads").EnumerateObject())
            Golden.AssertClose(Golden.Decode(p.Value), named[p.Name].Grad!, $"{name} {p.Name} grad");

        using var after = module.StateDict();
        foreach (var p in c.GetProperty("state_after").EnumerateObject())
            Golden.AssertClose(Golden.Decode(p.Value), after[p.Name], $"{name} state {p.Name}");
    }

    private static Tensor[] Pair((Tensor Output, Tensor? Weights) r) => new[] { r.Output, r.Weights! };
}
