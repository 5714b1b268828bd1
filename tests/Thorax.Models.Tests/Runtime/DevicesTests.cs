using Thorax.Models.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Models.Tests.Runtime;

/// <summary>The device moves every pipeline goes through: on the CPU (the default) nothing is copied and the same objects
/// come back, so CPU runs stay byte-identical to code that never moved anything.</summary>
public class DevicesTests
{
    [Fact]
    public void TensorOnTheCpu_StaysTheSameObject_ForNullAndCpu()
    {
        TorchRuntime.EnsureLoaded();
        using var t = arange(6, ScalarType.Float32);
        Assert.True(Devices.IsOn(t, null));
        Assert.True(Devices.IsOn(t, CPU));
        Assert.Same(t, t.MoveTo(null));
        Assert.Same(t, t.MoveTo(CPU));
        Assert.Same(t, t.On(CPU));
        Assert.Same(t, t.OnCpu());
        Assert.Same(t, t.MoveTo(TorchRuntime.ParseDevice("cpu")));
        Assert.False(t.IsInvalid); // not disposed
        Assert.False(Devices.IsOn(t, new Device(DeviceType.CUDA, 0)));
    }

    [Fact]
    public void ModuleOnTheCpu_KeepsItsParameterObjects_AndReportsTheCpu()
    {
        TorchRuntime.EnsureLoaded();
        using var m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2));
        var before = m.parameters().Select(p => p.Handle).ToList();
        Assert.Same(m, m.MoveTo(null));
        Assert.Same(m, m.MoveTo(CPU));
        Assert.Equal(before, m.parameters().Select(p => p.Handle).ToList());
        Assert.Equal(DeviceType.CPU, Devices.DeviceOf(m).type);
        using var empty = nn.ReLU();
        Assert.Equal(DeviceType.CPU, Devices.DeviceOf(empty).type);
    }

    [SkippableFact]
    public void OnCuda_MovesAndDisposesTheSource_WhereACudaDeviceExists()
    {
        Skip.IfNot(cuda.is_available(), "no CUDA device in this build (TorchSharp-cpu)");
        var dev = TorchRuntime.ParseDevice("cuda");
        var t = arange(6, ScalarType.Float32);
        using var moved = t.MoveTo(dev);
        Assert.True(t.IsInvalid);
        Assert.Equal(DeviceType.CUDA, moved.device_type);
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, moved.OnCpu().data<float>().ToArray());
        using var m = nn.Linear(2, 2).MoveTo(dev);
        Assert.Equal(DeviceType.CUDA, Devices.DeviceOf(m).type);
    }
}
