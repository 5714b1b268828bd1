using System.Buffers.Binary;
using System.Text;
using Thorax.Models.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Models.Tests.Weights;

public sealed class SafeTensorsTests
{
    [Fact]
    public void Load_PyTorchNetWrittenInPython_ReproducesOutput()
    {
        var (sd, meta) = SafeTensors.LoadWithMetadata(WeightGolden.PathOf("net.safetensors"));
        try
        {
            Assert.Equal("pt", meta["format"]);
            Assert.Equal("make_nn_goldens.py", meta["source"]);
            GoldenNet.AssertMatchesPyTorch(sd);
        }
        finally
        {
            sd.DisposeAll();
        }
    }

    [Fact]
    public void Load_AllDtypes_MatchTheTorchSaveValuesExactly()
    {
        using var doc = WeightGolden.Json("tensors.json");
        var (sd, meta) = SafeTensors.LoadWithMetadata(WeightGolden.PathOf("all_dtypes.safetensors"));
        try
        {
            Assert.Equal("written by make_nn_goldens.py", meta["note"]);
            Assert.Equal(12, sd.Count);
            foreach (var (k, t) in sd) WeightGolden.AssertExact(doc.RootElement.GetProperty(k), t, k);
        }
        finally
        {
            sd.DisposeAll();
        }
    }

    [Fact]
    public void SaveLoad_RoundTrip_KeepsKeysShapesDtypesValuesAndMetadata()
    {
        var p = WeightGolden.TempPath(".safetensors");
        var src = SafeTensors.Load(WeightGolden.PathOf("all_dtypes.safetensors"));
        try
        {
            SafeTensors.Save(p, src, new Dictionary<string, string> { ["epoch"] = "3" });
            var (back, meta) = SafeTensors.LoadWithMetadata(p);
            try
            {
                Assert.Equal("3", meta["epoch"]);
                Assert.Equal(src.Keys, back.Keys);
                foreach (var (k, t) in src) WeightGolden.AssertIdentical(t, back[k], k);
            }
            finally
            {
                back.DisposeAll();
            }
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(p)!, "." + Path.GetFileName(p) + ".*.tmp")); // no temp file left
            Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(p)) % 8);
        }
        finally
        {
            src.DisposeAll();
            File.Delete(p);
        }
    }

    [Fact]
    public void Serialize_HeaderIsPaddedTo8Bytes()
    {
        using var t = torch.ones(3);
        var bytes = SafeTensors.Serialize(new[] { KeyValuePair.Create("a", t) });
        var n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, n % 8);
        Assert.Equal(8 + (long)n + 12, bytes.Length);
    }

    [Fact]
    public void SaveLoad_NonContiguousTensor_StoresLogicalOrder()
    {
        using var m = torch.arange(0, 6, 1, ScalarType.Float32).reshape(2, 3);
        using var mt = m.T;
        Assert.False(mt.is_contiguous());
        var bytes = SafeTensors.Serialize(new[] { KeyValuePair.Create("t", mt) });
        var (sd, _) = SafeTensors.Read(bytes);
        try
        {
            Assert.Equal(new long[] { 3, 2 }, sd["t"].shape);
            Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, sd["t"].data<float>().ToArray());
        }
        finally
        {
            sd.DisposeAll();
        }
    }

    private static byte[] Build(string header, int dataBytes)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var r = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(r, (ulong)h.Length);
        h.CopyTo(r, 8);
        return r;
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap", "b")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, "past the end", "a")]
    [InlineData("{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype 'Q7'", "a")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "needs 12", "a")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,8]}}", 8, "non-negative", "a")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", 8, "more elements", "a")]
    [InlineData("{\"a\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "byte value 7", "a")]
    public void Read_InvalidHeader_ThrowsNamingFileAndKey(string header, int dataBytes, string fragment, string key)
    {
        var bytes = Build(header, dataBytes);
        if (header.Contains("BOOL")) bytes[^1] = 7; // a bool byte other than 0/1
        var live = WeightGolden.LiveTensors;
        var ex = Assert.Throws<WeightFileException>(() => SafeTensors.Read(bytes, "x.safetensors"));
        Assert.Contains(fragment, ex.Message);
        Assert.Contains("x.safetensors", ex.Message);
        Assert.Equal("x.safetensors", ex.FilePath);
        Assert.Equal(key, ex.TensorKey);
        Assert.True(WeightGolden.LiveTensors <= live, "no tensor may outlive a refused file");
    }

    [Fact]
    public void Read_TruncatedHeader_Throws()
    {
        var bytes = Build("{\"a\":{}}", 0)[..10];
        var ex = Assert.Throws<WeightFileException>(() => SafeTensors.Read(bytes, "t.safetensors"));
        Assert.Contains("truncated", ex.Message);
        Assert.Contains("t.safetensors", ex.Message);
        Assert.Throws<WeightFileException>(() => SafeTensors.Read(new byte[3], "t.safetensors"));
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 }, "UTF-8")] // a broken two-byte sequence in the key
    [InlineData(new byte[] { (byte)'\\', (byte)'u', (byte)'d', (byte)'8', (byte)'0', (byte)'0' }, "x.safetensors")] // a lone surrogate escape
    public void Read_HeaderKeyNotText_ThrowsWeightFileException(byte[] keyBytes, string fragment)
    {
        var json = Encoding.UTF8.GetBytes("{\"a").Concat(keyBytes).Concat(Encoding.UTF8.GetBytes("\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}")).ToArray();
        var bytes = new byte[8 + json.Length + 1];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        var ex = Assert.Throws<WeightFileException>(() => SafeTensors.Read(bytes, "x.safetensors"));
        Assert.Contains(fragment, ex.Message);
    }

    [Fact]
    public void Read_DuplicateKey_ThrowsNamingIt()
    {
        var bytes = Build("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2);
        var ex = Assert.Throws<WeightFileException>(() => SafeTensors.Read(bytes, "d.safetensors"));
        Assert.Equal("a", ex.TensorKey);
        Assert.Contains("twice", ex.Message);
    }

    [Fact]
    public void Read_InvalidJson_Throws()
    {
        var ex = Assert.Throws<WeightFileException>(() => SafeTensors.Read(Build("{not json", 0), "j.safetensors"));
        Assert.Contains("JSON", ex.Message);
    }

    [Fact]
    public void Read_TruncatedRealFile_ThrowsPastTheEndNamingTheLastKey()
    {
        var bytes = File.ReadAllBytes(WeightGolden.PathOf("net.safetensors"));
        var ex = Assert.Throws<WeightFileException>(() => SafeTensors.Read(bytes[..^10], "net.safetensors"));
        Assert.Contains("past the end", ex.Message);
        Assert.Equal("classifier.bias", ex.TensorKey);
    }

    [Fact]
    public void Serialize_ReservedOrDuplicateKey_Throws()
    {
        using var t = torch.zeros(1);
        Assert.Throws<ArgumentException>(() => SafeTensors.Serialize(new[] { KeyValuePair.Create("__metadata__", t) }));
        Assert.Throws<ArgumentException>(() => SafeTensors.Serialize(new[] { KeyValuePair.Create("a", t), KeyValuePair.Create("a", t) }));
    }
}
