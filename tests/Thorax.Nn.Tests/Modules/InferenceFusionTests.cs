using System.Text.Json;
using Thorax.Nn.Tests.Support;

namespace Thorax.Nn.Tests.Modules;

/// <summary>
/// <see cref="Module.FuseForInference"/>: batch-norm folding against PyTorch's <c>fuse_conv_bn_eval</c>
/// (tools/golden/nn/make_fusion_goldens.py) and against the unfused evaluation-mode output; one-way semantics.
/// </summary>
public sealed class InferenceFusionTests
{
    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() =>
    {
        using var doc = Golden.Json("fusion.json");
        return doc.RootElement.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    });

    public static TheoryData<string> CaseNames()
    {
        var d = new TheoryData<string>();
        foreach (var n in Cases.Value.Keys) d.Add(n);
        return d;
    }

    private static (Module<Tensor, Tensor> Conv, BatchNorm Bn) CreatePair(string name) => name switch
    {
        "conv2d_bias" => (new Conv2d(3, 4, 3, padding: 1), new BatchNorm2d(4)),
        "conv2d_nobias_eps" => (new Conv2d(2, 3, 3, padding: 1, bias: false), new BatchNorm2d(3, eps: 1e-3)),
        "conv2d_groups_nonaffine" => (new Conv2d(4, 6, 1, groups: 2), new BatchNorm2d(6, affine: false)),
        "conv_transpose2d" => (new ConvTranspose2d(3, 2, 3, stride: 2, padding: 1, outputPadding: 1), new BatchNorm2d(2)),
        "conv_transpose2d_nobias" => (new ConvTranspose2d(2, 4, 2, stride: 2, bias: false), new BatchNorm2d(4)),
        "conv1d" => (new Conv1d(2, 3, 3, padding: 1), new BatchNorm1d(3)),
        _ => throw new ArgumentException(name),
    };

    /// <summary>Random running statistics and affine parameters, so that folding is not close to the identity.</summary>
    internal static void RandomiseBatchNorms(Module module, int seed)
    {
        using var g = new Generator(seed);
        using var noGrad = Torch.NoGrad();
        foreach (var (_, m) in module.NamedModules())
        {
            if (m is not BatchNorm bn) continue;
            var n = bn.NumFeatures;
            using (var mean = Torch.Randn(new[] { n }, g)) bn.RunningMean!.Copy_(mean.Mul(0.5));
            Torch.Uniform_(bn.RunningVar!, 0.3, 2.5, g);
            if (bn.Weight is { } w) Torch.Uniform_(w, 0.5, 1.5, g);
            if (bn.Bias is { } b) Torch.Uniform_(b, -0.5, 0.5, g);
        }
    }

    private static void AssertCloseRelative(Tensor expected, Tensor actual, string what, double rtol = 1e-4)
    {
        using var abs = expected.Abs();
        var scale = abs.Max().Item();
        Golden.AssertClose(expected, actual, what, rtol, rtol * Math.Max(scale, 1e-6));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Fold_MatchesPyTorchFuseConvBnEval(string name)
    {
        var c = Cases.Value[name];
        using var scope = Torch.NewScope();
        var (conv, bn) = CreatePair(name);
        using var seq = new Sequential(conv, bn);
        using (var convSd = Golden.DecodeDict(c.GetProperty("conv"))) conv.LoadStateDict(convSd);
        using (var bnSd = Golden.DecodeDict(c.GetProperty("bn"))) bn.LoadStateDict(bnSd, strict: false);

        seq.FuseForInference();

        Assert.IsType<Identity>(seq[1]);
        Assert.Same(conv, seq[0]);
        var w = conv.NamedParameters().Single(p => p.Name == "weight").Parameter;
        var b = conv.NamedParameters().Single(p => p.Name == "bias").Parameter;
        Golden.AssertClose(Golden.Decode(c.GetProperty("fused_weight")), w, name + " weight", 1e-6, 1e-7);
        Golden.AssertClose(Golden.Decode(c.GetProperty("fused_bias")), b, name + " bias", 1e-6, 1e-7);
        using var inference = Torch.InferenceMode();
        Golden.AssertClose(Golden.Decode(c.GetProperty("output")), seq.Forward(Golden.Decode(c.GetProperty("input"))), name + " output", 1e-5, 1e-5);
    }

    private static Sequential SmallNet(int seed)
    {
        using var g = new Generator(seed);
        return new Sequential(
            new Conv2d(3, 8, 3, padding: 1, generator: g), new BatchNorm2d(8), new Relu(),
            new Conv2d(8, 8, 3, padding: 1, bias: false, generator: g), new Dropout(0.3), new BatchNorm2d(8, eps: 1e-3), new Relu(),
            new MaxPool2d(2),
            new ConvTranspose2d(8, 4, 2, stride: 2, generator: g), new BatchNorm2d(4), new Relu(),
            new Conv2d(4, 2, 1, generator: g));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SmallSequential_FusedOutputEqualsUnfusedEvalOutput(bool inferenceMode)
    {
        using var scope = Torch.NewScope();
        using var reference = SmallNet(7);
        using var fused = SmallNet(7);
        RandomiseBatchNorms(reference, 11);
        RandomiseBatchNorms(fused, 11);
        reference.Eval();
        fused.FuseForInference();
        Torch.ManualSeed(3);
        var x = Torch.Randn(2, 3, 12, 10);
        using var xCopy = x.Clone();

        Tensor expected, actual;
        using (Torch.InferenceMode()) expected = reference.Forward(x);
        if (inferenceMode)
        {
            using (Torch.InferenceMode()) actual = fused.Forward(x);
        }
        else
        {
            actual = fused.Forward(x);
        }

        AssertCloseRelative(expected, actual, "fused output");
        Golden.AssertClose(xCopy, x, "input after forward", 0, 0);
        Assert.All(new[] { 1, 5, 9 }, i => Assert.IsType<Identity>(fused[i]));
    }

    [Fact]
    public void Fuse_ConvWithoutBias_GainsBias_AndBatchNormKeysDisappear()
    {
        using var scope = Torch.NewScope();
        using var seq = new Sequential(new Conv2d(2, 3, 3, bias: false), new BatchNorm2d(3), new Relu());
        using (var before = seq.StateDict())
        {
            Assert.False(before.ContainsKey("0.bias"));
            Assert.True(before.ContainsKey("1.running_var"));
        }
        RandomiseBatchNorms(seq, 5);
        var bn = (BatchNorm2d)seq[1];
        using var expectedBias = bn.RunningMean!.Neg().Mul(bn.RunningVar!.Add(bn.Eps).Rsqrt()).Mul(bn.Weight!).Add(bn.Bias!);

        seq.FuseForInference();

        Assert.True(bn.IsDisposed);
        using var after = seq.StateDict();
        Assert.Equal(new[] { "0.weight", "0.bias" }, after.Keys.ToArray());
        Golden.AssertClose(expectedBias, after["0.bias"], "bias of a bias-free conv", 1e-6, 1e-7);
    }

    [Fact]
    public void Fuse_Twice_IsANoOp()
    {
        using var scope = Torch.NewScope();
        using var seq = SmallNet(1);
        RandomiseBatchNorms(seq, 2);
        seq.FuseForInference();
        var first = seq.NamedParameters().ToList();
        var values = first.Select(p => p.Parameter.Clone()).ToList();

        seq.FuseForInference();

        var second = seq.NamedParameters().ToList();
        Assert.Equal(first.Select(p => p.Name), second.Select(p => p.Name));
        for (var i = 0; i < first.Count; i++)
        {
            Assert.Same(first[i].Parameter, second[i].Parameter);
            Golden.AssertClose(values[i], second[i].Parameter, first[i].Name, 0, 0);
        }
    }

    [Fact]
    public void Train_AfterFuse_Throws_EvalStillWorks()
    {
        using var scope = Torch.NewScope();
        using var outer = new Sequential(("body", SmallNet(3)), ("head", new Sigmoid()));
        outer.FuseForInference();
        Assert.True(outer.IsFusedForInference);
        Assert.All(outer.NamedModules(), m => Assert.True(m.Module.IsFusedForInference, m.Name));
        Assert.False(outer.IsTraining);
        var ex = Assert.Throws<InvalidOperationException>(() => outer.Train());
        Assert.Contains("FuseForInference", ex.Message);
        Assert.Throws<InvalidOperationException>(() => outer.GetSubmodule("body.0").Train());
        outer.Eval();
        Assert.False(outer.IsTraining);
    }

    [Fact]
    public void Fuse_BatchNormWithoutRunningStats_IsLeftInPlace()
    {
        using var scope = Torch.NewScope();
        using var seq = new Sequential(new Conv2d(2, 3, 1), new BatchNorm2d(3, trackRunningStats: false));
        var weight = ((Conv2d)seq[0]).Weight;
        seq.FuseForInference();
        Assert.IsType<BatchNorm2d>(seq[1]);
        Assert.Same(weight, ((Conv2d)seq[0]).Weight);
    }

    [Fact]
    public void Fuse_BatchNormNotAfterConvolution_IsLeftInPlace()
    {
        using var scope = Torch.NewScope();
        using var seq = new Sequential(new Conv2d(2, 3, 1), new Relu(), new BatchNorm2d(3));
        seq.FuseForInference();
        Assert.IsType<BatchNorm2d>(seq[2]);
    }

    [Fact]
    public void FusedForward_HookedProducer_SeesItsOutputUnchangedByTheInPlaceRelu()
    {
        using var scope = Torch.NewScope();
        using var seq = new Sequential(new Conv2d(2, 4, 1), new BatchNorm2d(4), new Relu());
        RandomiseBatchNorms(seq, 9);
        seq.FuseForInference();
        Tensor? captured = null;
        using var hook = ((Conv2d)seq[0]).RegisterForwardHook((_, _, output) => captured = output.Alias().DetachFromScope());
        Torch.ManualSeed(4);
        var x = Torch.Randn(1, 2, 5, 5);
        using (Torch.InferenceMode()) seq.Forward(x);
        Assert.NotNull(captured);
        using (captured)
            Assert.True(captured!.Min().Item() < 0, "the hooked convolution output must not have been rectified in place");
    }

    [Fact]
    public void FusedForward_ReluFirst_DoesNotModifyTheCallersInput()
    {
        using var scope = Torch.NewScope();
        using var seq = new Sequential(new Identity(), new Relu(), new Conv2d(2, 2, 1));
        seq.FuseForInference();
        var x = Torch.FromArray(new float[] { -1, 2, -3, 4, -5, 6, -7, 8 }).Reshape(1, 2, 2, 2);
        using (Torch.InferenceMode()) seq.Forward(x);
        Assert.Equal(new float[] { -1, 2, -3, 4, -5, 6, -7, 8 }, x.ToArray<float>());
    }
}
