using System.IO.Compression;
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

    /// <summary>
    /// A torch.save file of a few hundred bytes whose one tensor is a view of a 1-element storage with size [2^28] and
    /// stride [0]: made dense it would take 1 GiB of native memory, which the fuzzer's managed-allocation limit does not
    /// see. The expansion budget (max(256 MiB, 1024 x the file's size)) refuses it naming the file and the storage key,
    /// before anything is allocated; a small broadcast in the same kind of file still loads.
    /// </summary>
    [Theory]
    [InlineData(1L << 28, false)]
    [InlineData(1000L, true)]
    public void An_expanded_view_beyond_the_files_budget_is_refused_naming_file_and_key(long elements, bool loads)
    {
        var p = WeightGolden.TempPath(".pth");
        try
        {
            using (var zip = ZipFile.Open(p, ZipArchiveMode.Create))
            {
                using (var s = zip.CreateEntry("archive/data.pkl").Open()) s.Write(ExpandedViewPickle(elements));
                using (var s = zip.CreateEntry("archive/data/0").Open()) s.Write(BitConverter.GetBytes(2.5f));
            }
            Assert.True(new FileInfo(p).Length < 1024);
            if (loads)
            {
                using var root = TorchCheckpoint.Load(p);
                var w = root["w"].AsTensor();
                Assert.Equal(new[] { elements }, w.shape);
                Assert.Equal(2.5f, w.min().item<float>());
                Assert.Equal(2.5f, w.max().item<float>());
                return;
            }
            var before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<WeightFileException>(() => TorchCheckpoint.Load(p).Dispose());
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16L << 20);
            Assert.Contains(p, e.Message);
            Assert.Contains("size [268435456]", e.Message);                  // the view
            Assert.Contains("1,073,741,824 bytes, over the 268,435,456", e.Message); // 1 GiB against the 256 MiB of a small file
            Assert.Equal("0", e.TensorKey);              // the storage
        }
        finally
        {
            File.Delete(p);
        }
    }

    /// <summary>Protocol 2: {"w": torch._utils._rebuild_tensor_v2(storage("0", FloatStorage, 1), 0, (n,), (0,), False, OrderedDict())}.</summary>
    private static byte[] ExpandedViewPickle(long n)
    {
        var b = new List<byte> { 0x80, 2, (byte)'}' };
        void Str(string s) { b.Add(0x8c); b.Add((byte)s.Length); b.AddRange(System.Text.Encoding.ASCII.GetBytes(s)); }
        void Global(string module, string name) { b.Add((byte)'c'); b.AddRange(System.Text.Encoding.ASCII.GetBytes(module + "\n" + name + "\n")); }
        Str("w");
        Global("torch._utils", "_rebuild_tensor_v2");
        b.Add((byte)'(');                                   // MARK: the arguments
        b.Add((byte)'(');                                   // MARK: the persistent id
        Str("storage");
        Global("torch", "FloatStorage");
        Str("0");
        Str("cpu");
        b.AddRange([(byte)'K', 1]);                         // numel 1
        b.Add((byte)'t');
        b.Add((byte)'Q');                                   // BINPERSID
        b.AddRange([(byte)'K', 0]);                         // offset
        b.Add((byte)'J'); b.AddRange(BitConverter.GetBytes(checked((int)n))); b.Add(0x85); // size (n,)
        b.AddRange([(byte)'K', 0, 0x85]);                   // stride (0,)
        b.Add(0x89);                                        // requires_grad False
        Global("collections", "OrderedDict");
        b.AddRange([(byte)')', (byte)'R']);                 // OrderedDict()
        b.Add((byte)'t');
        b.Add((byte)'R');                                   // REDUCE
        b.Add((byte)'s');                                   // SETITEM
        b.Add((byte)'.');
        return [.. b];
    }
}
