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

    [SkippableFact]
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
            // The one message a failed load gives in this state: the version, Debian 12, the library and what to do.
            var message = TorchRuntime.LoadFailureMessage(new DllNotFoundException("version `GLIBCXX_3.4.32' not found"), copy);
            Assert.Contains(TorchRuntime.GlibcxxVersion, message);
            Assert.Contains("Debian 12", message);
            Assert.Contains(copy, message);
            Assert.Contains("rebuild with ./thorax or dotnet build", message);
            Assert.Contains("not found", message); // the loader's own words follow
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

    /// <summary>
    /// The build step of the Debian 12 fix (<c>ElfVersionNeeds.WeakenCopy</c>, run by build/TorchSharpNative.targets after
    /// every build): on an output file that is a symbolic link into a package cache it replaces the link by a patched copy
    /// and leaves the cache file as it was; a second run changes nothing; where the system libstdc++ has the version it
    /// is a no-op that leaves the link in place.
    /// </summary>
    [SkippableFact]
    public void WeakenCopy_ReplacesALinkIntoTheCacheOnly_AndIsIdempotent()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "ELF libraries and the Debian 12 fix are Linux only");
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so"));
        foreach (var need in ElfVersionNeeds.Read(bytes).Where(n => n.Name == TorchRuntime.GlibcxxVersion))
        {
            var flags = (ushort)(need.Flags & ~ElfVersionNeeds.WeakFlag); // strong, as in the NuGet package
            bytes[need.FlagsOffset] = (byte)flags;
            bytes[need.FlagsOffset + 1] = (byte)(flags >> 8);
        }
        Assert.Contains(ElfVersionNeeds.Read(bytes), n => n.Name == TorchRuntime.GlibcxxVersion && !n.IsWeak);
        var dir = Directory.CreateTempSubdirectory("thorax-weaken");
        try
        {
            var cache = Path.Combine(dir.FullName, "cache", "libLibTorchSharp.so");
            var output = Path.Combine(dir.FullName, "out", "libLibTorchSharp.so");
            Directory.CreateDirectory(Path.GetDirectoryName(cache)!);
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            File.WriteAllBytes(cache, bytes);
            var cacheTime = new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc);
            File.SetLastWriteTimeUtc(cache, cacheTime);
            File.CreateSymbolicLink(output, cache);

            var system = ElfVersionNeeds.SystemLibStdCxx();
            var first = ElfVersionNeeds.WeakenCopy(output, TorchRuntime.GlibcxxVersion);
            Assert.Equal(bytes, File.ReadAllBytes(cache)); // the cache file is never written
            if (system is not null && ElfVersionNeeds.Defines(system, TorchRuntime.GlibcxxVersion))
            {
                Assert.Contains("nothing to do", first);
                Assert.NotNull(new FileInfo(output).LinkTarget); // still the link
                return;
            }
            Assert.Contains("marked the need", first);
            Assert.Null(new FileInfo(output).LinkTarget); // a real file now
            var patched = File.ReadAllBytes(output);
            Assert.All(ElfVersionNeeds.Read(patched).Where(n => n.Name == TorchRuntime.GlibcxxVersion), n => Assert.True(n.IsWeak));
            Assert.Equal(bytes.Length, patched.Length);
            var needs = ElfVersionNeeds.Read(bytes).Count(n => n.Name == TorchRuntime.GlibcxxVersion);
            Assert.InRange(bytes.Zip(patched).Count(p => p.First != p.Second), 1, 2 * needs); // only the needs' flags differ
            Assert.Equal(cacheTime, File.GetLastWriteTimeUtc(output)); // incremental copies see the same time
            Assert.False(TorchRuntime.NeedsMissingGlibcxx(output));

            var second = ElfVersionNeeds.WeakenCopy(output, TorchRuntime.GlibcxxVersion);
            Assert.Contains("no strong need", second);
            Assert.Equal(patched, File.ReadAllBytes(output));
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(output)!, "*.tmp"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void LoadFailureMessage_SaysWhatToDo()
    {
        var message = TorchRuntime.LoadFailureMessage(new DllNotFoundException("libLibTorchSharp.so: cannot open"));
        Assert.Contains("rebuild with ./thorax or dotnet build", message);
        Assert.Contains("libLibTorchSharp.so: cannot open", message);
    }
}
