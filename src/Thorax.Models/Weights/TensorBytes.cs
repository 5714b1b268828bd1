using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Models.Weights;

/// <summary>Conversions between little-endian raw element bytes and CPU tensors, for the weight-file readers and writers.</summary>
internal static class TensorBytes
{
    /// <summary>Creates a CPU tensor of <paramref name="dtype"/> and <paramref name="shape"/> from raw little-endian bytes.</summary>
    /// <exception cref="ArgumentException">The byte count does not fit the shape, or a bool byte is not 0 or 1.</exception>
    public static Tensor FromBytes(ReadOnlySpan<byte> data, ScalarType dtype, long[] shape)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("weight files are little-endian; big-endian hosts are not supported");
        long n = 1;
        foreach (var s in shape) n = checked(n * s);
        if (n * dtype.ElementSize() != data.Length)
            throw new ArgumentException($"{data.Length} bytes do not hold {n} {dtype.TorchName()} elements");
        if (dtype == ScalarType.Bool)
            for (var i = 0; i < data.Length; i++)
                if (data[i] > 1) throw new ArgumentException($"bool element {i} has byte value {data[i]} (expected 0 or 1)");
        var t = torch.empty(shape, dtype);
        if (n == 0) return t;
        try
        {
            CopyInto(t, data);
        }
        catch
        {
            t.Dispose();
            throw;
        }
        return t;
    }

    /// <summary>Copies <paramref name="data"/> into the storage of the contiguous CPU tensor <paramref name="t"/> (any size).</summary>
    private static void CopyInto(Tensor t, ReadOnlySpan<byte> data)
    {
        // Tensor.bytes is limited to 2 GiB spans: larger tensors are filled through contiguous slices of the flat view.
        var es = t.dtype.ElementSize();
        using var flat = t.view(-1);
        long n = flat.shape[0], chunk = ChunkBytes / es;
        for (long start = 0; start < n; start += chunk)
        {
            var len = Math.Min(chunk, n - start);
            using var part = flat.narrow(0, start, len);
            data.Slice((int)(start * es), (int)(len * es)).CopyTo(part.bytes);
        }
    }

    private const long ChunkBytes = 1L << 30;

    /// <summary>The tensor's elements as little-endian bytes in row-major order (any device or layout).</summary>
    public static byte[] ToBytes(Tensor tensor)
    {
        var dtype = tensor.dtype;
        _ = dtype.ElementSize(); // refuses dtypes that have no byte layout here
        using var detached = tensor.detach();
        using var cpu = detached.device_type == DeviceType.CPU ? detached.contiguous() : detached.cpu().contiguous();
        var length = checked((int)(cpu.numel() * dtype.ElementSize()));
        var result = new byte[length];
        if (length > 0) CopyOut(cpu, result);
        return result;
    }

    private static void CopyOut(Tensor t, byte[] result)
    {
        var es = t.dtype.ElementSize();
        using var flat = t.view(-1);
        long n = flat.shape[0], chunk = ChunkBytes / es;
        for (long start = 0; start < n; start += chunk)
        {
            var len = Math.Min(chunk, n - start);
            using var part = flat.narrow(0, start, len);
            part.bytes.CopyTo(result.AsSpan((int)(start * es), (int)(len * es)));
        }
    }
}

/// <summary>Names and sizes of the tensor element types the weight formats store.</summary>
public static class ScalarTypes
{
    /// <summary>Bytes per element.</summary>
    /// <exception cref="NotSupportedException">Complex or quantized types.</exception>
    public static int ElementSize(this ScalarType t) => t switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        ScalarType.Int8 or ScalarType.Byte or ScalarType.Bool => 1,
        _ => throw new NotSupportedException($"dtype {t.TorchName()} is not supported by the weight formats"),
    };

    /// <summary>PyTorch's name of the type (<c>torch.float32</c>, <c>torch.int64</c>, ...), for messages.</summary>
    public static string TorchName(this ScalarType t) => t switch
    {
        ScalarType.Float64 => "torch.float64", ScalarType.Float32 => "torch.float32", ScalarType.Float16 => "torch.float16",
        ScalarType.BFloat16 => "torch.bfloat16", ScalarType.Int64 => "torch.int64", ScalarType.Int32 => "torch.int32",
        ScalarType.Int16 => "torch.int16", ScalarType.Int8 => "torch.int8", ScalarType.Byte => "torch.uint8",
        ScalarType.Bool => "torch.bool", _ => "torch." + t.ToString().ToLowerInvariant(),
    };

    /// <summary>True for float16, bfloat16, float32 and float64.</summary>
    public static bool IsFloatingPoint(this ScalarType t) =>
        t is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    /// <summary>A short description of a tensor for messages: <c>[2, 3] torch.float32</c>.</summary>
    public static string Describe(this Tensor t) => $"[{string.Join(", ", t.shape)}] {t.dtype.TorchName()}";
}
