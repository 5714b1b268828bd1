using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Thorax.Training.Optim;
using Thorax.Training.Schedulers;
using TorchSharp.Modules;
using Optimizer = TorchSharp.torch.optim.Optimizer;

namespace Thorax.Training.Tests.Schedulers;

/// <summary>Scheduler state save/load, limits and invariants.</summary>
public sealed class SchedulerBehaviourTests
{
    private static (Optimizer Opt, Parameter[] Params) Sgd() => SchedulerGoldenTests.MakeOptimizer("sgd", new[] { 0.1, 0.03 });

    private static void Release((Optimizer Opt, Parameter[] Params) o)
    {
        o.Opt.Dispose();
        foreach (var p in o.Params) p.Dispose();
    }

    public static IEnumerable<object[]> Kinds() => new[]
    {
        new object[] { "step" }, new object[] { "warm_restarts" }, new object[] { "onecycle" }, new object[] { "sequential" },
    };

    private static LRScheduler Make(string kind, Optimizer opt) => kind switch
    {
        "step" => new StepLR(opt, 4, 0.5),
        "warm_restarts" => new CosineAnnealingWarmRestarts(opt, 3, 2, 1e-4),
        "onecycle" => new OneCycleLR(opt, 0.5, 40, threePhase: true),
        "sequential" => SequentialLR.WarmupCosine(opt, 5, 40, 0.1, 1e-5),
        _ => throw new InvalidOperationException(kind),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void LoadStateDict_SavedMidway_ContinuesLikeStraightRun(string kind)
    {
        var straight = Sgd();
        var first = Sgd();
        var resumed = Sgd();
        try
        {
            var s = Make(kind, straight.Opt);
            var expected = new List<double[]>();
            for (var i = 0; i < 30; i++)
            {
                s.Step();
                expected.Add(s.GetLastLr().ToArray());
            }

            var f = Make(kind, first.Opt);
            for (var i = 0; i < 12; i++) f.Step();
            var schedJson = f.StateDict().ToJsonString();
            using (var optState = OptimizerStateDict.Capture(first.Opt)) optState.LoadInto(resumed.Opt);

            var r = Make(kind, resumed.Opt);
            r.LoadStateDict(JsonNode.Parse(schedJson)!.AsObject());
            for (var i = 12; i < 30; i++)
            {
                r.Step();
                Assert.Equal(expected[i], r.GetLastLr());
                Assert.Equal(expected[i], OptimizerGroups.Of(resumed.Opt).Select(g => g.LearningRate));
            }
        }
        finally
        {
            Release(straight);
            Release(first);
            Release(resumed);
        }
    }

    [Fact]
    public void ReduceLROnPlateau_StateRoundTrip_ContinuesLikeStraightRun()
    {
        var a = Sgd();
        var b = Sgd();
        try
        {
            double[] metrics = { 1, 0.9, 0.95, 0.96, 0.97, 0.8, 0.85, 0.86, 0.87, 0.88, 0.7, 0.75, 0.76 };
            var s = new ReduceLROnPlateau(a.Opt, patience: 1, cooldown: 1, factor: 0.5);
            var t = new ReduceLROnPlateau(b.Opt, patience: 1, cooldown: 1, factor: 0.5);
            for (var i = 0; i < 6; i++)
            {
                s.Step(metrics[i]);
                t.Step(metrics[i]);
            }
            var saved = t.StateDict().ToJsonString();
            var u = new ReduceLROnPlateau(b.Opt, patience: 1, cooldown: 1, factor: 0.5);
            u.LoadStateDict(JsonNode.Parse(saved)!.AsObject());
            for (var i = 6; i < metrics.Length; i++)
            {
                s.Step(metrics[i]);
                u.Step(metrics[i]);
                Assert.Equal(s.GetLastLr(), u.GetLastLr());
                Assert.Equal((s.Best, s.NumBadEpochs, s.CooldownCounter), (u.Best, u.NumBadEpochs, u.CooldownCounter));
            }
        }
        finally
        {
            Release(a);
            Release(b);
        }
    }

    [Fact]
    public void ReduceLROnPlateau_FreshStateDict_WritesNullBest()
    {
        var o = Sgd();
        try
        {
            var s = new ReduceLROnPlateau(o.Opt, PlateauMode.Max);
            var json = s.StateDict();
            Assert.Null(json["best"]);
            s.LoadStateDict(json);
            Assert.Equal(double.NegativeInfinity, s.Best);
        }
        finally
        {
            Release(o);
        }
    }

    [Fact]
    public void OneCycleLR_SteppedPastTotalSteps_Throws()
    {
        var o = Sgd();
        try
        {
            var s = new OneCycleLR(o.Opt, 0.1, 5);
            for (var i = 0; i < 5; i++) s.Step(); // PyTorch allows last_epoch == total_steps
            Assert.Throws<InvalidOperationException>(() => s.Step());
        }
        finally
        {
            Release(o);
        }
    }

    [Fact]
    public void OneCycleLR_SgdWithoutExplicitMomentum_StartsAtMaxMomentumAndInitialLr()
    {
        using var p = new Parameter(torch.zeros(1));
        using var opt = new SGD(new[] { p }, 0.1);
        // SGD always has 'momentum' (default 0), as in PyTorch; an optimiser constructed this way is accepted.
        var s = new OneCycleLR(opt, 0.1, 10);
        Assert.Equal(0.95, OptimizerGroups.GetMomentum(OptimizerGroups.Of(opt)[0]));
        Assert.Equal(0.1 / 25, s.GetLastLr()[0], 15);
    }

    [Fact]
    public void OneCycleLR_AdamW_CyclesBeta1AndKeepsBeta2()
    {
        using var p = new Parameter(torch.zeros(1));
        using var opt = new AdamW(new[] { p }, beta1: 0.5, beta2: 0.99);
        var s = new OneCycleLR(opt, 0.1, 10, baseMomentum: 0.8, maxMomentum: 0.9);
        var g = (AdamW.ParamGroup)OptimizerGroups.Of(opt)[0];
        Assert.Equal((0.9, 0.99), g.Betas);
        for (var i = 0; i < 2; i++) s.Step(); // at the peak (step pct_start·total − 1 = 2) beta1 reaches base_momentum
        Assert.Equal(0.8, g.Betas.Item1, 12);
        Assert.Equal(0.99, g.Betas.Item2);
    }

    [Fact]
    public void InitialLr_FirstSchedulerSetsIt_SecondKeepsIt_AndItTravelsInTheOptimizerState()
    {
        var o = Sgd();
        try
        {
            var groups = OptimizerGroups.Of(o.Opt);
            Assert.False(OptimizerGroups.HasInitialLr(groups[0]));
            _ = new LinearLR(o.Opt, 0.5, 1.0, 4);
            Assert.Equal(0.05, groups[0].LearningRate, 15);
            _ = new StepLR(o.Opt, 2); // PyTorch's setdefault: initial_lr stays 0.1, not the warm-up's 0.05
            Assert.Equal(0.1, groups[0].InitialLearningRate);
            using var sd = OptimizerStateDict.Capture(o.Opt);
            Assert.Equal(0.1, sd.ParamGroups[0]["initial_lr"]);
            var other = Sgd();
            try
            {
                sd.LoadInto(other.Opt);
                Assert.True(OptimizerGroups.HasInitialLr(OptimizerGroups.Of(other.Opt)[1]));
                _ = new StepLR(other.Opt, 3, lastEpoch: 5); // resumable now
            }
            finally
            {
                Release(other);
            }
        }
        finally
        {
            Release(o);
        }
    }

    [Fact]
    public void LRScheduler_ResumeWithoutInitialLr_Throws()
    {
        var o = Sgd();
        try
        {
            Assert.Throws<ArgumentException>(() => new StepLR(o.Opt, 3, lastEpoch: 5));
        }
        finally
        {
            Release(o);
        }
    }

    [Fact]
    public void CosineAnnealingLR_LrStaysWithinEtaMinAndBase_Property()
    {
        var gen = from tMax in Gen.Choose(1, 200) from steps in Gen.Choose(1, 400) from etaPct in Gen.Choose(0, 99) select (tMax, steps, etaPct);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var o = Sgd();
            try
            {
                var eta = 0.03 * t.etaPct / 100.0;
                var s = new CosineAnnealingLR(o.Opt, t.tMax, eta);
                for (var i = 0; i < t.steps; i++)
                {
                    s.Step();
                    var lr = s.GetLastLr();
                    if (!(lr[0] >= eta - 1e-15 && lr[0] <= 0.1 + 1e-15 && lr[1] >= eta - 1e-15 && lr[1] <= 0.03 + 1e-15)) return false;
                }
                return true;
            }
            finally
            {
                Release(o);
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void ReduceLROnPlateau_AnyMetrics_LrNonIncreasingAndAboveMin_Property()
    {
        var gen = from metrics in Gen.ArrayOf(Gen.Choose(0, 1000).Select(x => x / 1000.0))
                  from patience in Gen.Choose(0, 4)
                  from cooldown in Gen.Choose(0, 3)
                  select (metrics, patience, cooldown);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var o = Sgd();
            try
            {
                var s = new ReduceLROnPlateau(o.Opt, new[] { 0.01, 0.001 }, patience: t.patience, cooldown: t.cooldown, factor: 0.5);
                var prev = s.GetLastLr().ToArray();
                foreach (var m in t.metrics)
                {
                    s.Step(m);
                    var lr = s.GetLastLr();
                    for (var i = 0; i < 2; i++)
                        if (lr[i] > prev[i] || lr[i] < s.MinLrs[i]) return false;
                    prev = lr.ToArray();
                }
                return true;
            }
            finally
            {
                Release(o);
            }
        }).QuickCheckThrowOnFailure();
    }
}
