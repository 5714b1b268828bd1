using Thorax.Models.Runtime;
using Thorax.Cli.Bench;
using TorchSharp;
using static Thorax.Cli.Tests.CliRunner;

namespace Thorax.Cli.Tests;

/// <summary>The benches' TorchSharp plumbing: device errors, the lungs rows, the oneDNN switch, the GD-ViG and saliency
/// benches on their smoke settings (no Python), the peak-RSS probe.</summary>
public class BenchTests
{
    [SkippableFact]
    public void BenchEngine_CudaOnThisBuild_Exit2_NamingTheDevice()
    {
        Skip.If(torch.cuda.is_available(), "a CUDA device is present");
        var (code, _, err) = Run("bench", "engine", "--device", "cuda:1", "--no-pytorch");
        Assert.Equal(2, code);
        Assert.Contains("cuda:1", err);
        Assert.Contains("CUDA", err);
        Assert.DoesNotContain("(Parameter", err);
    }

    [Fact]
    public void BenchEngine_RepeatsBelowOne_Exit2() => Assert.Equal(2, Run("bench", "engine", "--repeats", "0").Code);

    [Fact]
    public void LungsRows_NameTheirPeerCases()
    {
        Assert.Equal("unet infer fused bf16 b32 256px", LungsBench.InferFusedBf16Row("unet"));
        Assert.Equal("unet infer bf16 b32 256px", LungsBench.InferBf16Case("unet")); // tools/bench/lungs_bench.py infer_bf16_case
        Assert.Equal("unet infer b32 256px", LungsBench.InferCase("unet"));
        Assert.Equal("unet train b4 256px", LungsBench.TrainCase("unet"));
    }

    [Fact]
    public void BenchGdVig_Quick_PrintsTheKnnAndModelRows_WithoutPython()
    {
        var (code, output, err) = Run("bench", "gdvig", "--quick", "--no-pytorch", "--repeats", "1", "--json");
        Assert.True(code == 0, err);
        CliSchemas.AssertValid("bench", output);
        var rows = Rows(output);
        var (o, batch) = GdVigBench.Settings(quick: true);
        var blocks = GdVigBench.Blocks(o);
        Assert.Equal(4, blocks.Count); // one block per stage
        Assert.Equal(new[]
        {
            "knn gaze stage1 b2 576x36 c8 k9x1", "knn gaze stage2 b2 144x36 c16 k9x1", "knn gaze stage3 b2 36x36 c24 k9x1",
            "knn gaze stage4 b2 9x9 c32 k9x1", "knn gaze all 4 graphs b2", "knn plain all 4 graphs b2", "gdvig infer b2 96px", "gdvig train b2 96px",
            "gdvig infer fused b2 96px",
        }, rows.Select(r => r.Case));
        Assert.All(rows, r => Assert.True(r.Thorax > 0 && r.PyTorch is null && r.Unit == "ms", r.Case));
        Assert.Equal(2, batch);
    }

    [Fact]
    public void BenchContextual_Smoke_PrintsEveryRow_AndTheAttentionMapsRowWithoutAPeerFigure()
    {
        var (code, output, err) = Run("bench", "contextual", "--sizes", "32", "--width", "4", "--no-pytorch", "--repeats", "1", "--json");
        Assert.True(code == 0, err);
        CliSchemas.AssertValid("bench", output);
        var rows = Rows(output);
        var expected = new List<string>();
        foreach (var net in new[] { "unet", "contextual" })
        {
            expected.AddRange([$"{net} train b2 32px", $"{net} infer b4 32px", $"{net} infer fused b4 32px"]);
            if (net == "contextual") expected.Add(ContextualBench.AttentionMapsRow("fused", 32));
            expected.Add($"{net} infer fused bf16 b4 32px");
            if (net == "contextual") expected.Add(ContextualBench.AttentionMapsRow("fused bf16", 32));
        }
        Assert.Equal(expected, rows.Select(r => r.Case));
        Assert.Equal("contextual infer fused b4 32px, attention maps", expected[7]);
        Assert.All(rows, r => Assert.True(r.Thorax > 0 && r.PyTorch is null && r.Unit == "ms", r.Case));
    }

    [Fact]
    public void GdVigBench_PublishedBlocks_AreTheAuthorsGraphs()
    {
        // EGD-CXR at 224 px: 56x56 nodes with keys pooled by 4 (196), 28x28 by 2, then 14x14 and 7x7 unpooled; dilation
        // idx/4 + 1 over the 12 blocks, as the authors' ViG_Gaze (tools/bench/gdvig_bench.py names the same cases).
        var blocks = GdVigBench.Blocks(GdVigBench.Settings(quick: false).Options);
        Assert.Equal(new[] { 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3 }, blocks.Select(b => b.Dilation));
        Assert.Equal(new[] { 196, 196, 196, 196, 196, 196, 196, 196, 196, 196, 49, 49 }, blocks.Select(b => b.Keys));
        Assert.Equal("knn gaze stage1 b8 3136x196 c48 k9x1", GdVigBench.StageCase(blocks[0], 8));
        Assert.Equal("knn gaze stage4 b8 49x49 c384 k9x3", GdVigBench.StageCase(blocks[10], 8));
        Assert.Equal("gdvig train b8 224px", GdVigBench.ModelCase("train", 8, 224));
        Assert.Equal("gdvig infer fused b8 224px", GdVigBench.FusedCase(8, 224));
    }

    [Fact]
    public void BenchSaliency_Quick_PrintsTimesAndPeakMemory_WithoutPython()
    {
        var (code, output, err) = Run("bench", "saliency", "--quick", "--no-pytorch", "--repeats", "1", "--json");
        Assert.True(code == 0, err);
        CliSchemas.AssertValid("bench", output);
        var rows = Rows(output);
        Assert.Equal("saliency train b2 64x64", rows[0].Case);
        Assert.Equal("saliency infer b2 64x64", rows[1].Case);
        Assert.Equal("saliency infer fused b2 64x64", rows[^1].Case);
        // times and the peak are positive; the growth over the memory in use before the step can be 0 (a tiny
        // network's step may fit in pages the process already holds)
        Assert.All(rows, r => Assert.True((r.Case.Contains("rss growth", StringComparison.Ordinal) ? r.Thorax >= 0 : r.Thorax > 0) && r.PyTorch is null, r.Case));
        Assert.Contains(rows, r => r.Case == "saliency train b2 64x64, memory-efficient densenet");
        if (PeakRss.Supported)
        {
            Assert.Equal(["saliency train b2 64x64 peak rss", "saliency train b2 64x64 rss growth"], rows.Skip(2).Take(2).Select(r => r.Case));
            Assert.All(rows.Skip(2).Take(2), r => Assert.Equal("MiB", r.Unit));
            Assert.True(rows[2].Thorax > 50, "a process with libtorch loaded has a resident set of more than 50 MiB"); // and growth <= peak
            Assert.True(rows[3].Thorax <= rows[2].Thorax);
            Assert.Equal(["saliency train b2 64x64, memory-efficient densenet", "saliency train b2 64x64 peak rss, memory-efficient densenet",
                "saliency train b2 64x64 rss growth, memory-efficient densenet"], rows.Skip(4).Take(3).Select(r => r.Case));
            Assert.Equal(8, rows.Count);
        }
        else Assert.Equal(4, rows.Count);
    }

    [Fact]
    public void BenchPtx_NoPeer_PrintsTheCascadeNetworksTrainAndInferRows()
    {
        var (code, output, err) = Run("bench", "ptx", "--no-pytorch", "--size", "64", "--repeats", "1", "--json");
        Assert.True(code == 0, err);
        CliSchemas.AssertValid("bench", output);
        var rows = Rows(output);
        Assert.Equal(["classifier train b4 64px", "classifier infer b8 64px", "segmenter train b4 64px", "segmenter infer b8 64px"], rows.Select(r => r.Case));
        Assert.All(rows, r => Assert.True(r.Thorax > 0 && r.PyTorch is null && r.Unit == "ms", r.Case));
        Assert.Equal(2, Run("bench", "ptx", "--size", "100").Code); // not a multiple of 32
    }

    [SkippableFact]
    public void PeakRss_SeesAnAllocationTouchedInsideTheWork()
    {
        Skip.IfNot(PeakRss.Supported, "/proc/self/clear_refs is Linux only");
        // Native memory, not a managed array: the GC may hand back pages this process already holds (another test's
        // freed arrays, a committed no-GC region), and then the resident set does not grow (a clean-clone run saw that).
        var (before, peak) = PeakRss.Around(() =>
        {
            unsafe
            {
                const int size = 128 << 20;
                var block = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc(size);
                try
                {
                    for (var i = 0; i < size; i += 4096) block[i] = 1;
                }
                finally
                {
                    System.Runtime.InteropServices.NativeMemory.Free(block);
                }
            }
        });
        Assert.True(peak - before > 100, $"peak {peak:F0} MiB, before {before:F0} MiB");
    }

    private static List<(string Case, double Thorax, double? PyTorch, string Unit)> Rows(string json)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal(1, doc.RootElement.GetProperty("version").GetInt32());
        return doc.RootElement.GetProperty("rows").EnumerateArray().Select(r => (
            r.GetProperty("case").GetString()!, r.GetProperty("thorax").GetDouble(),
            r.GetProperty("pytorch").ValueKind == System.Text.Json.JsonValueKind.Null ? (double?)null : r.GetProperty("pytorch").GetDouble(),
            r.GetProperty("unit").GetString()!)).ToList();
    }

    [Fact]
    public void EngineDeviceName_IsPyTorchSpelling()
    {
        Assert.Equal("cpu", EngineBench.DeviceName(torch.CPU));
        Assert.Equal("cuda:2", EngineBench.DeviceName(new torch.Device(DeviceType.CUDA, 2)));
    }

    [SkippableFact]
    public void OneDnnSwitch_TurnsOffAndOn_AndConvolutionsStillRun()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the switch is reached through libtorch_cpu.so's symbols");
        Assert.True(EngineSwitches.OneDnnEnabled);
        try
        {
            EngineSwitches.OneDnnEnabled = false;
            Assert.False(EngineSwitches.OneDnnEnabled);
            using var scope = torch.NewDisposeScope();
            var x = torch.randn(2, 3, 8, 8);
            var w = torch.randn(4, 3, 3, 3);
            var y = torch.nn.functional.conv2d(x, w, padding: new long[] { 1, 1 });
            EngineSwitches.OneDnnEnabled = true;
            var y2 = torch.nn.functional.conv2d(x, w, padding: new long[] { 1, 1 });
            Assert.True(y.allclose(y2, rtol: 1e-4, atol: 1e-4));
        }
        finally
        {
            EngineSwitches.OneDnnEnabled = true;
        }
        Assert.True(EngineSwitches.OneDnnEnabled);
    }
}
