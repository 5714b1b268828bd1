using System.Runtime.InteropServices;

namespace Thorax.Nn;

/// <summary>Conversions between little-endian raw element bytes and CPU tensors, for the weight-file readers and writers.</summary>
internal static class TensorBytes
{
    /// <summary>Creates a CPU tensor of <paramref name="dtype"/> and <paramref name="shape"/> from raw little-endian bytes.</summary>
    public static Tensor FromBytes(ReadOnlySpan<byte> data, DType dtype, long[] shape)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("weight files are little-endian; big-endian hosts are not supported");
        long n = 1;
        foreach (var s in shape) n *= s;
        if (n * dtype.ElementSize() != data.Length)
            throw new ArgumentException($"{data.Length} bytes do not hold {n} {dtype.TorchName()} elements");
        if (n == 0) return Torch.Empty(shape, dtype);
        var flat = new[] { n };
        Tensor t = dtype switch
        {
            DType.Float32 => Torch.FromArray(MemoryMarshal.Cast<byte, float>(data), flat),
            DType.Float64 => Torch.FromArray(MemoryMarshal.Cast<byte, double>(data), flat),
            DType.Float16 => Torch.FromArray(MemoryMarshal.Cast<byte, Half>(data), flat),
            DType.BFloat16 => FromBFloat16(MemoryMarshal.Cast<byte, ushort>(data), flat),
            DType.Int64 => Torch.FromArray(MemoryMarshal.Cast<byte, long>(data), flat),
            DType.Int32 => Torch.FromArray(MemoryMarshal.Cast<byte, int>(data), flat),
            DType.Int16 => Torch.FromArray(MemoryMarshal.Cast<byte, short>(data), flat),
            DType.Int8 => Torch.FromArray(MemoryMarshal.Cast<byte, sbyte>(data), flat),
            DType.UInt8 => Torch.FromArray(data, flat),
            DType.Bool => FromBool(data, flat),
            _ => throw new NotSupportedException($"dtype {dtype.TorchName()} is not supported"),
        };
        if (shape.Length == 1) return t;
        using (t) return t.Reshape(shape);
    }

    private static Tensor FromBFloat16(ReadOnlySpan<ushort> bits, long[] shape)
    {
        // bfloat16 is the upper half of a float32, so widening is exact and narrowing back is exact too.
        var f = new float[bits.Length];
        for (var i = 0; i < bits.Length; i++) f[i] = BitConverter.Int32BitsToSingle(bits[i] << 16);
        using var t = Torch.FromArray(f, shape);
        return t.To(DType.BFloat16);
    }

    private static Tensor FromBool(ReadOnlySpan<byte> data, long[] shape)
    {
        var b = new bool[data.Length];
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] > 1) throw new ArgumentException($"bool element {i} has byte value {data[i]} (expected 0 or 1)");
            b[i] = data[i] != 0;
        }
        return Torch.FromArray(b, shape);
    }

    /// <summary>The tensor's elements as little-endian bytes in row-major order (any device or layout).</summary>
    public static byte[] ToBytes(Tensor tensor)
    {
        var dtype = tensor.DType;
        using var cpu = tensor.Device.Type == DeviceType.Cpu ? tensor.Detach() : tensor.Detach().To(Device.Cpu);
        return dtype switch
        {
            DType.Float32 => MemoryMarshal.AsBytes<float>(cpu.ToArray<float>()).ToArray(),
            DType.Float64 => MemoryMarshal.AsBytes<double>(cpu.ToArray<double>()).ToArray(),
            DType.Float16 => MemoryMarshal.AsBytes<Half>(cpu.ToArray<Half>()).ToArray(),
            DType.BFloat16 => BFloat16Bytes(cpu),
            DType.Int64 => MemoryMarshal.AsBytes<long>(cpu.ToArray<long>()).ToArray(),
            DType.Int32 => MemoryMarshal.AsBytes<int>(cpu.ToArray<int>()).ToArray(),
            DType.Int16 => MemoryMarshal.AsBytes<short>(cpu.ToArray<short>()).ToArray(),
            DType.Int8 => MemoryMarshal.AsBytes<sbyte>(cpu.ToArray<sbyte>()).ToArray(),
            DType.UInt8 => cpu.ToArray<byte>(),
            DType.Bool => MemoryMarshal.AsBytes<bool>(cpu.ToArray<bool>()).ToArray(),
            _ => throw new NotSupportedException($"dtype {dtype.TorchName()} is not supported"),
        };
    }

    private static byte[] BFloat16Bytes(Tensor t)
    {
        using var f = t.To(DType.Float32);
        var v = f.ToArray<float>();
        var r = new byte[v.Length * 2];
        for (var i = 0; i < v.Length; i++)
        {
            var bits = (ushort)(BitConverter.SingleToInt32Bits(v[i]) >>> 16);
            r[2 * i] = (byte)bits;
            r[2 * i + 1] = (byte)(bits >> 8);
        }
        return r;
    }
}
