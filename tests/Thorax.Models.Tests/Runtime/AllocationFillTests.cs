using Thorax.Models.Runtime;
using Thorax.Models.Segmentation;

namespace Thorax.Models.Tests.Runtime;

/// <summary>
/// libtorch 2.10's oneDNN convolutions (TorchSharp-cpu 0.107) compute wrong, and on NaN-holding memory NaN, input
/// gradients for NCHW inputs whose channel counts are not a multiple of the AVX-512 block
/// (<see cref="ConvolutionLayout"/>). Thorax's modules run their convolutions channels-last; these tests check that
/// their gradients equal a float64 computation for such channel counts, also with every fresh allocation holding NaN
/// (the allocator's junk fill).
/// </summary>
[Collection(nameof(AllocationFillCollection))]
public sealed class AllocationFillTests
{
    [Fact]
    public void JunkFill_FreshTensorsHoldNaN_AndZeroScopesOverrideItUntilTheLastEnds()
    {
        TorchRuntime.AllocationFill = AllocationFill.Junk;
        try
        {
            using (var fresh = torch.empty(64)) Assert.True(fresh.isnan().all().item<bool>(), "junk fill did not write NaN");
            var outer = TorchRuntime.ZeroFilledAllocations();
            var inner = TorchRuntime.ZeroFilledAllocations();
            using (var z = torch.empty(64)) Assert.Equal(0f, z.abs().sum().item<float>());
            inner.Dispose();
            using (var z = torch.empty(64)) Assert.Equal(0f, z.abs().sum().item<float>()); // the outer scope is still open
            outer.Dispose();
            outer.Dispose(); // twice is harmless
            using (var j = torch.empty(64)) Assert.True(j.isnan().all().item<bool>(), "the fill did not return to junk");
            Assert.Equal(AllocationFill.Junk, TorchRuntime.AllocationFill);
        }
        finally
        {
            TorchRuntime.AllocationFill = AllocationFill.None;
        }
    }

    [Theory]
    [InlineData(4, 8, 3, 4)]   // 4 and 8 channels: padded to the 16-channel block in NCHW
    [InlineData(16, 1, 3, 16)] // a 1-channel output head
    [InlineData(2, 1, 7, 16)]  // SA-UNet's spatial attention: 2 -> 1, 7x7
    [InlineData(24, 24, 3, 16)]
    public void ChannelsLastConvolution_GradientsEqualFloat64_EvenOnNaNMemory(int cin, int cout, int kernel, int size)
    {
        TorchRuntime.AllocationFill = AllocationFill.Junk; // every fresh allocation holds NaN
        try
        {
            torch.manual_seed(3);
            using var conv = nn.Conv2d(cin, cout, kernel, padding: kernel / 2);
            Assert.Equal(1, ConvolutionLayout.UseChannelsLast(conv)); // every case has a channel count off the 16-block
            Assert.Equal(0, ConvolutionLayout.UseChannelsLast(conv)); // idempotent
            for (var trial = 0; trial < 5; trial++)
            {
                using var scope = torch.NewDisposeScope();
                var x = torch.randn(8, cin, size, size).requires_grad_(true);
                var r = torch.randn(8, cout, size, size);
                (conv.call(x) * r).sum().backward();
                using var x64 = x.detach().to(ScalarType.Float64).requires_grad_(true);
                using var w64 = conv.weight!.detach().to(ScalarType.Float64).requires_grad_(true);
                using (TorchRuntime.ZeroFilledAllocations())
                {
                    using var y64 = nn.functional.conv2d(x64, w64, conv.bias!.detach().to(ScalarType.Float64), padding: new long[] { kernel / 2, kernel / 2 });
                    using var l64 = (y64 * r.to(ScalarType.Float64)).sum();
                    l64.backward();
                }
                AssertClose(x64.grad!, x.grad!, $"input gradient, trial {trial}");
                AssertClose(w64.grad!, conv.weight!.grad!, $"weight gradient, trial {trial}");
                conv.zero_grad();
            }
        }
        finally
        {
            TorchRuntime.AllocationFill = AllocationFill.None;
        }
    }

    [Theory]
    [InlineData("unet")]
    [InlineData("sa-unet")]
    [InlineData("attention-unet")]
    [InlineData("unetpp")]
    public void SegmentationModels_AtBaseWidth4_GiveFiniteGradientsEqualToFloat64(string name)
    {
        // Base width 4 puts every level's channel count off the 16-channel block; junk fill puts NaN in all fresh memory.
        torch.manual_seed(5);
        using var model = SegmentationModels.Create(name, 1, 1, 4, 0.1);
        model.train();
        using var model64 = SegmentationModels.Create(name, 1, 1, 4, 0.1);
        model64.to(ScalarType.Float64);
        using (torch.no_grad())
            foreach (var ((_, p), (_, q)) in model.state_dict().Zip(model64.state_dict())) q.copy_(p);
        model64.train();
        if (name == "sa-unet") { model.eval(); model64.eval(); } // DropBlock draws differ between the two copies
        TorchRuntime.AllocationFill = AllocationFill.Junk;
        try
        {
            using var scope = torch.NewDisposeScope();
            var x = torch.rand(2, 1, 32, 32);
            var y = (torch.rand(2, 1, 32, 32) > 0.5).to(ScalarType.Float32);
            nn.functional.binary_cross_entropy_with_logits(model.call(x), y).backward();
            using (TorchRuntime.ZeroFilledAllocations())
                nn.functional.binary_cross_entropy_with_logits(model64.call(x.to(ScalarType.Float64)), y.to(ScalarType.Float64)).backward();
            foreach (var ((key, p), (_, q)) in model.named_parameters().Zip(model64.named_parameters()))
                AssertClose(q.grad!, p.grad!, key);
        }
        finally
        {
            TorchRuntime.AllocationFill = AllocationFill.None;
        }
    }

    [Fact]
    public void UseChannelsLast_HooksOnlyConvolutionsOffTheChannelBlock_AndOutputsAreContiguous()
    {
        using var net = nn.Sequential(nn.Conv2d(1, 16, 3, padding: 1), nn.Conv2d(16, 32, 3, padding: 1), nn.Conv2d(32, 1, 1));
        Assert.Equal(2, ConvolutionLayout.UseChannelsLast(net));
        using var scope = torch.NewDisposeScope();
        var y = net.call(torch.randn(2, 1, 8, 8));
        Assert.True(y.is_contiguous());
        Assert.False(ConvolutionLayout.IsChannelsLast(torch.randn(2, 3, 4, 5)));
        Assert.True(ConvolutionLayout.IsChannelsLast(ConvolutionLayout.ToChannelsLast(torch.randn(2, 3, 4, 5))));
    }

    private static void AssertClose(Tensor expected64, Tensor actual, string what)
    {
        using var a = actual.detach().to(ScalarType.Float64);
        Assert.False(a.isnan().any().item<bool>(), what + ": NaN");
        var diff = (a - expected64).abs().max().item<double>();
        var scale = expected64.abs().max().item<double>();
        Assert.True(diff <= 1e-4 * (1 + scale), $"{what}: max |float32 - float64| = {diff:G3} (max |gradient| {scale:G3})");
    }
}

/// <summary>The fill is process-wide: these tests do not run beside others that allocate.</summary>
[CollectionDefinition(nameof(AllocationFillCollection), DisableParallelization = true)]
public sealed class AllocationFillCollection;
