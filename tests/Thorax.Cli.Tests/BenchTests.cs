using Thorax.Models.Runtime;
using Thorax.Cli.Bench;
using TorchSharp;
using static Thorax.Cli.Tests.CliRunner;

namespace Thorax.Cli.Tests;

/// <summary>The benches' TorchSharp plumbing: device errors, the lungs rows, the oneDNN switch.</summary>
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
