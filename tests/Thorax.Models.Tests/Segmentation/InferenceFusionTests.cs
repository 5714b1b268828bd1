using Thorax.Models.Segmentation;
using Thorax.Nn;

namespace Thorax.Models.Tests.Segmentation;

/// <summary>
/// <see cref="Module.FuseForInference"/> on the four lung-segmentation networks: after randomising every batch norm's
/// running statistics and affine parameters, the fused network's output equals the unfused evaluation-mode output
/// within 1e-4 (relative to the output's scale), every batch norm is gone, and training is refused.
/// </summary>
public sealed class InferenceFusionTests
{
    private static Module<Tensor, Tensor> Create(string name) => name switch
    {
        "unet-dropout" => new UNet(1, 2, new long[] { 4, 8, 16 }, dropout: 0.2),
        "unetpp" => new UNetPlusPlus(1, 1, new long[] { 4, 8, 16 }),
        "unetpp-fast" => new UNetPlusPlus(1, 1, new long[] { 4, 8, 16 }, mode: UNetPlusPlusMode.Fast, fastHead: 1),
        "attention-unet" => new AttentionUNet(1, 1, new long[] { 4, 8, 16 }),
        "sa-unet" => new SAUNet(1, 1, startChannels: 4, levels: 2, keepProb: 0.8),
        _ => SegmentationModels.Create(name, 1, 1, baseChannels: 4),
    };

    private static void RandomiseBatchNorms(Module module, long seed)
    {
        using var g = new Generator(seed);
        using var noGrad = Torch.NoGrad();
        foreach (var (_, m) in module.NamedModules())
        {
            if (m is not BatchNorm bn) continue;
            using (var mean = Torch.Randn(new[] { bn.NumFeatures }, g)) bn.RunningMean!.Copy_(mean.Mul(0.3));
            Torch.Uniform_(bn.RunningVar!, 0.3, 2.5, g);
            Torch.Uniform_(bn.Weight!, 0.5, 1.5, g);
            Torch.Uniform_(bn.Bias!, -0.3, 0.3, g);
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
        using var scope = Torch.NewScope();
        Torch.ManualSeed(1);
        using var reference = Create(name);
        Torch.ManualSeed(1);
        using var fused = Create(name);
        RandomiseBatchNorms(reference, 17);
        RandomiseBatchNorms(fused, 17);
        var batchNorms = reference.NamedModules().Count(m => m.Module is BatchNorm);
        Assert.True(batchNorms > 0);
        reference.Eval();

        fused.FuseForInference();

        Assert.DoesNotContain(fused.NamedModules(), m => m.Module is BatchNorm);
        using (var sd = fused.StateDict())
            Assert.DoesNotContain(sd.Keys, k => k.EndsWith(".running_mean", StringComparison.Ordinal));
        Assert.Throws<InvalidOperationException>(() => fused.Train());

        Torch.ManualSeed(2);
        var x = Torch.Randn(2, 1, 20, 24);
        Tensor expected, actual, actualWithGrad;
        using (Torch.InferenceMode())
        {
            expected = reference.Forward(x);
            actual = fused.Forward(x);
        }
        actualWithGrad = fused.Forward(x);
        using var abs = expected.Abs();
        var atol = 1e-4 * abs.Max().Item();
        SegmentationGolden.AssertClose(expected, actual, name + " fused (inference mode)", 1e-4, atol);
        SegmentationGolden.AssertClose(expected, actualWithGrad, name + " fused (grad mode)", 1e-4, atol);
    }

    [Fact]
    public void Fused_UNetPlusPlusHeads_EqualUnfusedHeads()
    {
        using var scope = Torch.NewScope();
        Torch.ManualSeed(5);
        using var reference = new UNetPlusPlus(1, 1, new long[] { 4, 8, 16 });
        Torch.ManualSeed(5);
        using var fused = new UNetPlusPlus(1, 1, new long[] { 4, 8, 16 });
        RandomiseBatchNorms(reference, 3);
        RandomiseBatchNorms(fused, 3);
        reference.Eval();
        fused.FuseForInference();
        var x = Torch.Randn(1, 1, 16, 16);
        using var inference = Torch.InferenceMode();
        var e = reference.ForwardHeads(x);
        var a = fused.ForwardHeads(x);
        Assert.Equal(e.Length, a.Length);
        for (var i = 0; i < e.Length; i++) SegmentationGolden.AssertClose(e[i], a[i], $"head {i + 1}", 1e-4, 1e-5);
    }

    [Fact]
    public void Fuse_Twice_IsANoOp()
    {
        using var scope = Torch.NewScope();
        using var model = Create("sa-unet");
        RandomiseBatchNorms(model, 1);
        model.FuseForInference();
        var before = model.NamedParameters().Select(p => (p.Name, p.Parameter)).ToList();
        model.FuseForInference();
        var after = model.NamedParameters().Select(p => (p.Name, p.Parameter)).ToList();
        Assert.Equal(before.Count, after.Count);
        for (var i = 0; i < before.Count; i++)
        {
            Assert.Equal(before[i].Name, after[i].Name);
            Assert.Same(before[i].Parameter, after[i].Parameter);
        }
    }
}
