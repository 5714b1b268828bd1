using System.Reflection;
using System.Runtime.InteropServices;

namespace Thorax.Native;

/// <summary>
/// Finds <c>libthorax_native.so</c> next to the assemblies (or at <c>THORAX_NATIVE_LIB</c>) without LD_LIBRARY_PATH,
/// and turns a missing library into one message that says what to install or build.
/// </summary>
internal static class NativeLibraryLoader
{
    internal const string LibraryName = "thorax_native";
    private static int _registered;

    internal static void EnsureRegistered()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1) return;
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != LibraryName) return IntPtr.Zero;
        var candidates = new List<string>();
        var env = Environment.GetEnvironmentVariable("THORAX_NATIVE_LIB");
        if (!string.IsNullOrEmpty(env)) candidates.Add(env);
        candidates.Add(Path.Combine(AppContext.BaseDirectory, "libthorax_native.so"));
        var asmDir = Path.GetDirectoryName(assembly.Location);
        if (!string.IsNullOrEmpty(asmDir)) candidates.Add(Path.Combine(asmDir, "libthorax_native.so"));
        // Development fallback: the CMake build folder of the checkout this assembly was built from.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var p = Path.Combine(dir.FullName, "native", "build", "libthorax_native.so");
            if (File.Exists(p)) { candidates.Add(p); break; }
        }
        var errors = new List<string>();
        foreach (var c in candidates)
        {
            if (!File.Exists(c)) continue;
            if (NativeLibrary.TryLoad(c, out var handle)) return handle;
            try { NativeLibrary.Load(c); }
            catch (Exception e) { errors.Add($"{c}: {e.Message}"); }
        }
        throw new DllNotFoundException(
            "Thorax's native engine (libthorax_native.so) could not be loaded. " +
            (errors.Count > 0 ? "Tried: " + string.Join("; ", errors) + ". " : "It was not found next to the assemblies. ") +
            "Run ./thorax or ./test.sh from the repository root once: they install libtorch-dev and libopenblas-dev " +
            "(apt-get install libtorch-dev libopenblas-dev) and build native/ with CMake.");
    }
}
