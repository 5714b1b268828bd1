using System.Runtime.InteropServices;
using Thorax.Models.Runtime;

namespace Thorax.Cli.Bench;

/// <summary>
/// libtorch's global oneDNN (mkldnn) switch, <c>at::globalContext().setUserEnabledMkldnn(bool)</c>: what Python's
/// <c>torch.backends.mkldnn.enabled = False</c> sets. TorchSharp 0.107 does not expose it (its <c>torch.backends</c> has
/// only CUDA/cuDNN switches), so this calls the two exported C++ symbols of libtorch_cpu.so directly (Itanium ABI: the
/// context is the first argument of the member function). With the switch off, convolutions (forward and backward)
/// take ATen's own kernels (im2col + BLAS, <c>slow_conv2d</c> / <c>slow_conv_transpose2d</c>) instead of oneDNN's.
/// Linux only; the bench commands use it for <c>--no-mkldnn</c>.
/// </summary>
internal static class MkldnnSwitch
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

    /// <summary>Whether libtorch may use oneDNN (default true). Setting it also sets NNPACK's switch the same way: with
    /// oneDNN off, libtorch 2.10 next tries NNPACK for convolutions, which this CPU lacks, and then logs "Could not
    /// initialize NNPACK! Reason: Unsupported hardware." on every convolution call.</summary>
    /// <exception cref="PlatformNotSupportedException">Not Linux, or the symbols are missing from this libtorch.</exception>
    public static bool Enabled
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
            SetUserEnabledNnpack(GlobalContext(), value);
        }
    }

    private static void Check()
    {
        TorchRuntime.EnsureLoaded();
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("the oneDNN switch is only reachable on Linux (libtorch_cpu.so's exported C++ symbols)");
    }
}
