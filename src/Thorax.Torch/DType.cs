namespace Thorax;

/// <summary>Element types. Values equal libtorch's <c>c10::ScalarType</c> codes, which the shim passes through.</summary>
public enum DType
{
    UInt8 = 0,
    Int8 = 1,
    Int16 = 2,
    Int32 = 3,
    Int64 = 4,
    Float16 = 5,
    Float32 = 6,
    Float64 = 7,
    Bool = 11,
    BFloat16 = 15,
}

/// <summary>Helpers on <see cref="DType"/>.</summary>
public static class DTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this DType t) => t switch
    {
        DType.UInt8 or DType.Int8 or DType.Bool => 1,
        DType.Int16 or DType.Float16 or DType.BFloat16 => 2,
        DType.Int32 or DType.Float32 => 4,
        DType.Int64 or DType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown dtype"),
    };

    /// <summary>True for floating-point types.</summary>
    public static bool IsFloatingPoint(this DType t) => t is DType.Float16 or DType.Float32 or DType.Float64 or DType.BFloat16;

    /// <summary>PyTorch's name, e.g. <c>torch.float32</c>.</summary>
    public static string TorchName(this DType t) => t switch
    {
        DType.UInt8 => "torch.uint8", DType.Int8 => "torch.int8", DType.Int16 => "torch.int16",
        DType.Int32 => "torch.int32", DType.Int64 => "torch.int64", DType.Float16 => "torch.float16",
        DType.Float32 => "torch.float32", DType.Float64 => "torch.float64", DType.Bool => "torch.bool",
        DType.BFloat16 => "torch.bfloat16", _ => t.ToString(),
    };

    internal static DType Of<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return DType.Float32;
        if (typeof(T) == typeof(double)) return DType.Float64;
        if (typeof(T) == typeof(long)) return DType.Int64;
        if (typeof(T) == typeof(int)) return DType.Int32;
        if (typeof(T) == typeof(short)) return DType.Int16;
        if (typeof(T) == typeof(byte)) return DType.UInt8;
        if (typeof(T) == typeof(sbyte)) return DType.Int8;
        if (typeof(T) == typeof(bool)) return DType.Bool;
        if (typeof(T) == typeof(Half)) return DType.Float16;
        throw new NotSupportedException($"no tensor dtype for {typeof(T).Name}");
    }
}
