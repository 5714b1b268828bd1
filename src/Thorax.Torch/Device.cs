namespace Thorax;

/// <summary>Kind of device. Values equal libtorch's <c>c10::DeviceType</c>.</summary>
public enum DeviceType
{
    Cpu = 0,
    Cuda = 1,
}

/// <summary>A device: CPU or a CUDA device index. Parse <c>"cpu"</c>, <c>"cuda"</c>, <c>"cuda:1"</c>.</summary>
public readonly record struct Device(DeviceType Type, int Index = -1)
{
    /// <summary>The CPU.</summary>
    public static Device Cpu => new(DeviceType.Cpu);

    /// <summary>CUDA device <paramref name="index"/>.</summary>
    public static Device Cuda(int index = 0) => new(DeviceType.Cuda, index);

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public static Device Parse(string s)
    {
        var t = s.Trim().ToLowerInvariant();
        if (t == "cpu") return Cpu;
        if (t == "cuda") return Cuda();
        if (t.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(t[5..], out var i) && i >= 0) return Cuda(i);
        throw new ArgumentException($"unknown device '{s}': expected cpu, cuda or cuda:N", nameof(s));
    }

    /// <inheritdoc/>
    public override string ToString() => Type == DeviceType.Cpu ? "cpu" : Index < 0 ? "cuda" : $"cuda:{Index}";
}
