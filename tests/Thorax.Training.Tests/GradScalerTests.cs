using TorchSharp.Modules;

namespace Thorax.Training.Tests;

public sealed class GradScalerTests
{
    private static (Linear Model, SGD Optimizer) Net(int seed)
    {
        torch.manual_seed(seed);
        var m = torch.nn.Linear(4, 2);
        return (m, new SGD(m.parameters(), 0.1, momentum: 0.9));
    }

    private static Tensor Loss(Linear m, int step)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(100 + step);
        var x = torch.randn(8, 4);
        return m.call(x).square().mean().MoveToOuterDisposeScope();
    }

    private static float[][] Weights(torch.nn.Module m) => m.parameters().Select(p => p.data<float>().ToArray()).ToArray();

    private static Tensor FirstGrad(Linear m) => m.parameters().First().grad!;

    [Fact]
    public void ScaledSteps_EqualUnscaledSteps_BitForBit()
    {
        var (plain, plainOpt) = Net(1);
        var (scaled, scaledOpt) = Net(1);
        var scaler = new GradScaler(initScale: 1024, growthInterval: 2);
        for (var step = 0; step < 5; step++)
        {
            plainOpt.zero_grad();
            using (var l = Loss(plain, step)) l.backward();
            plainOpt.step();
            scaledOpt.zero_grad();
            using (var l = Loss(scaled, step))
            using (var s = scaler.Scale(l)) s.backward();
            Assert.True(scaler.Step(scaledOpt));
            scaler.Update();
        }
        Assert.Equal(Weights(plain), Weights(scaled));
        Assert.Equal(4096, scaler.GetScale()); // grew at steps 2 and 4
        Assert.Equal(1, scaler.GrowthTracker);
    }

    [Fact]
    public void NonFiniteGradient_SkipsTheStep_HalvesTheScale_RestartsGrowth()
    {
        var (m, opt) = Net(2);
        var scaler = new GradScaler(initScale: 256, growthInterval: 10);
        using (var l = Loss(m, 0))
        using (var s = scaler.Scale(l)) s.backward();
        scaler.Step(opt);
        scaler.Update();
        Assert.Equal(1, scaler.GrowthTracker);
        var before = Weights(m);
        opt.zero_grad();
        using (var l = Loss(m, 1))
        using (var s = scaler.Scale(l)) s.backward();
        FirstGrad(m).fill_(double.PositiveInfinity);
        Assert.False(scaler.Step(opt));
        scaler.Update();
        Assert.Equal(before, Weights(m));
        Assert.Equal(128, scaler.GetScale());
        Assert.Equal(0, scaler.GrowthTracker);
    }

    [Fact]
    public void NaNGradient_AlsoSkips()
    {
        var (m, opt) = Net(3);
        var scaler = new GradScaler(initScale: 8);
        using (var l = Loss(m, 0))
        using (var s = scaler.Scale(l)) s.backward();
        m.parameters().Last().grad!.fill_(double.NaN);
        var before = Weights(m);
        Assert.False(scaler.Step(opt));
        scaler.Update();
        Assert.Equal(before, Weights(m));
        Assert.Equal(4, scaler.GetScale());
    }

    [Fact]
    public void Unscale_DividesOnce_StepDoesNotDivideAgain_SecondUnscaleThrows()
    {
        var (m, opt) = Net(4);
        var scaler = new GradScaler(initScale: 64);
        using (var l = Loss(m, 0)) l.backward();
        var raw = FirstGrad(m).data<float>().ToArray();
        opt.zero_grad();
        using (var l = Loss(m, 0))
        using (var s = scaler.Scale(l)) s.backward();
        scaler.Unscale(opt);
        Assert.Equal(raw, FirstGrad(m).data<float>().ToArray());
        Assert.Contains("already", Assert.Throws<InvalidOperationException>(() => scaler.Unscale(opt)).Message);
        Assert.True(scaler.Step(opt));
        Assert.Throws<InvalidOperationException>(() => scaler.Step(opt));
        scaler.Update();
        Assert.Contains("needs a Step", Assert.Throws<InvalidOperationException>(() => scaler.Update()).Message);
    }

    [Fact]
    public void ScaleSequence_FollowsTheRule_AndNeverOverflows()
    {
        // Closed form: halve on a bad step, double after `interval` good ones, capped where float32 overflows.
        var scaler = new GradScaler(initScale: 1, growthInterval: 2);
        var (m, opt) = Net(5);
        var pattern = new[] { false, false, true, false, false, false, true, true, false, false };
        var expected = new[] { 1.0, 2, 1, 1, 2, 2, 1, 0.5, 0.5, 1 };
        for (var i = 0; i < pattern.Length; i++)
        {
            opt.zero_grad();
            using (var l = Loss(m, i))
            using (var s = scaler.Scale(l)) s.backward();
            if (pattern[i]) FirstGrad(m).fill_(double.NaN);
            scaler.Step(opt);
            scaler.Update();
            Assert.Equal(expected[i], scaler.GetScale());
        }
        var big = new GradScaler(initScale: float.MaxValue / 1.5, growthInterval: 1);
        opt.zero_grad();
        using (var l = Loss(m, 0)) l.backward(); // unscaled grads are fine: only finiteness matters here
        big.Step(opt);
        big.Update();
        Assert.Equal((double)(float)(float.MaxValue / 1.5), big.GetScale());
    }

    [Fact]
    public void StateDict_UsesPyTorchKeys_AndRoundTrips()
    {
        var a = new GradScaler(initScale: 512, growthInterval: 7);
        var (m, opt) = Net(6);
        using (var l = Loss(m, 0))
        using (var s = a.Scale(l)) s.backward();
        a.Step(opt);
        a.Update();
        var sd = a.StateDict();
        Assert.Equal(new[] { "scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker" }, sd.Select(kv => kv.Key));
        var b = new GradScaler(growthInterval: 7);
        b.LoadStateDict(System.Text.Json.Nodes.JsonNode.Parse(sd.ToJsonString())!.AsObject()); // as read back from a file
        Assert.Equal(512, b.GetScale());
        Assert.Equal(1, b.GrowthTracker);
        var e = Assert.Throws<OptimizerStateException>(() => new GradScaler(growthInterval: 3).LoadStateDict(sd));
        Assert.Equal("growth_interval", e.Key);
        sd.Remove("scale");
        Assert.Equal("scale", Assert.Throws<OptimizerStateException>(() => b.LoadStateDict(sd)).Key);
    }

    [Fact]
    public void Disabled_IsAPassThrough()
    {
        var scaler = new GradScaler(enabled: false);
        var (m, opt) = Net(7);
        using var l = Loss(m, 0);
        Assert.Same(l, scaler.Scale(l));
        l.backward();
        var before = Weights(m);
        Assert.True(scaler.Step(opt));
        scaler.Update();
        Assert.NotEqual(before, Weights(m));
        Assert.Equal(1.0, scaler.GetScale());
        Assert.Empty(scaler.StateDict());
    }

    [Fact]
    public void Float16Gradients_AreRefused_NamingTheParameter()
    {
        using var p = new Parameter(torch.zeros(3, ScalarType.Float16));
        p.grad = torch.ones(3, ScalarType.Float16);
        using var opt = new SGD(new[] { p }, 0.1);
        var e = Assert.Throws<ArgumentException>(() => new GradScaler().Unscale(opt));
        Assert.Contains("parameter 0 of group 0", e.Message);
        Assert.Contains("FP16", e.Message);
    }

    [Theory]
    [InlineData(0.0, 2.0, 0.5, 10, "initScale")]
    [InlineData(1.0, 1.0, 0.5, 10, "growthFactor")]
    [InlineData(1.0, 2.0, 1.0, 10, "backoffFactor")]
    [InlineData(1.0, 2.0, 0.5, 0, "growthInterval")]
    public void BadArguments_NameTheParameter(double init, double growth, double backoff, int interval, string name)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new GradScaler(init, growth, backoff, interval));
        Assert.Equal(name, e.ParamName);
    }
}
