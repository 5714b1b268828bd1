using Thorax.Models.Inference;
using Thorax.Models.Segmentation;
using TorchSharp.Modules;

namespace Thorax.Models.Tests.Segmentation;

/// <summary>
/// <see cref="ModuleFusion.FuseForInference{T}"/> on the four lung-segmentation networks: after randomising every batch
/// norm's running statistics and affine parameters, the fused network's output equals the unfused evaluation-mode output
/// within 1e-4 (relative to the output's scale), every batch norm is gone, and training is refused.
/// </summary>
public sealed class InferenceFusionTests
{
    private static nn.Module<Tensor, Tensor> Create(string name) => name switch
    {
        "unet-dropout" => new UNet(1, 2, new long[] { 4, 8, 16 }, dropout: 0.2),
        "unetpp" => new UNetPlusPlus(1, 1, new long[] { 4, 8, 16 }),
        "unetpp-fast" => new UNetPlusPlus(1, 1, new long[] { 4, 8, 16 }, mode: UNetPlusPlusMode.Fast, fastHead: 1),
        "attention-unet" => new AttentionUNet(1, 1, new long[] { 4, 8, 16 }),
        "sa-unet" => new SAUNet(1, 1, startChannels: 4, levels: 2, keepProb: 0.8),
        _ => SegmentationModels.Create(name, 1, 1, baseChannels: 4),
    };

    internal static void RandomiseBatchNorms(nn.Module module, ulong seed, double meanScale = 0.3, double biasRange = 0.3)
    {
        using var g = new torch.Generator(seed);
        using var noGrad = torch.no_grad();
        foreach (var m in module.modules())
        {
            if (m is not BatchNorm bn) continue;
            if (bn.running_mean is { } mean)
            {
                using (var r = torch.randn(new[] { bn.num_features }, generator: g)) mean.copy_(r.mul(meanScale));
                bn.running_var!.uniform_(0.3, 2.5, g);
            }
            if (bn.affine)
            {
                bn.weight.uniform_(0.5, 1.5, g);
                bn.bias!.uniform_(-biasRange, biasRange, g);
            }
        }
    }

    [Theory]
    [InlineData("unet")]
    [InlineData("unet-dropout")]
    [InlineData("unetpp")]
    [InlineData("unetpp-fast")]
    [InlineData("attention-unet")]
    [InlineData("sa-unet")]
    public void Fused_EqualsUnfusedEval(string name)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        using var reference = Create(name);
        torch.manual_seed(1);
        using var fused = Create(name);
        RandomiseBatchNorms(reference, 17);
        RandomiseBatchNorms(fused, 17);
        Assert.Contains(reference.modules(), m => m is BatchNorm);
        reference.eval();

        fused.FuseForInference();

        Assert.DoesNotContain(fused.modules(), m => m is BatchNorm);
        Assert.DoesNotContain(fused.state_dict().Keys, k => k.EndsWith(".running_mean", StringComparison.Ordinal));
        Assert.True(fused.IsFusedForInference());
        var ex = Assert.Throws<InvalidOperationException>(() => fused.train());
        Assert.Contains("FuseForInference", ex.Message);
        Assert.False(fused.training);

        torch.manual_seed(2);
        var x = torch.randn(2, 1, 20, 24);
        Tensor expected, actual, actualWithGrad;
        using (torch.inference_mode())
        {
            expected = reference.call(x);
            actual = fused.call(x);
        }
        actualWithGrad = fused.call(x);
        var atol = 1e-4 * expected.abs().max().item<float>();
        SegmentationGolden.AssertClose(expected, actual, name + " fused (inference mode)", 1e-4, atol);
        SegmentationGolden.AssertClose(expected, actualWithGrad, name + " fused (grad mode)", 1e-4, atol);
    }

    [Fact]
    public void Fused_UNetPlusPlusHeads_EqualUnfusedHeads()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        using var reference = new UNetPlusPlus(1, 1, new long[] { 4, 8, 16 });
        torch.manual_seed(5);
        using var fused = new UNetPlusPlus(1, 1, new long[] { 4, 8, 16 });
        RandomiseBatchNorms(reference, 3);
        RandomiseBatchNorms(fused, 3);
        reference.eval();
        fused.FuseForInference();
        var x = torch.randn(1, 1, 16, 16);
        using var inference = torch.inference_mode();
        var e = reference.ForwardHeads(x);
        var a = fused.ForwardHeads(x);
        Assert.Equal(e.Length, a.Length);
        for (var i = 0; i < e.Length; i++) SegmentationGolden.AssertClose(e[i], a[i], $"head {i + 1}", 1e-4, 1e-5);
    }

    [Fact]
    public void Fuse_Twice_IsANoOp()
    {
        using var scope = torch.NewDisposeScope();
        using var model = Create("sa-unet");
        RandomiseBatchNorms(model, 1);
        model.FuseForInference();
        var before = model.named_parameters().ToList();
        model.FuseForInference();
        var after = model.named_parameters().ToList();
        Assert.Equal(before.Select(p => p.name), after.Select(p => p.name));
        for (var i = 0; i < before.Count; i++) Assert.Same(before[i].parameter, after[i].parameter);
    }

    [Fact]
    public void Fuse_KeepsTheKeyOrderOfTheRemainingParameters()
    {
        using var model = new UNetPlusPlus(1, 1, new long[] { 2, 4 });
        var expected = model.state_dict().Keys.Where(k => k.Contains(".conv") || k.StartsWith("final", StringComparison.Ordinal)).ToList();
        model.FuseForInference();
        Assert.Equal(expected, model.state_dict().Keys.ToList());
    }
}
