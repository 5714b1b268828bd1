using System.Runtime.InteropServices;
namespace Thorax.Models.Runtime;

/// <summary>
/// libtorch's global oneDNN (mkldnn) switch, <c>at::globalContext().setUserEnabledMkldnn(bool)</c>: what Python's
/// <c>torch.backends.mkldnn.enabled = False</c> sets. TorchSharp 0.107 does not expose it (its <c>torch.backends</c> has
/// only CUDA/cuDNN switches), so this calls the two exported C++ symbols of libtorch_cpu.so directly (Itanium ABI: the
/// context is the first argument of the member function). With the switch off, convolutions (forward and backward)
/// take ATen's own kernels (im2col + BLAS, <c>slow_conv2d</c> / <c>slow_conv_transpose2d</c>) instead of oneDNN's.
/// Linux only; the bench commands use it for <c>--no-mkldnn</c>. <see cref="TorchRuntime.EnsureLoaded"/> turns NNPACK
/// off (<see cref="DisableNnpack"/>).
/// </summary>
public static class EngineSwitches
{
    private const string Lib = "libtorch_cpu.so";

    [DllImport(Lib, EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport(Lib, EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.I1)]
    private static extern bool UserEnabledMkldnn(IntPtr context);

    [DllImport(Lib, EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.I1)] bool enabled);

    [DllImport(Lib, EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static extern void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.I1)] bool enabled);

    /// <summary>
    /// Turns libtorch's NNPACK path off. libtorch 2.10 asks NNPACK first for float32 convolutions of batches of 16 or
    /// more; on CPUs it does not support (this one) it logs "Could not initialize NNPACK! Reason: Unsupported
    /// hardware." on every such call and falls back to oneDNN. With the switch off it goes to oneDNN at once.
    /// </summary>
    /// <returns>False where the switch is not reachable (not Linux, or another libtorch without the symbol).</returns>
    internal static bool DisableNnpack()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            SetUserEnabledNnpack(GlobalContext(), false);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Whether libtorch may use oneDNN (default true).</summary>
    /// <exception cref="PlatformNotSupportedException">Not Linux, or the symbols are missing from this libtorch.</exception>
    public static bool OneDnnEnabled
    {
        get
        {
            Check();
            return UserEnabledMkldnn(GlobalContext());
        }
        set
        {
            Check();
            SetUserEnabledMkldnn(GlobalContext(), value);
        }
    }

    private static void Check()
    {
        TorchRuntime.EnsureLoaded();
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("the oneDNN switch is only reachable on Linux (libtorch_cpu.so's exported C++ symbols)");
    }
}
