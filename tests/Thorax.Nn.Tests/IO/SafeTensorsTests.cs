using System.Buffers.Binary;
using System.Text;
using Thorax.Nn.Tests.Support;

namespace Thorax.Nn.Tests.IO;

public sealed class SafeTensorsTests
{
    [Fact]
    public void Load_PyTorchNetWrittenInPython_ReproducesOutput()
    {
        var (sd, meta) = SafeTensors.LoadWithMetadata(Golden.PathOf("net.safetensors"));
        using (sd)
        {
            Assert.Equal("pt", meta["format"]);
            TorchCheckpointTests.AssertNetMatchesPyTorch(sd);
        }
    }

    [Fact]
    public void Load_AllDtypes_MatchTheTorchSaveValuesExactly()
    {
        using var doc = Golden.Json("tensors.json");
        var (sd, meta) = SafeTensors.LoadWithMetadata(Golden.PathOf("all_dtypes.safetensors"));
        using (sd)
        {
            Assert.Equal("written by make_nn_goldens.py", meta["note"]);
            Assert.Equal(12, sd.Count);
            foreach (var (k, t) in sd) TorchCheckpointTests.AssertExact(doc.RootElement.GetProperty(k), t, k);
        }
    }

    [Fact]
    public void SaveLoad_RoundTrip_KeepsKeysShapesDtypesValuesAndMetadata()
    {
        var p = Path.Combine(Path.GetTempPath(), $"thorax-nn-{Guid.NewGuid():N}.safetensors");
        using var src = SafeTensors.Load(Golden.PathOf("all_dtypes.safetensors"));
        try
        {
            SafeTensors.Save(p, src, new Dictionary<string, string> { ["epoch"] = "3" });
            var (back, meta) = SafeTensors.LoadWithMetadata(p);
            using (back)
            {
                Assert.Equal("3", meta["epoch"]);
                Assert.Equal(src.Keys, back.Keys);
                foreach (var (k, t) in src)
                {
                    Assert.Equal(t.DType, back[k].DType);
                    Assert.Equal(t.Shape, back[k].Shape);
                    Assert.True(t.Equal(back[k]), k);
                }
            }
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(p)!, Path.GetFileName(p) + ".tmp-*"));
            Assert.Equal(0, (new FileInfo(p).Length - 8 - (long)BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(p))) % 1);
        }
        finally
        {
            File.Delete(p);
        }
    }

    [Fact]
    public void Serialize_HeaderIsPaddedTo8Bytes()
    {
        using var t = Torch.Ones(3);
        var bytes = SafeTensors.Serialize(new[] { KeyValuePair.Create("a", t) });
        var n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, n % 8);
        Assert.Equal(8 + (long)n + 12, bytes.Length);
    }

    [Fact]
    public void SaveLoad_NonContiguousTensor_StoresLogicalOrder()
    {
        using var m = Torch.Arange(0, 6, 1, DType.Float32).Reshape(2, 3);
        using var mt = m.T();
        var bytes = SafeTensors.Serialize(new[] { KeyValuePair.Create("t", mt) });
        var (sd, _) = SafeTensors.Read(bytes);
        using (sd) Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, sd["t"].ToArray<float>());
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
    [InlineData("{\"a\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "", null)]
    public void Read_InvalidHeader_ThrowsNamingFileAndKey(string header, int dataBytes, string fragment, string? key)
    {
        var bytes = Build(header, dataBytes);
        if (key is null)
        {
            bytes[^1] = 7; // bool byte other than 0/1
            var e = Assert.Throws<WeightFileException>(() => SafeTensors.Read(bytes, "x.safetensors"));
            Assert.Equal("a", e.TensorKey);
            return;
        }
        var ex = Assert.Throws<WeightFileException>(() => SafeTensors.Read(bytes, "x.safetensors"));
        Assert.Contains(fragment, ex.Message);
        Assert.Contains("x.safetensors", ex.Message);
        Assert.Equal(key, ex.TensorKey);
    }

    [Fact]
    public void Read_TruncatedHeader_Throws()
    {
        var bytes = Build("{\"a\":{}}", 0)[..10];
        var ex = Assert.Throws<WeightFileException>(() => SafeTensors.Read(bytes, "t.safetensors"));
        Assert.Contains("truncated", ex.Message);
        Assert.Throws<WeightFileException>(() => SafeTensors.Read(new byte[3], "t.safetensors"));
    }

    [Fact]
    public void Read_InvalidJson_Throws()
    {
        var ex = Assert.Throws<WeightFileException>(() => SafeTensors.Read(Build("{not json", 0), "j.safetensors"));
        Assert.Contains("JSON", ex.Message);
    }

    [Fact]
    public void Load_TruncatedRealFile_ThrowsPastTheEnd()
    {
        var bytes = File.ReadAllBytes(Golden.PathOf("net.safetensors"));
        var ex = Assert.Throws<WeightFileException>(() => SafeTensors.Read(bytes[..^10], "net.safetensors"));
        Assert.Contains("past the end", ex.Message);
    }
}
