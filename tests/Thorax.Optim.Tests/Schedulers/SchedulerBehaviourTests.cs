using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;

namespace Thorax.Optim.Tests.Schedulers;

/// <summary>Scheduler state save/load, limits and invariants.</summary>
public sealed class SchedulerBehaviourTests
{
    private static (Optimizer Opt, Tensor[] Params) Sgd() => SchedulerGoldenTests.MakeOptimizer("sgd", new[] { 0.1, 0.03 });

    private static void Release((Optimizer Opt, Tensor[] Params) o)
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
            using (var optState = first.Opt.StateDict()) resumed.Opt.LoadStateDict(optState);

            var r = Make(kind, resumed.Opt);
            r.LoadStateDict(JsonNode.Parse(schedJson)!.AsObject());
            for (var i = 12; i < 30; i++)
            {
                r.Step();
                Assert.Equal(expected[i], r.GetLastLr());
                Assert.Equal(expected[i], resumed.Opt.ParamGroups.Select(g => g.Lr));
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
        using var p = Torch.Zeros(1).RequiresGrad_();
        using var opt = new Sgd(new[] { p }, new SgdOptions { Lr = 0.1 });
        // SGD defaults always carry 'momentum', as in PyTorch; an optimiser constructed this way is accepted.
        var s = new OneCycleLR(opt, 0.1, 10);
        Assert.Equal(0.95, opt.ParamGroups[0].GetDouble("momentum"));
        Assert.Equal(0.1 / 25, s.GetLastLr()[0], 15);
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
