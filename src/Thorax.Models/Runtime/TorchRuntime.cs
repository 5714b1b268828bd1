using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Thorax.Build;
using TorchSharp;

namespace Thorax.Models.Runtime;

/// <summary>
/// Process-wide libtorch set-up that TorchSharp leaves to the application: loading the native libraries with one
/// actionable message when that fails, the intra-op thread count, device names, and a summary for <c>thorax info</c>.
/// </summary>
/// <remarks>
/// Every Thorax entry point that touches tensors calls <see cref="EnsureLoaded"/> first; it is cheap after the first
/// call and thread-safe.
/// </remarks>
public static class TorchRuntime
{
    /// <summary>The environment variable that overrides the intra-op thread count (a positive integer).</summary>
    public const string ThreadsVariable = "THORAX_NUM_THREADS";

    /// <summary>The libstdc++ symbol version that TorchSharp 0.107's <c>libLibTorchSharp.so</c> asks for (GCC 13).</summary>
    internal const string GlibcxxVersion = "GLIBCXX_3.4.32";

    private static readonly object Gate = new();
    private static bool _loaded;

    /// <summary>
    /// Loads libtorch and TorchSharp's native library once and sets the thread count (<see cref="ThreadsVariable"/> or
    /// <see cref="Environment.ProcessorCount"/>).
    /// </summary>
    /// <exception cref="TorchRuntimeException">
    /// The native libraries cannot be loaded. The message says why when it can tell (e.g. the Debian 12 libstdc++ case,
    /// where the copy next to the assembly was not patched by the build) and what to do; the loader's error is the
    /// inner exception.
    /// </exception>
    public static void EnsureLoaded()
    {
        if (Volatile.Read(ref _loaded)) return;
        lock (Gate)
        {
            if (_loaded) return;
            RequestHugePages();
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new TorchRuntimeException(LoadFailureMessage(e), e);
            }
            HugePageAllocations = LibTorchUsesHugePages();
            torch.set_num_threads(ThreadsFromEnvironment(Environment.GetEnvironmentVariable(ThreadsVariable)));
            Volatile.Write(ref _loaded, true);
            EngineSwitches.DisableNnpack();
            SetAllocationFill(ParseFill(Environment.GetEnvironmentVariable(FillVariable)));
        }
    }

    /// <summary>The environment variable that turns huge-page allocations off (<c>0</c>); see <see cref="HugePageAllocations"/>.</summary>
    public const string HugePagesVariable = "THORAX_HUGE_PAGES";

    /// <summary>libtorch's own switch (c10 <c>alloc_cpu</c>, libtorch 2.1 and later), read once at its first CPU allocation.</summary>
    internal const string LibTorchHugePagesVariable = "THP_MEM_ALLOC_ENABLE";

    /// <summary>
    /// Whether libtorch's CPU allocator backs allocations of 2 MiB and more with transparent huge pages (libtorch's
    /// <c>THP_MEM_ALLOC_ENABLE=1</c>: such buffers are page-aligned and marked <c>madvise(MADV_HUGEPAGE)</c>, so the
    /// kernel maps them in 2 MiB pages), as libtorch reports it after <see cref="EnsureLoaded"/>.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Why: a large tensor is a fresh <c>mmap</c> each time it is allocated (glibc hands blocks above 32 MiB straight to
    /// the kernel and back on free), and every 4 KiB page of it is then faulted in and zeroed by the kernel on first touch.
    /// On the virtual machines Thorax is developed on a page fault is expensive: a 2-thread eval forward pass of the
    /// saliency network took 420,000-470,000 faults for one batch of two 320x256 images, and the kernel time of an
    /// element-wise op over such maps was as large as its user time; with 2 MiB pages the same pass takes
    /// 16,000-40,000 faults and about half the CPU time (README "Benchmarks"). Results do not change (only where the
    /// memory comes from).
    /// </para>
    /// <para>
    /// On by default on Linux where the kernel allows madvised huge pages (<c>/sys/kernel/mm/transparent_hugepage/enabled</c>
    /// is <c>always</c> or <c>madvise</c>). Off with <see cref="HugePagesVariable"/>=0; a <c>THP_MEM_ALLOC_ENABLE</c>
    /// already in the environment is left as it is (and decides). It must be set before libtorch's first CPU allocation,
    /// so <see cref="EnsureLoaded"/> sets it in the native environment before it loads libtorch; a process that
    /// allocated tensors before calling <see cref="EnsureLoaded"/> keeps libtorch's default (off), and this property
    /// says so. Cost: a buffer of 2 MiB or more is backed by whole 2 MiB pages, so the resident set can grow by up to
    /// 2 MiB per live buffer.
    /// PyTorch 1.13 (the benches' peer) has no such switch.
    /// </para>
    /// </remarks>
    public static bool HugePageAllocations { get; private set; }

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi)]
    private static extern int SetNativeEnvironment(string name, string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv", CharSet = CharSet.Ansi)]
    private static extern IntPtr GetNativeEnvironment(string name);

    private static void RequestHugePages()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            if (GetNativeEnvironment(LibTorchHugePagesVariable) != IntPtr.Zero) return; // the user's setting decides
            if (Environment.GetEnvironmentVariable(HugePagesVariable) is "0" or "false" or "off") return;
            if (!KernelAllowsMadvisedHugePages()) return;
            SetNativeEnvironment(LibTorchHugePagesVariable, "1", 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // no libc to call: libtorch keeps its default
        }
    }

    /// <summary>
    /// What libtorch itself decided: c10's exported <c>c10_compute_alignment</c> gives the page size for allocations
    /// when its huge-page switch is on and 64 bytes otherwise (the switch is read once, at the first allocation or this
    /// call, whichever comes first).
    /// </summary>
    private static bool LibTorchUsesHugePages()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            if (_c10 == IntPtr.Zero) _c10 = LoadC10();
            if (_c10 == IntPtr.Zero || !NativeLibrary.TryGetExport(_c10, "_ZN3c1021c10_compute_alignmentEm", out var fn)) return false;
            unsafe
            {
                var alignment = ((delegate* unmanaged<nuint, nuint>)fn)(4u << 20);
                return alignment >= 4096;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    /// <summary>True when the kernel's transparent-huge-page mode is <c>always</c> or <c>madvise</c>.</summary>
    internal static bool KernelAllowsMadvisedHugePages(string path = "/sys/kernel/mm/transparent_hugepage/enabled")
    {
        try
        {
            var mode = File.ReadAllText(path);
            return mode.Contains("[always]", StringComparison.Ordinal) || mode.Contains("[madvise]", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The environment variable that sets <see cref="AllocationFill"/> at load: <c>none</c>, <c>zero</c> or <c>junk</c>.</summary>
    public const string FillVariable = "THORAX_CPU_ALLOC_FILL";

    private static AllocationFill _fill;

    /// <summary>
    /// What libtorch's CPU allocator writes into fresh allocations (its c10 flags
    /// <c>caffe2_cpu_allocator_do_zero_fill</c> / <c>do_junk_fill</c>, process-wide).
    /// </summary>
    public static AllocationFill AllocationFill
    {
        get { EnsureLoaded(); return _fill; }
        set { EnsureLoaded(); SetAllocationFill(value); }
    }

    private static int _zeroScopes;

    /// <summary>
    /// Makes libtorch's CPU allocator zero every allocation until the returned scope is disposed (scopes may overlap
    /// and nest, also across threads: the fill stays on until the last one ends, then returns to
    /// <see cref="AllocationFill"/>).
    /// </summary>
    /// <remarks>
    /// With <see cref="AllocationFill.Junk"/> (NaN in all fresh memory) this isolates a computation that must not see
    /// junk, e.g. a float64 reference beside a float32 computation under test. Kernels that read memory they did not
    /// write show up under the junk fill: libtorch 2.10's oneDNN convolution backward on NCHW inputs with padded
    /// channel blocks is one (see <see cref="ConvolutionLayout"/>).
    /// </remarks>
    public static IDisposable ZeroFilledAllocations()
    {
        EnsureLoaded();
        lock (Gate)
        {
            if (_zeroScopes++ == 0) WriteFillFlags(AllocationFill.Zero);
        }
        return new ZeroScope();
    }

    private sealed class ZeroScope : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            lock (Gate)
            {
                if (--_zeroScopes == 0) WriteFillFlags(_fill);
            }
        }
    }

    private static void SetAllocationFill(AllocationFill fill)
    {
        lock (Gate)
        {
            _fill = fill;
            if (_zeroScopes == 0) WriteFillFlags(fill);
        }
    }

    private static IntPtr _c10;

    private static void WriteFillFlags(AllocationFill fill)
    {
        if (_c10 == IntPtr.Zero) _c10 = LoadC10();
        if (_c10 == IntPtr.Zero) return; // not a libtorch with c10 flags we can reach (e.g. another platform): nothing to set
        if (NativeLibrary.TryGetExport(_c10, "FLAGS_caffe2_cpu_allocator_do_zero_fill", out var zero))
            Marshal.WriteByte(zero, fill == AllocationFill.Zero ? (byte)1 : (byte)0);
        if (NativeLibrary.TryGetExport(_c10, "FLAGS_caffe2_cpu_allocator_do_junk_fill", out var junk))
            Marshal.WriteByte(junk, fill == AllocationFill.Junk ? (byte)1 : (byte)0);
    }

    /// <summary>The already loaded libc10 next to TorchSharp (or the application), or zero when there is none.</summary>
    private static IntPtr LoadC10()
    {
        foreach (var dir in new[] { Path.GetDirectoryName(typeof(torch).Assembly.Location), AppContext.BaseDirectory })
        {
            if (string.IsNullOrEmpty(dir)) continue;
            foreach (var name in new[] { "libc10.so", "libc10.dylib", "c10.dll" })
            {
                var path = Path.Combine(dir, name);
                if (File.Exists(path) && NativeLibrary.TryLoad(path, out var handle)) return handle;
            }
        }
        return IntPtr.Zero;
    }

    private static AllocationFill ParseFill(string? value) => value switch
    {
        null or "" or "none" => AllocationFill.None,
        "zero" => AllocationFill.Zero,
        "junk" => AllocationFill.Junk,
        _ => throw new TorchRuntimeException($"{FillVariable}={value}: expected none, zero or junk"),
    };

    /// <summary>Intra-op threads libtorch uses (<c>torch.get_num_threads</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a value below 1.</exception>
    public static int NumThreads
    {
        get
        {
            EnsureLoaded();
            return torch.get_num_threads();
        }
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "threads must be at least 1");
            EnsureLoaded();
            torch.set_num_threads(value);
        }
    }

    /// <summary>
    /// The thread count for a value of <see cref="ThreadsVariable"/>: the value when it is a positive integer, otherwise
    /// (unset, empty, malformed or not positive) <see cref="Environment.ProcessorCount"/>.
    /// </summary>
    /// <param name="value">The variable's text, or null when unset.</param>
    public static int ThreadsFromEnvironment(string? value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : Environment.ProcessorCount;

    /// <summary>
    /// Parses a device name: <c>cpu</c>, <c>cuda</c> (device 0) or <c>cuda:N</c>, case-insensitive, surrounding
    /// blanks ignored, and checks that the device exists in this process.
    /// </summary>
    /// <param name="name">The device name, e.g. from a <c>--device</c> option.</param>
    /// <returns>The TorchSharp device.</returns>
    /// <exception cref="ArgumentException">
    /// The name is malformed, or names a CUDA device that this libtorch build or machine does not have (the message
    /// names the device and how many CUDA devices there are).
    /// </exception>
    public static torch.Device ParseDevice(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var n = name.Trim().ToLowerInvariant();
        if (n == "cpu") return torch.CPU;
        int index;
        if (n == "cuda") index = 0;
        else if (n.StartsWith("cuda:", StringComparison.Ordinal)
                 && int.TryParse(n.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out index)) { }
        else throw new ArgumentException($"unknown device '{name}'; expected cpu, cuda or cuda:N", nameof(name));

        EnsureLoaded();
        var count = torch.cuda.is_available() ? torch.cuda.device_count() : 0;
        if (count == 0)
            throw new ArgumentException(
                $"device '{name}' is not available: this libtorch build has no usable CUDA device (TorchSharp-cpu, or no GPU/driver)", nameof(name));
        if (index >= count)
            throw new ArgumentException($"device '{name}' does not exist: {count} CUDA device(s), cuda:0..cuda:{count - 1}", nameof(name));
        return new torch.Device(DeviceType.CUDA, index);
    }

    /// <summary>
    /// A few lines for <c>thorax info</c>: libtorch version (<c>torch.__version__</c>), intra-op threads and where they
    /// came from, CUDA availability and device count.
    /// </summary>
    /// <exception cref="TorchRuntimeException">The native libraries cannot be loaded (see <see cref="EnsureLoaded"/>).</exception>
    public static string Describe()
    {
        EnsureLoaded();
        var sb = new StringBuilder();
        var env = Environment.GetEnvironmentVariable(ThreadsVariable);
        sb.Append(CultureInfo.InvariantCulture, $"libtorch: {torch.__version__} (TorchSharp {typeof(torch).Assembly.GetName().Version})\n");
        sb.Append(CultureInfo.InvariantCulture,
            $"threads: {torch.get_num_threads()} ({(string.IsNullOrEmpty(env) ? "processor count" : ThreadsVariable + "=" + env)})\n");
        sb.Append(CultureInfo.InvariantCulture,
            $"huge-page allocations: {(HugePageAllocations ? "on" : "off")} ({LibTorchHugePagesVariable}; {HugePagesVariable}=0 turns them off)\n");
        var cuda = torch.cuda.is_available();
        sb.Append(CultureInfo.InvariantCulture, $"cuda: {(cuda ? $"available, {torch.cuda.device_count()} device(s)" : "not available")}\n");
        return sb.ToString();
    }

    /// <summary>
    /// The one message for a failed native load: the Debian 12 libstdc++ case when the library next to this assembly
    /// still needs <see cref="GlibcxxVersion"/> strongly and the system libstdc++ lacks it, otherwise a general hint.
    /// </summary>
    internal static string LoadFailureMessage(Exception error)
    {
        var dir = Path.GetDirectoryName(typeof(TorchRuntime).Assembly.Location) ?? AppContext.BaseDirectory;
        return LoadFailureMessage(error, Path.Combine(dir, "libLibTorchSharp.so"));
    }

    /// <summary>The message of <see cref="LoadFailureMessage(Exception)"/> for the native library at <paramref name="library"/>.</summary>
    internal static string LoadFailureMessage(Exception error, string library)
    {
        bool glibcxx;
        try
        {
            glibcxx = RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && File.Exists(library) && NeedsMissingGlibcxx(library);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            glibcxx = false; // cannot tell: fall back to the general message
        }
        if (glibcxx)
            return $"cannot load libtorch: {library} needs {GlibcxxVersion}, which this system's libstdc++ lacks " +
                   $"(Debian 12 ships GCC 12). The build marks that need weak in its output copy: rebuild with ./thorax or dotnet build; " +
                   "do not copy the library from the NuGet cache. Loader error: " + error.Message;
        return "cannot load libtorch through TorchSharp (libLibTorchSharp and libtorch must be next to the application, as " +
               "dotnet build puts them; rebuild with ./thorax or dotnet build). Loader error: " + error.Message;
    }

    /// <summary>
    /// True when <paramref name="library"/> has a strong (non-weak) need for <see cref="GlibcxxVersion"/> and the
    /// system libstdc++ does not define it: the state in which the dynamic loader refuses the library.
    /// </summary>
    /// <exception cref="IOException">The files cannot be read.</exception>
    /// <exception cref="InvalidDataException">The library is not a little-endian ELF64 file.</exception>
    internal static bool NeedsMissingGlibcxx(string library)
    {
        var strong = ElfVersionNeeds.Read(File.ReadAllBytes(library)).Any(n => n.Name == GlibcxxVersion && !n.IsWeak);
        if (!strong) return false;
        var system = ElfVersionNeeds.SystemLibStdCxx();
        return system is null || !ElfVersionNeeds.Defines(system, GlibcxxVersion);
    }
}

/// <summary>What libtorch's CPU allocator writes into fresh memory.</summary>
public enum AllocationFill
{
    /// <summary>Nothing: fresh tensors hold whatever the memory held (libtorch's default).</summary>
    None,
    /// <summary>Zeros.</summary>
    Zero,
    /// <summary>A NaN junk pattern, to expose kernels that read memory they did not write.</summary>
    Junk,
}
