using Thorax.Models.Encoders;
using Thorax.Models.Runtime;
using Thorax.Models.Saliency;
using Thorax.Models.Tests.Runtime;

namespace Thorax.Models.Tests.Saliency;

/// <summary>
/// The oneDNN defect of <see cref="ConvolutionLayout"/> (wrong / NaN input gradients for convolutions off the 16-channel
/// block): DenseNet (growth 8: every conv2 has 8 outputs), the dual-encoder network and MT-UNet at reduced widths give
/// float32 gradients equal to a float64 computation with NaN in every fresh allocation.
/// </summary>
[Collection(nameof(AllocationFillCollection))]
public sealed class SaliencyGradientLayoutTests
{
    [Theory]
    [InlineData("densenet")]
    [InlineData("mtl")]
    [InlineData("mtunet")]
    public void ReducedWidths_GradientsEqualFloat64_OnNaNMemory(string name)
    {
        torch.manual_seed(7);
        nn.Module Make() => name switch
        {
            "densenet" => new DenseNet("d", 8, [2, 1, 1, 1], 16, numClasses: 3, inChans: 1),
            "mtl" => new GazeMtlUNet(filters: [16, 24, 40, 48, 80], densenet: new DenseNet("d", 8, [1, 1, 1, 1], 16, numClasses: 3, inChans: 3)),
            _ => new MtUNet(filters: [4, 8, 16, 32, 64]),
        };
        using var model = Make();
        using var model64 = Make();
        model64.to(ScalarType.Float64);
        using (torch.no_grad())
            foreach (var ((_, p), (_, q)) in model.state_dict().Zip(model64.state_dict())) q.copy_(p);
        // DenseNet has no dropout here and trains with batch statistics; the multi-task heads have Dropout(0.25), so eval.
        if (name == "densenet") { model.train(); model64.train(); } else { model.eval(); model64.eval(); }
        TorchRuntime.AllocationFill = AllocationFill.Junk;
        try
        {
            using var scope = torch.NewDisposeScope();
            var x = torch.rand(2, 1, 64, 64);
            var r1 = torch.randn(2, 3);
            var r2 = torch.randn(2, 1, 64, 64);
            Tensor Loss(nn.Module m, ScalarType t) => m switch
            {
                DenseNet d => (d.call(x.to(t)) * r1.to(t)).sum(),
                IGazeMultiTaskNet n => Sum(n.call(x.to(t)), r1.to(t), r2.to(t)),
                _ => throw new InvalidOperationException(),
            };
            Loss(model, ScalarType.Float32).backward();
            using (TorchRuntime.ZeroFilledAllocations()) Loss(model64, ScalarType.Float64).backward();
            var checkedParams = 0;
            foreach (var ((key, p), (_, q)) in model.named_parameters().Zip(model64.named_parameters()))
            {
                if (q.grad is null) { Assert.Null(p.grad); continue; }
                AssertClose(q.grad, p.grad!, key);
                checkedParams++;
            }
            Assert.True(checkedParams > 10);
        }
        finally
        {
            TorchRuntime.AllocationFill = AllocationFill.None;
        }
    }

    private static Tensor Sum((Tensor ClassLogits, Tensor SaliencyLogits) y, Tensor r1, Tensor r2) =>
        (y.ClassLogits * r1).sum() + (SaliencyLayers.LogSoftmaxOverPixels(y.SaliencyLogits) * r2).sum();

    private static void AssertClose(Tensor expected64, Tensor actual, string what)
    {
        using var a = actual.detach().to(ScalarType.Float64);
        Assert.False(a.isnan().any().item<bool>(), what + ": NaN");
        var diff = (a - expected64).abs().max().item<double>();
        var scale = expected64.abs().max().item<double>();
        Assert.True(diff <= 1e-4 * (1 + scale), $"{what}: max |float32 - float64| = {diff:G3} (max |gradient| {scale:G3})");
    }
}
