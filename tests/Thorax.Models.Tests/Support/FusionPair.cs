using Thorax.Models.Inference;
using Thorax.Models.Tests.Segmentation;
using Thorax.Models.Tests.Vig;
using TorchSharp.Modules;
using Xunit.Abstractions;

namespace Thorax.Models.Tests.Support;

/// <summary>
/// The set-up the batch-norm fusion tests of whole networks share (<c>ResNetFusionTests</c>, <c>SaliencyFusionTests</c>,
/// <c>GdVigFusionTests</c>): two networks built alike, every batch norm's statistics and affine parameters randomised
/// from the same seed, <see cref="Reference"/> in evaluation mode and <see cref="Fused"/> after
/// <see cref="ModuleFusion.FuseForInference{T}"/>.
/// </summary>
internal sealed class FusionPair<T> : IDisposable where T : nn.Module
{
    /// <summary>Builds both networks with <paramref name="make"/> (which seeds the global generator itself, so both get
    /// the same weights), randomises their batch norms from <paramref name="batchNormSeed"/> (a generator of its own),
    /// converts them to <paramref name="dtype"/> when given, then puts the reference in evaluation mode and fuses the
    /// other.</summary>
    public FusionPair(Func<T> make, ulong batchNormSeed, ScalarType? dtype = null)
    {
        Reference = Prepare(make(), batchNormSeed, dtype);
        try
        {
            Fused = Prepare(make(), batchNormSeed, dtype);
        }
        catch
        {
            Reference.Dispose();
            throw;
        }
        Reference.eval();
        BatchNormsBefore = Fused.modules().Count(m => m is BatchNorm);
        Fused.FuseForInference();
        Left = Fused.named_modules().Where(m => m.module is BatchNorm).Select(m => m.name).ToList();
    }

    /// <summary>The unfused network, in evaluation mode.</summary>
    public T Reference { get; }

    /// <summary>The fused network.</summary>
    public T Fused { get; }

    /// <summary>How many batch norms the network has before fusion.</summary>
    public int BatchNormsBefore { get; }

    /// <summary>The names of the batch norms fusion left in <see cref="Fused"/>.</summary>
    public List<string> Left { get; }

    private static T Prepare(T module, ulong batchNormSeed, ScalarType? dtype)
    {
        InferenceFusionTests.RandomiseBatchNorms(module, batchNormSeed);
        if (dtype is { } t) module.to(t);
        return module;
    }

    public void Dispose()
    {
        Fused.Dispose();
        Reference.Dispose();
    }
}

/// <summary>The output comparison the float32 fusion tests share.</summary>
internal static class FusionPair
{
    /// <summary>Logs <paramref name="what"/>'s largest difference relative to the expected output's largest magnitude and
    /// asserts every element within 1e-4 of that magnitude.</summary>
    public static void AssertClose(ITestOutputHelper output, string what, Tensor expected, Tensor actual)
    {
        output.WriteLine($"{what}: max |diff| / max |expected| = {Parity.MaxRelative(expected, actual):G3}");
        Golden.AssertClose(expected, actual, what, rtol: 0, atol: 1e-4 * expected.abs().max().item<float>());
    }
}
