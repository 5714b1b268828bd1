using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Thorax.Native;

internal static unsafe partial class NativeMethods
{
    static NativeMethods() => NativeLibraryLoader.EnsureRegistered();

    /// <summary>Throws a <see cref="TorchException"/> carrying the shim's message when <paramref name="rc"/> is non-zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Check(int rc, [CallerMemberName] string op = "")
    {
        if (rc != 0) Throw(op);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(string op)
    {
        var msg = Marshal.PtrToStringUTF8((nint)thx_last_error()) ?? "unknown native error";
        throw new TorchException(ToPythonName(op), msg.Trim());
    }

    private static string ToPythonName(string member)
    {
        // CallerMemberName gives the managed API name (e.g. "Conv2d"); PyTorch users know "conv2d".
        if (string.IsNullOrEmpty(member)) return "torch";
        return char.ToLowerInvariant(member[0]) + member[1..];
    }
}
