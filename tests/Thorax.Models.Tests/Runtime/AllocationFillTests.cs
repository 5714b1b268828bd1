using Thorax.Models.Runtime;

namespace Thorax.Models.Tests.Runtime;

/// <summary>
/// libtorch 2.10's oneDNN convolution backward reads the channel padding of buffers it allocates without writing it
/// (see <see cref="TorchRuntime.ZeroFilledAllocations"/>). With the allocator's junk (NaN) fill the defect shows on every
/// call; <see cref="TorchRuntime.Backward"/> must give finite gradients all the same.
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
    [InlineData(4, 8, 4)]   // 4 input channels: padded to the 8/16-channel block
    [InlineData(16, 1, 16)] // a 1-channel output head
    [InlineData(2, 1, 16)]  // SA-UNet's spatial attention: 2 -> 1
    public void Backward_ThroughConvolutionsWithPaddedChannelBlocks_IsFiniteEvenOnNaNMemory(int cin, int cout, int size)
    {
        TorchRuntime.AllocationFill = AllocationFill.Junk; // every fresh allocation holds NaN
        try
        {
            torch.manual_seed(3);
            using var conv = nn.Conv2d(cin, cout, 3, padding: 1);
            for (var trial = 0; trial < 5; trial++)
            {
                using var scope = torch.NewDisposeScope();
                var x = torch.randn(8, cin, size, size).requires_grad_(true);
                var r = torch.randn(8, cout, size, size);
                var loss = (conv.forward(x) * r).sum();
                TorchRuntime.Backward(loss);
                Assert.False(x.grad!.isnan().any().item<bool>(), $"NaN input gradient in trial {trial}");
                Assert.False(conv.weight!.grad!.isnan().any().item<bool>(), $"NaN weight gradient in trial {trial}");
                // The same gradient as a float64 computation (the fill must change nothing but the garbage).
                using var x64 = x.detach().to(ScalarType.Float64).requires_grad_(true);
                using var w64 = conv.weight!.detach().to(ScalarType.Float64);
                using var b64 = conv.bias!.detach().to(ScalarType.Float64);
                using var y64 = nn.functional.conv2d(x64, w64, b64, padding: new long[] { 1, 1 });
                using var l64 = (y64 * r.to(ScalarType.Float64)).sum();
                using (TorchRuntime.ZeroFilledAllocations()) l64.backward();
                Assert.True(x.grad!.to(ScalarType.Float64).allclose(x64.grad!, rtol: 1e-4, atol: 1e-4), $"input gradient differs from float64 in trial {trial}");
                conv.zero_grad();
            }
        }
        finally
        {
            TorchRuntime.AllocationFill = AllocationFill.None;
        }
    }
}

/// <summary>The fill is process-wide: these tests do not run beside others that allocate.</summary>
[CollectionDefinition(nameof(AllocationFillCollection), DisableParallelization = true)]
public sealed class AllocationFillCollection;
