using System.Text.Json;
using Thorax.Training.Optim;
using Thorax.Training.Tests.Support;
using Xunit.Abstractions;

namespace Thorax.Training.Tests.Optim;

/// <summary>
/// TorchSharp's SGD, Thorax's <see cref="SafeAdam"/> / <see cref="SafeAdamW"/> (and <see cref="PyTorchSgd"/> for SGD
/// with maximize) against PyTorch 1.13
/// trajectories and final state dicts (optimizers.json, tools/golden/optim/make_optim_goldens.py).
/// </summary>
public sealed class OptimizerGoldenTests
{
    private const double Rtol = 1e-6;
    private const double Atol = 1e-7;
    private readonly ITestOutputHelper _out;

    public OptimizerGoldenTests(ITestOutputHelper output) => _out = output;

    public static IEnumerable<object[]> Cases() => OptimizerFixture.CaseNames();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Step_GoldenCase_MatchesTorchAfterEveryRecordedStep(string name)
    {
        var c = OptimizerFixture.Case(name);
        var ps = OptimizerFixture.Parameters();
        try
        {
            using var opt = OptimizerFixture.Build(c, ps);
            var expected = c.GetProperty("expected");
            long maxUlps = 0;
            for (var step = 1; step <= 10; step++)
            {
                OptimizerFixture.Run(opt, ps, step, step);
                if (!expected.TryGetProperty(step.ToString(), out var atStep)) continue;
                foreach (var n in OptimizerFixture.Names)
                {
                    var want = TestData.Floats(atStep.GetProperty(n));
                    var got = OptimizerFixture.Values(ps[n]);
                    TestData.Close(want, got, Rtol, Atol, $"{name} step {step} {n}");
                    for (var i = 0; i < want.Length; i++) maxUlps = Math.Max(maxUlps, TestData.Ulps(want[i], got[i]));
                }
            }
            _out.WriteLine($"{name}: max ulp distance from torch over recorded steps = {maxUlps}");
        }
        finally
        {
            OptimizerFixture.DisposeAll(ps);
        }
    }

    /// <summary>
    /// <see cref="SafeAdam"/> / <see cref="SafeAdamW"/> only keep their scalars alive: every Adam and AdamW case gives
    /// bit for bit the parameters and state of TorchSharp's own Adam / AdamW after each of 10 steps.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void SafeAdam_EveryAdamCase_BitIdenticalToTorchSharpAdam(string name)
    {
        var c = OptimizerFixture.Case(name);
        if (c.GetProperty("optimizer").GetString() is not ("adam" or "adamw")) return;
        var ours = OptimizerFixture.Parameters();
        var theirs = OptimizerFixture.Parameters();
        try
        {
            using var a = OptimizerFixture.Build(c, ours);
            using var b = OptimizerFixture.Build(c, theirs, torchSharpAdam: true);
            Assert.IsAssignableFrom<TorchSharp.Modules.OptimizerHelper>(a);
            Assert.True(a is SafeAdam or SafeAdamW, a.GetType().Name);
            Assert.False(b is SafeAdam or SafeAdamW, b.GetType().Name);
            for (var step = 1; step <= 10; step++)
            {
                OptimizerFixture.Run(a, ours, step, step);
                OptimizerFixture.Run(b, theirs, step, step);
                foreach (var n in OptimizerFixture.Names)
                    Assert.Equal(OptimizerFixture.Values(theirs[n]), OptimizerFixture.Values(ours[n]));
            }
            using var sa = OptimizerStateDict.Capture(a);
            using var sb = OptimizerStateDict.Capture(b);
            Assert.Equal(sb.State.Keys, sa.State.Keys);
            foreach (var (i, entries) in sb.State)
                foreach (var (k, t) in entries)
                    Assert.Equal(t.data<float>().ToArray(), sa.State[i][k].data<float>().ToArray());
        }
        finally
        {
            OptimizerFixture.DisposeAll(ours);
            OptimizerFixture.DisposeAll(theirs);
        }
    }

    /// <summary>
    /// The discrepancy that <see cref="PyTorchSgd"/> exists for: TorchSharp's own SGD with maximize and weight decay
    /// leaves PyTorch's trajectory at step 1 (its decay term has the wrong sign).
    /// </summary>
    [Fact]
    public void TorchSharpSgd_MaximizeWithWeightDecay_DiffersFromTorchAtStep1()
    {
        var c = OptimizerFixture.Case("sgd_nesterov_maximize");
        var ps = OptimizerFixture.Parameters();
        try
        {
            using var opt = OptimizerFixture.Build(c, ps, torchSharpSgd: true);
            OptimizerFixture.Run(opt, ps, 1, 1);
            var want = TestData.Floats(c.GetProperty("expected").GetProperty("1").GetProperty("w"));
            var got = OptimizerFixture.Values(ps["w"]);
            var worst = want.Zip(got, (a, b) => Math.Abs((double)a - b)).Max();
            _out.WriteLine($"TorchSharp SGD maximize+weight_decay, step 1, w: max |diff| from torch = {worst:E3}");
            Assert.True(worst > 1e-5, $"expected TorchSharp's SGD to differ from PyTorch, max diff {worst:E3}");
        }
        finally
        {
            OptimizerFixture.DisposeAll(ps);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void StateDict_After10Steps_MatchesTorchStateAndParamGroups(string name)
    {
        var c = OptimizerFixture.Case(name);
        var ps = OptimizerFixture.Parameters();
        try
        {
            using var opt = OptimizerFixture.Build(c, ps);
            OptimizerFixture.Run(opt, ps, 1, 10);
            using var sd = OptimizerStateDict.Capture(opt);

            var torchState = c.GetProperty("state");
            Assert.Equal(torchState.EnumerateObject().Select(p => int.Parse(p.Name)).Order(), sd.State.Keys.Order());
            foreach (var entry in torchState.EnumerateObject())
            {
                var ours = sd.State[int.Parse(entry.Name)];
                Assert.Equal(entry.Value.EnumerateObject().Select(p => p.Name).Order(), ours.Keys.Order());
                foreach (var t in entry.Value.EnumerateObject())
                    TestData.Close(TestData.Floats(t.Value), TestData.Values(ours[t.Name]), Rtol, Atol, $"{name} state.{entry.Name}.{t.Name}");
                if (ours.TryGetValue("step", out var step))
                    Assert.Equal((ScalarType.Float32, 0L), (step.dtype, step.Dimensions));
            }

            var torchGroups = c.GetProperty("param_groups").EnumerateArray().ToList();
            Assert.Equal(torchGroups.Count, sd.ParamGroups.Count);
            for (var g = 0; g < torchGroups.Count; g++)
            {
                var tg = torchGroups[g];
                Assert.Equal(TestData.Longs(tg.GetProperty("params")).Select(x => (int)x), sd.ParamGroups[g].Params);
                foreach (var (k, v) in sd.ParamGroups[g].Hyperparameters)
                {
                    Assert.True(tg.TryGetProperty(k, out var tv), $"torch's param group has no '{k}'");
                    switch (v)
                    {
                        case double d: Assert.Equal(tv.GetDouble(), d); break;
                        case bool b: Assert.Equal(tv.GetBoolean(), b); break;
                        case ValueTuple<double, double> p: Assert.Equal((tv[0].GetDouble(), tv[1].GetDouble()), p); break;
                    }
                }
                // Every torch hyperparameter that changes the arithmetic is present on our side.
                foreach (var prop in tg.EnumerateObject())
                    if (prop.Name is not ("params" or "foreach" or "capturable" or "differentiable" or "fused"))
                        Assert.NotNull(sd.ParamGroups[g][prop.Name]);
            }
        }
        finally
        {
            OptimizerFixture.DisposeAll(ps);
        }
    }

    [Fact]
    public void FromTensors_TorchParamGroupsJson_IsAcceptedAndSkipsNulls()
    {
        var c = OptimizerFixture.Case("adam_amsgrad_wd");
        var json = JsonSerializer.Serialize(new { param_groups = c.GetProperty("param_groups") });
        using var sd = OptimizerStateDict.FromTensors(new Dictionary<string, Tensor>(), json);
        var g = Assert.Single(sd.ParamGroups);
        Assert.Equal((0.8, 0.99), g["betas"]);
        Assert.Equal(true, g["amsgrad"]);
        Assert.Null(g["foreach"]);
        Assert.Equal(new[] { 0, 1, 2, 3 }, g.Params);
    }
}
