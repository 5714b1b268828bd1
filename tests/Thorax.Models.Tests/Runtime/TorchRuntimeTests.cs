using Thorax.Build;
using Thorax.Models.Runtime;

namespace Thorax.Models.Tests.Runtime;

public sealed class TorchRuntimeTests
{
    [Fact]
    public void LibLibTorchSharp_InTheTestOutput_LoadsOnThisSystem()
    {
        // The build marks the GLIBCXX_3.4.32 need weak in the output copy where the system libstdc++ lacks it (Debian 12).
        var library = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        if (OperatingSystem.IsLinux())
        {
            Assert.True(File.Exists(library), library + " missing from the test output");
            var strong = ElfVersionNeeds.Read(File.ReadAllBytes(library)).Where(n => n.Name == TorchRuntime.GlibcxxVersion && !n.IsWeak).ToList();
            var system = ElfVersionNeeds.SystemLibStdCxx();
            var systemDefines = system is not null && ElfVersionNeeds.Defines(system, TorchRuntime.GlibcxxVersion);
            Assert.True(strong.Count == 0 || systemDefines,
                $"{library} needs {TorchRuntime.GlibcxxVersion} strongly and {system ?? "no system libstdc++"} lacks it: build/TorchSharpNative.targets did not run");
            Assert.False(TorchRuntime.NeedsMissingGlibcxx(library));
        }
        TorchRuntime.EnsureLoaded();
        using var t = torch.ones(2, 3);
        Assert.Equal(6f, t.sum().item<float>());
    }

    [Fact]
    public void NeedsMissingGlibcxx_AStrongNeedTheSystemLacks_IsDetected_AndTheLoadMessageSaysWhatToDo()
    {
        // A copy of the library with the need made strong again, as in the NuGet cache.
        var system = ElfVersionNeeds.SystemLibStdCxx();
        Skip.If(!OperatingSystem.IsLinux() || system is null || ElfVersionNeeds.Defines(system, TorchRuntime.GlibcxxVersion),
            "this system's libstdc++ defines " + TorchRuntime.GlibcxxVersion);
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so"));
        foreach (var need in ElfVersionNeeds.Read(bytes).Where(n => n.Name == TorchRuntime.GlibcxxVersion))
        {
            var flags = (ushort)(need.Flags & ~ElfVersionNeeds.WeakFlag);
            bytes[need.FlagsOffset] = (byte)flags;
            bytes[need.FlagsOffset + 1] = (byte)(flags >> 8);
        }
        var dir = Directory.CreateTempSubdirectory("thorax-elf");
        try
        {
            var copy = Path.Combine(dir.FullName, "libLibTorchSharp.so");
            File.WriteAllBytes(copy, bytes);
            Assert.True(TorchRuntime.NeedsMissingGlibcxx(copy));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("-3")]
    public void ThreadsFromEnvironment_UnsetOrInvalid_IsTheProcessorCount(string? value) =>
        Assert.Equal(Environment.ProcessorCount, TorchRuntime.ThreadsFromEnvironment(value));

    [Fact]
    public void ThreadsFromEnvironment_PositiveInteger_IsUsed() => Assert.Equal(3, TorchRuntime.ThreadsFromEnvironment(" 3 "));

    [Fact]
    public void NumThreads_SetAndRead_BelowOneIsRejected()
    {
        var before = TorchRuntime.NumThreads;
        try
        {
            TorchRuntime.NumThreads = 1;
            Assert.Equal(1, TorchRuntime.NumThreads);
        }
        finally
        {
            TorchRuntime.NumThreads = before;
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchRuntime.NumThreads = 0);
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData(" CPU ")]
    public void ParseDevice_Cpu(string name) => Assert.Equal(DeviceType.CPU, TorchRuntime.ParseDevice(name).type);

    [Theory]
    [InlineData("cuda")]
    [InlineData("cuda:1")]
    [InlineData("cuda:7")]
    public void ParseDevice_MissingCudaDevice_NamesTheDevice(string name)
    {
        var count = torch.cuda.is_available() ? torch.cuda.device_count() : 0;
        var index = name == "cuda" ? 0 : int.Parse(name[5..], System.Globalization.CultureInfo.InvariantCulture);
        if (index < count)
        {
            var d = TorchRuntime.ParseDevice(name);
            Assert.Equal(DeviceType.CUDA, d.type);
            Assert.Equal(index, d.index);
            return;
        }
        var ex = Assert.Throws<ArgumentException>(() => TorchRuntime.ParseDevice(name));
        Assert.Contains($"'{name}'", ex.Message);
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:x")]
    [InlineData("cuda:-1")]
    public void ParseDevice_Malformed_NamesTheInput(string name)
    {
        var ex = Assert.Throws<ArgumentException>(() => TorchRuntime.ParseDevice(name));
        Assert.Contains($"'{name}'", ex.Message);
    }

    [Fact]
    public void Describe_NamesVersionThreadsAndCuda()
    {
        var text = TorchRuntime.Describe();
        Assert.Contains("libtorch: " + torch.__version__, text);
        Assert.Contains($"threads: {torch.get_num_threads()}", text);
        Assert.Contains("cuda: ", text);
    }

    [Fact]
    public void KernelAllowsMadvisedHugePages_ReadsTheBracketedMode()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "always [madvise] never\n");
            Assert.True(TorchRuntime.KernelAllowsMadvisedHugePages(path));
            File.WriteAllText(path, "[always] madvise never\n");
            Assert.True(TorchRuntime.KernelAllowsMadvisedHugePages(path));
            File.WriteAllText(path, "always madvise [never]\n");
            Assert.False(TorchRuntime.KernelAllowsMadvisedHugePages(path));
        }
        finally
        {
            File.Delete(path);
        }
        Assert.False(TorchRuntime.KernelAllowsMadvisedHugePages("/nonexistent/transparent_hugepage/enabled"));
    }

    [SkippableFact]
    public void HugePageAllocations_LargeTensorTouchedOnThisThread_FaultsInFarFewerPages()
    {
        TorchRuntime.EnsureLoaded();
        Skip.If(!OperatingSystem.IsLinux() || !TorchRuntime.HugePageAllocations,
            "huge-page allocations are off here (not Linux, THORAX_HUGE_PAGES=0, THP_MEM_ALLOC_ENABLE=0, or the kernel's THP mode is never)");
        Assert.Contains("huge-page allocations: on", TorchRuntime.Describe());
        // 64 MiB written from this thread: 16,384 faults with 4 KiB pages, 32 with 2 MiB pages. /proc/thread-self
        // counts this thread's faults only (other tests run in parallel).
        const int floats = 16 << 20;
        using var t = torch.empty(floats);
        var before = ThreadMinorFaults();
        var span = t.data<float>();
        for (var i = 0; i < floats; i += 1024) span[i] = 1f;
        var faults = ThreadMinorFaults() - before;
        Assert.True(faults < 4096, $"{faults} minor faults for 64 MiB (4 KiB pages would take 16384)");
    }

    private static long ThreadMinorFaults()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[7], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void LoadFailureMessage_SaysWhatToDo()
    {
        var message = TorchRuntime.LoadFailureMessage(new DllNotFoundException("libLibTorchSharp.so: cannot open"));
        Assert.Contains("rebuild with ./thorax or dotnet build", message);
        Assert.Contains("libLibTorchSharp.so: cannot open", message);
    }
}
