using System.Text.Json;
using Thorax.Models.Encoders;
using Thorax.Models.Inference;
using Thorax.Models.Saliency;
using Thorax.Models.Tests.Segmentation;
using Thorax.Models.Tests.Support;
using Xunit.Abstractions;

namespace Thorax.Models.Tests.Saliency;

/// <summary>
/// <see cref="ModuleFusion.FuseForInference{T}"/> on the multi-task saliency networks: the dual-encoder
/// <see cref="GazeMtlUNet"/> (Res-SE blocks, DenseNet stem and dense layers, decoder and saliency head) and the
/// <see cref="MtUNet"/> baseline. With every batch norm's statistics and affine parameters randomised, the fused
/// network's class logits, saliency logits and log-probabilities equal the unfused evaluation-mode outputs within 1e-4
/// relative to each output's largest magnitude; the only batch norms left are the DenseNet's pre-activation ones
/// (norm1, transition norms, norm5: a ReLU sits between them and the next convolution). The authors' golden
/// (mtl_unet.json) still holds after fusion at its own tolerance.
/// </summary>
public class SaliencyFusionTests(ITestOutputHelper output)
{
    private static GazeMtlUNet SmallDual() =>
        new([16, 32, 48, 64, 80], 3, new DenseNet("tiny", 8, [2, 2, 2, 2], 16, numClasses: 3, inChans: 3));

    [Theory]
    [InlineData("dual")]
    [InlineData("mtunet")]
    public void Fused_EqualsUnfusedEval(string kind)
    {
        using var scope = NewDisposeScope();
        using var pair = new FusionPair<nn.Module<Tensor, (Tensor ClassLogits, Tensor SaliencyLogits)>>(() =>
        {
            torch.manual_seed(3);
            return kind == "dual" ? SmallDual() : new MtUNet([8, 16, 32, 64, 128]);
        }, 11);
        var (fused, left) = (pair.Fused, pair.Left);
        output.WriteLine($"{kind}: {pair.BatchNormsBefore} batch norms, {left.Count} left: {string.Join(", ", left.Take(6))}{(left.Count > 6 ? ", ..." : "")}");
        if (kind == "dual")
            Assert.All(left, n => Assert.Matches(@"^model\.features\.(denseblock\d\.denselayer\d+\.norm1|transition\d\.norm|norm5)$", n));
        else
            Assert.Empty(left);
        Assert.True(fused.IsFusedForInference());
        Assert.Contains("FuseForInference", Assert.Throws<InvalidOperationException>(() => fused.train()).Message);

        torch.manual_seed(4);
        var x = torch.rand(2, 1, 64, 64);
        using var inference = torch.inference_mode();
        var (el, es) = pair.Reference.call(x);
        var (al, @as) = fused.call(x);
        FusionPair.AssertClose(output, $"{kind} class logits", el, al);
        FusionPair.AssertClose(output, $"{kind} saliency logits", es, @as);
        FusionPair.AssertClose(output, $"{kind} log-probabilities", SaliencyLayers.LogSoftmaxOverPixels(es), SaliencyLayers.LogSoftmaxOverPixels(@as));
    }

    [Fact]
    public void Fused_ReferenceWidth_StillMatchesTheAuthorsGolden()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Golden.PathOf("saliency", "mtl_unet.json")));
        var root = doc.RootElement;
        var e = root.GetProperty("models").GetProperty("final");
        using var scope = NewDisposeScope();
        using var net = new GazeMtlUNet();
        SaliencyWeights.Load(net, HashedWeights.FromKeyList(e.GetProperty("keys")), "mtl_unet.json final");
        net.FuseForInference();
        using var _ = inference_mode();
        var (logits, saliency) = net.call(Golden.Decode(root.GetProperty("input")));
        var logp = SaliencyLayers.LogSoftmaxOverPixels(saliency);
        output.WriteLine($"fused vs golden: logits {Golden.Diff(Golden.Decode(e.GetProperty("class_logits")), logits)}, log P {Golden.Diff(Golden.Decode(e.GetProperty("log_probabilities")), logp)}");
        Golden.AssertClose(Golden.Decode(e.GetProperty("class_logits")), logits, "fused class logits", rtol: 1e-4, atol: 1e-5);
        Golden.AssertClose(Golden.Decode(e.GetProperty("saliency_logits")), saliency, "fused saliency logits", rtol: 1e-4, atol: 1e-5);
        Golden.AssertClose(Golden.Decode(e.GetProperty("log_probabilities")), logp, "fused log-probabilities", rtol: 1e-4, atol: 1e-5);
    }

    [Fact]
    public void UnfusedEval_InferenceModeInPlacePath_EqualsGradModePath()
    {
        // ResidualBlock adds and rectifies in place when no gradient is recorded; the result must be the graph path's.
        using var scope = NewDisposeScope();
        torch.manual_seed(6);
        using var block = new ResidualBlock(5, 16);
        InferenceFusionTests.RandomiseBatchNorms(block, 2);
        block.eval();
        var x = torch.randn(2, 5, 12, 10);
        var withGrad = block.call(x);
        Tensor inPlace;
        using (torch.inference_mode()) inPlace = block.call(x);
        Assert.True(withGrad.requires_grad);
        Assert.Equal(0.0, withGrad.detach().sub(inPlace).abs().max().item<float>());
    }
}
