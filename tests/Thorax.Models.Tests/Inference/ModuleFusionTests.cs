using System.Text.Json;
using Thorax.Models.Inference;
using Thorax.Models.Segmentation;
using Thorax.Models.Tests.Support;
using Thorax.Models.Weights;
using TorchSharp.Modules;
using InferenceFusionTests = Thorax.Models.Tests.Segmentation.InferenceFusionTests;

namespace Thorax.Models.Tests.Inference;

/// <summary>
/// <see cref="ModuleFusion.FuseForInference{T}"/> on TorchSharp layers and containers: batch-norm folding against
/// PyTorch's <c>fuse_conv_bn_eval</c> (tools/golden/nn/make_fusion_goldens.py) and against the unfused
/// evaluation-mode output; one-way semantics.
/// </summary>
public sealed class ModuleFusionTests
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

    private static (Convolution Conv, BatchNorm Bn) CreatePair(string name) => name switch
    {
        "conv2d_bias" => (nn.Conv2d(3, 4, 3, padding: 1), nn.BatchNorm2d(4)),
        "conv2d_nobias_eps" => (nn.Conv2d(2, 3, 3, padding: 1, bias: false), nn.BatchNorm2d(3, eps: 1e-3)),
        "conv2d_groups_nonaffine" => (nn.Conv2d(4, 6, 1, groups: 2), nn.BatchNorm2d(6, affine: false)),
        "conv_transpose2d" => (nn.ConvTranspose2d(3, 2, 3, stride: 2, padding: 1, output_padding: 1), nn.BatchNorm2d(2)),
        "conv_transpose2d_nobias" => (nn.ConvTranspose2d(2, 4, 2, stride: 2, bias: false), nn.BatchNorm2d(4)),
        "conv1d" => (nn.Conv1d(2, 3, 3, padding: 1), nn.BatchNorm1d(3)),
        _ => throw new ArgumentException(name),
    };

    private static void RandomiseBatchNorms(nn.Module module, ulong seed) =>
        InferenceFusionTests.RandomiseBatchNorms(module, seed, meanScale: 0.5, biasRange: 0.5);

    private static void AssertCloseRelative(Tensor expected, Tensor actual, string what, double rtol = 1e-4)
    {
        var scale = expected.abs().max().item<float>();
        Golden.AssertClose(expected, actual, what, rtol, rtol * Math.Max(scale, 1e-6));
    }

    private static nn.Module Child(Sequential seq, int index) => seq.named_children().ElementAt(index).module;

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Fold_MatchesPyTorchFuseConvBnEval(string name)
    {
        var c = Cases.Value[name];
        using var scope = torch.NewDisposeScope();
        var (conv, bn) = CreatePair(name);
        using var seq = nn.Sequential(("0", (nn.Module<Tensor, Tensor>)conv), ("1", bn));
        StateDicts.Load(conv, Golden.DecodeDict(c.GetProperty("conv")), strict: true, name);
        var bnLoad = StateDicts.Load(bn, Golden.DecodeDict(c.GetProperty("bn")), strict: false, name);
        Assert.Equal(new[] { "num_batches_tracked" }, bnLoad.MissingKeys);

        seq.FuseForInference();

        Assert.IsType<Identity>(Child(seq, 1));
        Assert.Same(conv, Child(seq, 0));
        Golden.AssertClose(Golden.Decode(c.GetProperty("fused_weight")), conv.weight, name + " weight", 1e-6, 1e-7);
        Golden.AssertClose(Golden.Decode(c.GetProperty("fused_bias")), conv.bias!, name + " bias", 1e-6, 1e-7);
        using var inference = torch.inference_mode();
        Golden.AssertClose(Golden.Decode(c.GetProperty("output")), seq.call(Golden.Decode(c.GetProperty("input"))), name + " output", 1e-5, 1e-5);
    }

    private static Sequential SmallNet(long seed)
    {
        torch.manual_seed(seed);
        return nn.Sequential(
            nn.Conv2d(3, 8, 3, padding: 1), nn.BatchNorm2d(8), nn.ReLU(),
            nn.Conv2d(8, 8, 3, padding: 1, bias: false), nn.Dropout(0.3), new DropBlock2d(3, 0.8), nn.BatchNorm2d(8, eps: 1e-3), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.ConvTranspose2d(8, 4, 2, stride: 2), nn.BatchNorm2d(4), nn.ReLU(),
            nn.Conv2d(4, 2, 1));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SmallSequential_FusedOutputEqualsUnfusedEvalOutput(bool inferenceMode)
    {
        using var scope = torch.NewDisposeScope();
        using var reference = SmallNet(7);
        using var fused = SmallNet(7);
        RandomiseBatchNorms(reference, 11);
        RandomiseBatchNorms(fused, 11);
        reference.eval();
        fused.FuseForInference();
        torch.manual_seed(3);
        var x = torch.randn(2, 3, 12, 10);
        var xCopy = x.clone();

        Tensor expected, actual;
        using (torch.inference_mode()) expected = reference.call(x);
        if (inferenceMode)
        {
            using (torch.inference_mode()) actual = fused.call(x);
        }
        else
        {
            actual = fused.call(x);
        }

        AssertCloseRelative(expected, actual, "fused output");
        Golden.AssertClose(xCopy, x, "input after forward", 0, 0);
        Assert.All(new[] { 1, 6, 10 }, i => Assert.IsType<Identity>(Child(fused, i)));
        Assert.IsType<Dropout>(Child(fused, 4));
        Assert.IsType<DropBlock2d>(Child(fused, 5));
    }

    [Fact]
    public void Fuse_ConvWithoutBias_GainsBias_AndBatchNormKeysDisappear()
    {
        using var scope = torch.NewDisposeScope();
        using var seq = nn.Sequential(nn.Conv2d(2, 3, 3, bias: false), nn.BatchNorm2d(3), nn.ReLU());
        Assert.DoesNotContain("0.bias", seq.state_dict().Keys);
        Assert.Contains("1.running_var", seq.state_dict().Keys);
        RandomiseBatchNorms(seq, 5);
        var bn = (BatchNorm2d)Child(seq, 1);
        var expectedBias = (-bn.running_mean!).mul((bn.running_var! + bn.eps).rsqrt()).mul(bn.weight).add(bn.bias!);

        seq.FuseForInference();

        Assert.Throws<InvalidOperationException>(() => bn.running_mean!.sum()); // the folded batch norm was disposed
        var after = seq.state_dict();
        Assert.Equal(new[] { "0.weight", "0.bias" }, after.Keys.ToArray());
        Golden.AssertClose(expectedBias, after["0.bias"], "bias of a bias-free conv", 1e-6, 1e-7);
    }

    [Fact]
    public void Fuse_Twice_IsANoOp()
    {
        using var scope = torch.NewDisposeScope();
        using var seq = SmallNet(1);
        RandomiseBatchNorms(seq, 2);
        seq.FuseForInference();
        var first = seq.named_parameters().ToList();
        var values = first.Select(p => p.parameter.clone()).ToList();

        seq.FuseForInference();

        var second = seq.named_parameters().ToList();
        Assert.Equal(first.Select(p => p.name), second.Select(p => p.name));
        for (var i = 0; i < first.Count; i++)
        {
            Assert.Same(first[i].parameter, second[i].parameter);
            Golden.AssertClose(values[i], second[i].parameter, first[i].name, 0, 0);
        }
    }

    [Fact]
    public void Fuse_MarksTheWholeTree_AndSwitchesItToEval()
    {
        using var scope = torch.NewDisposeScope();
        using var outer = nn.Sequential(("body", SmallNet(3)), ("head", nn.Sigmoid()));
        Assert.False(outer.IsFusedForInference());
        outer.FuseForInference();
        Assert.True(outer.IsFusedForInference());
        Assert.All(outer.named_modules(), m => Assert.True(m.module.IsFusedForInference(), m.name));
        Assert.All(outer.named_modules(), m => Assert.False(m.module.training, m.name));
    }

    [Fact]
    public void Fuse_BatchNormWithoutRunningStats_IsLeftInPlace()
    {
        using var scope = torch.NewDisposeScope();
        using var seq = nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3, track_running_stats: false));
        var weight = ((Conv2d)Child(seq, 0)).weight;
        seq.FuseForInference();
        Assert.IsType<BatchNorm2d>(Child(seq, 1));
        Assert.Same(weight, ((Conv2d)Child(seq, 0)).weight);
    }

    [Fact]
    public void Fuse_BatchNormNotAfterConvolution_IsLeftInPlace()
    {
        using var scope = torch.NewDisposeScope();
        using var seq = nn.Sequential(nn.Conv2d(2, 3, 1), nn.ReLU(), nn.BatchNorm2d(3));
        seq.FuseForInference();
        Assert.IsType<BatchNorm2d>(Child(seq, 2));
    }

    [Fact]
    public void FusedForward_HookedProducer_SeesItsOutputUnrectified()
    {
        using var scope = torch.NewDisposeScope();
        using var seq = nn.Sequential(nn.Conv2d(2, 4, 1), nn.BatchNorm2d(4), nn.ReLU());
        RandomiseBatchNorms(seq, 9);
        seq.FuseForInference();
        Tensor? captured = null;
        var conv = (Conv2d)Child(seq, 0);
        conv.register_forward_hook((_, _, output) => { captured = output.clone(); return output; });
        torch.manual_seed(4);
        var x = torch.randn(1, 2, 5, 5);
        using (torch.inference_mode()) seq.call(x);
        Assert.NotNull(captured);
        Assert.True(captured!.min().item<float>() < 0, "the hooked convolution output must not have been rectified in place");
    }

    [Fact]
    public void FusedForward_ReluFirst_DoesNotModifyTheCallersInput()
    {
        using var scope = torch.NewDisposeScope();
        using var seq = nn.Sequential(nn.Identity(), nn.ReLU(), nn.Conv2d(2, 2, 1));
        seq.FuseForInference();
        var x = torch.tensor(new float[] { -1, 2, -3, 4, -5, 6, -7, 8 }).reshape(1, 2, 2, 2);
        using (torch.inference_mode()) seq.call(x);
        Assert.Equal(new float[] { -1, 2, -3, 4, -5, 6, -7, 8 }, Golden.Floats(x));
    }

    [Fact]
    public void ReplaceChild_CustomModule_KeepsTheChildOrder_UnknownNameIsNamed()
    {
        var holder = new Holder();
        Assert.Equal(new[] { "a", "b", "c" }, holder.named_children().Select(c => c.name));
        var replacement = nn.Identity();
        ModuleFusion.ReplaceChild(holder, "b", replacement);
        Assert.Equal(new[] { "a", "b", "c" }, holder.named_children().Select(c => c.name));
        Assert.Same(replacement, holder.named_children().ElementAt(1).module);
        Assert.Equal(new[] { "a.weight", "a.bias", "c.weight", "c.bias" }, holder.state_dict().Keys);
        var ex = Assert.Throws<ArgumentException>(() => ModuleFusion.ReplaceChild(holder, "zz", nn.Identity()));
        Assert.Contains("zz", ex.Message);
    }

    private sealed class Holder : nn.Module<Tensor, Tensor>
    {
        public Holder() : base(nameof(Holder))
        {
            register_module("a", nn.Conv2d(1, 2, 1));
            register_module("b", nn.BatchNorm2d(2));
            register_module("c", nn.Conv2d(2, 2, 1));
        }

        public override Tensor forward(Tensor input) => throw new NotSupportedException();
    }
}
