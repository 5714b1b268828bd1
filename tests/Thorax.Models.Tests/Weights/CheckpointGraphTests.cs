using System.Diagnostics;
using System.IO.Compression;
using Thorax.Models.Weights;

namespace Thorax.Models.Tests.Weights;

/// <summary>
/// Pickles whose object graph is not a tree: a container that holds itself is refused with a
/// <see cref="WeightFileException"/> naming the file (it overflowed the stack in CheckpointValue.Dispose and ended the
/// process: <c>thorax fuzz --format torch --seed 7</c>, case 58184), as is nesting deeper than
/// <see cref="RestrictedUnpickler.MaxNesting"/>; shared sub-containers stay shared and are disposed once. Also a storage
/// referenced twice with different sizes (case 72439).
/// </summary>
public sealed class CheckpointGraphTests
{
    [Fact]
    public void Fuzz_case_58184_a_dict_that_contains_itself_is_refused_naming_the_file()
    {
        // views.pt of tools/fuzz/make_torch_seeds.py with one byte changed: BINPUT 66 became BINPUT 1, which
        // re-binds the OrderedDict's memo slot so that it ends up inside itself.
        var src = Path.Combine(WeightGolden.Dir, "..", "..", "fuzz", "findings", "torch-seed7-case58184.pth.bin");
        var p = WeightGolden.TempPath(".pth");
        File.Copy(src, p);
        try
        {
            var e = Assert.Throws<WeightFileException>(() => TorchCheckpoint.Load(p).Dispose());
            Assert.Contains(p, e.Message);
            Assert.Contains("contains itself", e.Message);
        }
        finally
        {
            File.Delete(p);
        }
    }

    [Fact]
    public void Fuzz_case_72439_a_storage_named_again_with_more_elements_is_refused_naming_the_file()
    {
        // nested.pt with one storage referenced a second time with a larger element count: the gather read past the
        // storage's bytes (ArgumentException from Buffer.BlockCopy).
        var src = Path.Combine(WeightGolden.Dir, "..", "..", "fuzz", "findings", "torch-seed7-case72439.pth.bin");
        var p = WeightGolden.TempPath(".pth");
        File.Copy(src, p);
        try
        {
            var e = Assert.Throws<WeightFileException>(() => TorchCheckpoint.Load(p).Dispose());
            Assert.Contains(p, e.Message);
        }
        finally
        {
            File.Delete(p);
        }
    }

    [Fact]
    public void A_list_that_contains_itself_is_refused()
    {
        // PROTO 2, EMPTY_LIST, BINPUT 0, BINGET 0, APPEND, STOP: l = []; l.append(l)
        var e = Assert.Throws<WeightFileException>(() => LoadPickle([0x80, 2, (byte)']', (byte)'q', 0, (byte)'h', 0, (byte)'a', (byte)'.']));
        Assert.Contains("contains itself", e.Message);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused_and_below_it_read()
    {
        static byte[] Nested(int depth)
        {
            // depth empty lists, then depth - 1 APPENDs: [[[...]]]
            var b = new List<byte> { 0x80, 2 };
            for (var i = 0; i < depth; i++) b.Add((byte)']');
            for (var i = 0; i < depth - 1; i++) b.Add((byte)'a');
            b.Add((byte)'.');
            return [.. b];
        }
        LoadPickle(Nested(RestrictedUnpickler.MaxNesting)).Dispose();
        var e = Assert.Throws<WeightFileException>(() => LoadPickle(Nested(100_000)));
        Assert.Contains("nested deeper", e.Message);
    }

    [Fact]
    public void Shared_containers_stay_shared_and_dispose_in_linear_time()
    {
        // x0 = []; x(i+1) = [x(i), x(i)] for 60 levels: 2^60 paths, 61 containers.
        var b = new List<byte> { 0x80, 2, (byte)']', (byte)'q', 0 };
        for (byte i = 0; i < 60; i++)
        {
            b.Add((byte)'0'); // POP the previous level (it stays in the memo)
            b.AddRange([(byte)'(', (byte)'h', i, (byte)'h', i, (byte)'l', (byte)'q', (byte)(i + 1)]);
        }
        b.Add((byte)'.');
        var sw = Stopwatch.StartNew();
        using (var root = LoadPickle([.. b]))
        {
            var items = root.AsList();
            Assert.Same(items[0], items[1]);
        }
        Assert.True(sw.Elapsed.TotalSeconds < 5, $"took {sw.Elapsed.TotalSeconds:0.0} s");
    }

    private static CheckpointValue LoadPickle(byte[] pickle)
    {
        var p = WeightGolden.TempPath(".pth");
        try
        {
            using (var zip = ZipFile.Open(p, ZipArchiveMode.Create))
            {
                using var s = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open();
                s.Write(pickle);
            }
            try
            {
                return TorchCheckpoint.Load(p);
            }
            catch (WeightFileException e)
            {
                Assert.Contains(p, e.Message);
                throw;
            }
        }
        finally
        {
            File.Delete(p);
        }
    }
}
