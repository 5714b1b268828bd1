namespace Thorax.TorchTests.Tensors;

public class TensorBasicsTests
{
    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float16)]
    [InlineData(DType.BFloat16)]
    [InlineData(DType.Int64)]
    [InlineData(DType.Int32)]
    [InlineData(DType.UInt8)]
    [InlineData(DType.Bool)]
    public void Full_EachDType_HasShapeDTypeDevice(DType dtype)
    {
        using var t = Torch.Full(new long[] { 2, 3 }, 1, dtype);
        Assert.Multiple(
            () => Assert.Equal(new long[] { 2, 3 }, t.Shape),
            () => Assert.Equal(dtype, t.DType),
            () => Assert.Equal(Device.Cpu, t.Device),
            () => Assert.Equal(6, t.NumEl));
        using var f = t.To(DType.Float64);
        Assert.Equal(6.0, f.Sum().Item());
    }

    [Fact]
    public void FromArray_RoundTrips_AndChecksLength()
    {
        var data = Enumerable.Range(0, 12).Select(i => (float)i).ToArray();
        using var t = Torch.FromArray(data, 3, 4);
        Assert.Equal(data, t.ToArray<float>());
        var ex = Assert.Throws<TorchException>(() => Torch.FromArray(data, 5, 5));
        Assert.Contains("12 values", ex.Message);
    }

    [Fact]
    public void FromArrayNoCopy_SharesMemoryWithTheArray()
    {
        var data = new float[] { 1, 2, 3, 4 };
        var t = Torch.FromArrayNoCopy(data, 2, 2);
        t.Mul_(10);
        Assert.Equal(new float[] { 10, 20, 30, 40 }, data);
        data[0] = -1;
        Assert.Equal(-1f, t.ToArray<float>()[0]);
        t.Dispose();
    }

    [Fact]
    public void Views_ShareStorage_AndTransposeIsNotContiguous()
    {
        using var scope = Torch.NewScope();
        var x = Torch.Arange(0, 6, 1, DType.Float32).Reshape(2, 3);
        var tr = x.Transpose(0, 1);
        Assert.False(tr.IsContiguous);
        Assert.Equal(new long[] { 1, 3 }, tr.Strides);
        tr.Select(0, 0).Fill_(9);
        Assert.Equal(new float[] { 9, 1, 2, 9, 4, 5 }, x.ToArray<float>());
        Assert.Equal(new float[] { 9, 9, 1, 4, 2, 5 }, tr.ToArray<float>());
    }

    [Fact]
    public void SplitChunkUnbind_ReturnPieces()
    {
        using var scope = Torch.NewScope();
        var x = Torch.Arange(10, DType.Float32);
        Assert.Equal(new long[] { 4, 4, 2 }, x.Split(4).Select(p => p.Size(0)).ToArray());
        Assert.Equal(new long[] { 2, 8 }, x.Split(new long[] { 2, 8 }).Select(p => p.Size(0)).ToArray());
        Assert.Equal(3, x.Chunk(3).Length);
        Assert.Equal(10, x.Unbind().Length);
    }

    [Fact]
    public void IndexPut_Accumulate_AddsAtRepeatedIndices()
    {
        using var scope = Torch.NewScope();
        var x = Torch.Zeros(5);
        x.IndexPut_(new Tensor?[] { Torch.FromArray(new long[] { 1, 1, 3 }) }, Torch.FromArray(new[] { 1f, 2f, 5f }), accumulate: true);
        Assert.Equal(new float[] { 0, 3, 0, 5, 0 }, x.ToArray<float>());
    }

    [Fact]
    public void Operators_FollowBroadcasting()
    {
        using var scope = Torch.NewScope();
        var a = Torch.FromArray(new[] { 1f, 2f, 3f }, 3, 1);
        var b = Torch.FromArray(new[] { 10f, 20f }, 1, 2);
        Assert.Equal(new float[] { 11, 21, 12, 22, 13, 23 }, (a + b).ToArray<float>());
        Assert.Equal(new float[] { 1, 0.5f, 1f / 3 }, (1.0 / a).Flatten().ToArray<float>());
        Assert.Equal(new[] { true, false, false }, a.Lt(2).Flatten().ToArray<bool>());
    }

    [Fact]
    public void IntegerTensor_WithIntegralScalar_StaysInteger()
    {
        using var scope = Torch.NewScope();
        var t = Torch.Zeros(new long[] { 3 }, DType.Int64);
        t.Add_(2);
        Assert.Equal(DType.Int64, (t * 3).DType);
        Assert.Equal(new long[] { 2, 2, 2 }, t.ToArray<long>());
        Assert.Equal(DType.Float32, (t * 0.5).DType);
    }

    [Fact]
    public void ToString_PrintsValues()
    {
        using var t = Torch.FromArray(new[] { 1.5f, 2.5f });
        Assert.Contains("1.5000", t.ToString());
    }

    [Fact]
    public void Autocast_Cpu_RunsMatMulInBFloat16()
    {
        using var scope = Torch.NewScope();
        var a = Torch.Randn(4, 4);
        var b = Torch.Randn(4, 4);
        using (Torch.Autocast(DeviceType.Cpu, DType.BFloat16))
        {
            Assert.Equal(DType.BFloat16, a.MatMul(b).DType);
        }
        Assert.Equal(DType.Float32, a.MatMul(b).DType);
    }
}
