using Thorax.Models.Tests.Support;
using Thorax.Models.Weights;
using TorchSharp;

namespace Thorax.Models.Tests.Weights;

/// <summary>
/// Regression test for a finding of <c>thorax fuzz --format torch</c>: expanded (stride-0) and strided views were
/// gathered element by element in managed code; the GD-ViG golden checkpoint (338 KB, every tensor a broadcast of one
/// value, 258 MiB dense) allocated 258 MiB of managed arrays and took 14 s per load on a busy machine, past the fuzz
/// watchdog. libtorch now copies such views out of the storage.
/// </summary>
public class ExpandedViewLoadTests
{
    [Fact]
    public void Expanded_views_are_copied_by_libtorch_not_gathered_in_managed_memory()
    {
        var path = Golden.PathOf("gdvig", "gdvig_siim_checkpoint.pth");
        var before = GC.GetAllocatedBytesForCurrentThread();
        using var root = TorchCheckpoint.Load(path);
        var managed = GC.GetAllocatedBytesForCurrentThread() - before;
        var pos = root["model"]["vig.pos_embed"].AsTensor();
        Assert.Equal(new long[] { 1, 80, 56, 56 }, pos.shape);
        Assert.True(pos.is_contiguous());
        // Every element is the storage's single value (a broadcast), as torch.load's view would read.
        Assert.Equal(pos.flatten()[0].item<float>(), pos.max().item<float>());
        Assert.Equal(pos.flatten()[0].item<float>(), pos.min().item<float>());
        Assert.True(managed < 64L << 20, $"loading allocated {managed:N0} managed bytes");
    }
}
