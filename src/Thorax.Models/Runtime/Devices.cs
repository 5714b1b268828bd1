using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Models.Runtime;

/// <summary>
/// Moving tensors and modules to the device a pipeline runs on (<c>--device</c>, parsed by
/// <see cref="TorchRuntime.ParseDevice"/>). On the CPU default nothing is copied and the same object comes back, so CPU
/// runs stay byte-identical to code that never moved anything.
/// </summary>
public static class Devices
{
    /// <summary>Whether <paramref name="t"/> already lives on <paramref name="device"/> (null means CPU).</summary>
    public static bool IsOn(Tensor t, Device? device)
    {
        ArgumentNullException.ThrowIfNull(t);
        var type = device?.type ?? DeviceType.CPU;
        if (t.device_type != type) return false;
        // The CPU has one device; a CUDA device without an index (-1) is the current one, index 0 for Thorax.
        return type == DeviceType.CPU || t.device_index == Math.Max(0, device!.index);
    }

    /// <summary>
    /// <paramref name="t"/> on <paramref name="device"/>: the same tensor when it is already there (the CPU default),
    /// otherwise a copy there, and <paramref name="t"/> is disposed (the caller owns only what comes back).
    /// </summary>
    public static Tensor MoveTo(this Tensor t, Device? device)
    {
        if (IsOn(t, device)) return t;
        var moved = t.to(device!);
        t.Dispose();
        return moved;
    }

    /// <summary>
    /// <paramref name="t"/> on <paramref name="device"/>: the same tensor when it is already there, otherwise a copy
    /// there; <paramref name="t"/> is left alone (for tensors the caller does not own, e.g. a model's output).
    /// </summary>
    public static Tensor On(this Tensor t, Device? device) => IsOn(t, device) ? t : t.to(device!);

    /// <summary><paramref name="t"/> on the CPU, to read its values: the same tensor when it is there already.</summary>
    public static Tensor OnCpu(this Tensor t) => t.On(CPU);

    /// <summary>Moves <paramref name="module"/>'s parameters and buffers to <paramref name="device"/> (nothing happens
    /// when it is null or the CPU and the module is on the CPU) and returns it.</summary>
    public static T MoveTo<T>(this T module, Device? device) where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(module);
        if (device is null || device.type == DeviceType.CPU)
        {
            // A module built on the CPU stays as it is: no parameter is replaced.
            if (module.parameters().All(p => p.device_type == DeviceType.CPU) && module.buffers().All(b => b.device_type == DeviceType.CPU)) return module;
            module.to(CPU);
            return module;
        }
        module.to(device);
        return module;
    }

    /// <summary>The device <paramref name="module"/>'s first parameter (or buffer) lives on; the CPU for a module without
    /// either.</summary>
    public static Device DeviceOf(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var p in module.parameters()) return p.device;
        foreach (var b in module.buffers()) return b.device;
        return CPU;
    }
}
