using Thorax.Models.Encoders;
using Thorax.Models.Inference;
using Thorax.Models.Segmentation;
using Thorax.Models.Tests.Support;
using Xunit.Abstractions;

namespace Thorax.Models.Tests.Encoders;

/// <summary>
/// <see cref="ModuleFusion.FuseForInference{T}"/> on the ResNet encoders (stem bn1, every block's bn1..bn3 and the
/// downsample pairs) and on the cascade's FPN segmenter over ResNet-18 (its GroupNorms stay: they normalise with the
/// map's own statistics). With every batch norm's statistics and affine parameters randomised, the fused network's
/// outputs equal the unfused evaluation-mode outputs within 1e-4 of the output's largest magnitude, and no batch norm is
/// left.
/// </summary>
public class ResNetFusionTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    [InlineData("resnet18-onnx-padding")]
    [InlineData("fpn-resnet18")]
    public void Fused_EqualsUnfusedEval_AndNoBatchNormIsLeft(string kind)
    {
        using var scope = NewDisposeScope();
        using var pair = new FusionPair<nn.Module<Tensor, Tensor>>(() =>
        {
            torch.manual_seed(5);
            return kind switch
            {
                "resnet18" => ResNet.ResNet18(inChans: 1, numClasses: 3),
                "resnet50" => ResNet.ResNet50(numClasses: 2),
                "resnet18-onnx-padding" => ResNet.ResNet18(numClasses: 4, padding: ResNetPadding.Cntk),
                _ => new Fpn(ResNet.ResNet18(), 1, 64, 32),
            };
        }, 21);
        output.WriteLine($"{kind}: {pair.BatchNormsBefore} batch norms folded, {pair.Left.Count} left");
        Assert.True(pair.BatchNormsBefore > 0);
        Assert.Empty(pair.Left);
        Assert.True(pair.Fused.IsFusedForInference());

        torch.manual_seed(6);
        var x = torch.rand(2, kind == "resnet18" ? 1 : 3, 64, 64);
        using var inference = torch.inference_mode();
        FusionPair.AssertClose(output, kind, pair.Reference.call(x), pair.Fused.call(x));
    }
}
