using System.Text.Json;
using Thorax.Training.Optim;
using Thorax.Training.Schedulers;
using TorchSharp.Modules;
using Xunit.Abstractions;
using Golden = Thorax.Training.Tests.Support.TestData;
using Optimizer = TorchSharp.torch.optim.Optimizer;

namespace Thorax.Training.Tests.Schedulers;

/// <summary>Learning rates (and OneCycle momentum) over 60 steps against PyTorch 1.13's schedulers (schedulers.json).</summary>
public sealed class SchedulerGoldenTests
{
    // Closed forms vs PyTorch's chainable products: equal up to accumulated rounding.
    private const double Rtol = 1e-12;
    private readonly ITestOutputHelper _out;

    public SchedulerGoldenTests(ITestOutputHelper output) => _out = output;

    private static JsonElement File => Golden.Load("optim/schedulers.json");

    public static IEnumerable<object[]> Cases() =>
        File.GetProperty("cases").EnumerateArray().Select(c => new object[] { c.GetProperty("name").GetString()! });

    /// <summary>A TorchSharp optimiser like the script's: two groups with lrs (0.1, 0.03), SGD momentum 0.9 or Adam.</summary>
    internal static (Optimizer Opt, Parameter[] Params) MakeOptimizer(string kind, double[] lrs)
    {
        var ps = lrs.Select(_ => new Parameter(torch.zeros(1))).ToArray();
        Optimizer opt = kind == "sgd"
            ? new SGD(ps.Zip(lrs, (p, lr) => new SGD.ParamGroup(new[] { p }, new SGD.Options { LearningRate = lr })).ToArray(), lrs[0], momentum: 0.9)
            : new Adam(ps.Zip(lrs, (p, lr) => new Adam.ParamGroup(new[] { p }, new Adam.Options { LearningRate = lr })).ToArray(), lrs[0]);
        return (opt, ps);
    }

    internal static LRScheduler Build(string name, Optimizer opt, JsonElement a)
    {
        int I(string k) => a.GetProperty(k).GetInt32();
        double D(string k, double def) => a.TryGetProperty(k, out var v) ? v.GetDouble() : def;
        return name switch
        {
            "step" => new StepLR(opt, I("step_size"), D("gamma", 0.1)),
            "multistep" => new MultiStepLR(opt, a.GetProperty("milestones").EnumerateArray().Select(x => x.GetInt32()), D("gamma", 0.1)),
            "exponential" => new ExponentialLR(opt, D("gamma", double.NaN)),
            _ when name.StartsWith("cosine") => new CosineAnnealingLR(opt, I("T_max"), D("eta_min", 0)),
            _ when name.StartsWith("warm_restarts") => new CosineAnnealingWarmRestarts(opt, I("T_0"), a.TryGetProperty("T_mult", out var tm) ? tm.GetInt32() : 1, D("eta_min", 0)),
            _ when name.StartsWith("linear") => new LinearLR(opt, D("start_factor", 1.0 / 3), D("end_factor", 1.0), I("total_iters")),
            _ when name.StartsWith("onecycle") => BuildOneCycle(opt, a),
            _ when name.StartsWith("sequential") => SequentialLR.WarmupCosine(opt,
                a.GetProperty("warmup").GetProperty("total_iters").GetInt32(),
                a.GetProperty("warmup").GetProperty("total_iters").GetInt32() + a.GetProperty("cosine").GetProperty("T_max").GetInt32(),
                a.GetProperty("warmup").GetProperty("start_factor").GetDouble(), a.GetProperty("cosine").GetProperty("eta_min").GetDouble()),
            _ => throw new InvalidOperationException(name),
        };
    }

    private static OneCycleLR BuildOneCycle(Optimizer opt, JsonElement a)
    {
        double D(string k, double def) => a.TryGetProperty(k, out var v) ? v.GetDouble() : def;
        var total = a.TryGetProperty("total_steps", out var ts) ? ts.GetInt32() : a.GetProperty("epochs").GetInt32() * a.GetProperty("steps_per_epoch").GetInt32();
        var maxLr = a.GetProperty("max_lr");
        var maxLrs = maxLr.ValueKind == JsonValueKind.Array ? Golden.Doubles(maxLr) : Enumerable.Repeat(maxLr.GetDouble(), OptimizerGroups.Of(opt).Count).ToArray();
        return new OneCycleLR(opt, maxLrs, total, D("pct_start", 0.3),
            a.TryGetProperty("anneal_strategy", out var s) && s.GetString() == "linear" ? AnnealStrategy.Linear : AnnealStrategy.Cos,
            !a.TryGetProperty("cycle_momentum", out var cm) || cm.GetBoolean(), D("base_momentum", 0.85), D("max_momentum", 0.95),
            D("div_factor", 25), D("final_div_factor", 1e4), a.TryGetProperty("three_phase", out var tp) && tp.GetBoolean());
    }

    internal static double[] Momentum(Optimizer opt) => OptimizerGroups.Of(opt).Select(OptimizerGroups.GetMomentum).ToArray();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Step_60Steps_LrMatchesTorch(string name)
    {
        var c = File.GetProperty("cases").EnumerateArray().First(x => x.GetProperty("name").GetString() == name);
        var (opt, ps) = MakeOptimizer(c.GetProperty("optimizer").GetString()!, Golden.Doubles(c.GetProperty("group_lrs")));
        try
        {
            var sch = Build(name, opt, c.GetProperty("args"));
            var lrs = c.GetProperty("lr").EnumerateArray().Select(Golden.Doubles).ToList();
            var mom = c.TryGetProperty("momentum", out var m) ? m.EnumerateArray().Select(Golden.Doubles).ToList() : null;
            double worst = 0;
            for (var step = 0; step < lrs.Count; step++)
            {
                if (step > 0) sch.Step();
                Golden.Close(lrs[step], sch.GetLastLr(), Rtol, 1e-15, $"{name} lr at step {step}");
                Golden.Close(lrs[step], OptimizerGroups.Of(opt).Select(g => g.LearningRate).ToArray(), Rtol, 1e-15, $"{name} group lr at step {step}");
                if (mom is not null) Golden.Close(mom[step], Momentum(opt), Rtol, 1e-15, $"{name} momentum at step {step}");
                for (var i = 0; i < lrs[step].Length; i++)
                    if (lrs[step][i] != 0) worst = Math.Max(worst, Math.Abs(sch.GetLastLr()[i] - lrs[step][i]) / Math.Abs(lrs[step][i]));
            }
            _out.WriteLine($"{name}: max relative lr difference from torch = {worst:E2}");
        }
        finally
        {
            opt.Dispose();
            foreach (var p in ps) p.Dispose();
        }
    }

    [Fact]
    public void CosineAnnealingWarmRestarts_FractionalEpochs_MatchesTorch()
    {
        var c = File.GetProperty("warm_restarts_fractional");
        var (opt, ps) = MakeOptimizer("sgd", Golden.Doubles(c.GetProperty("group_lrs")));
        try
        {
            var a = c.GetProperty("args");
            var sch = new CosineAnnealingWarmRestarts(opt, a.GetProperty("T_0").GetInt32(), a.GetProperty("T_mult").GetInt32(), a.GetProperty("eta_min").GetDouble());
            var epochs = Golden.Doubles(c.GetProperty("epochs"));
            var lrs = c.GetProperty("lr").EnumerateArray().Select(Golden.Doubles).ToList();
            for (var i = 0; i < epochs.Length; i++)
            {
                sch.Step(epochs[i]);
                Golden.Close(lrs[i], sch.GetLastLr(), 1e-12, 1e-15, $"lr at epoch {epochs[i]}");
            }
        }
        finally
        {
            opt.Dispose();
            foreach (var p in ps) p.Dispose();
        }
    }

    public static IEnumerable<object[]> PlateauCases() =>
        File.GetProperty("plateau").GetProperty("cases").EnumerateArray().Select(c => new object[] { c.GetProperty("name").GetString()! });

    [Theory]
    [MemberData(nameof(PlateauCases))]
    public void ReduceLROnPlateau_MetricSequence_MatchesTorch(string name)
    {
        var p = File.GetProperty("plateau");
        var c = p.GetProperty("cases").EnumerateArray().First(x => x.GetProperty("name").GetString() == name);
        var (opt, ps) = MakeOptimizer("sgd", Golden.Doubles(c.GetProperty("group_lrs")));
        try
        {
            var a = c.GetProperty("args");
            double D(string k, double def) => a.TryGetProperty(k, out var v) ? v.GetDouble() : def;
            var minLr = a.TryGetProperty("min_lr", out var ml)
                ? ml.ValueKind == JsonValueKind.Array ? Golden.Doubles(ml) : new[] { ml.GetDouble(), ml.GetDouble() }
                : new[] { 0.0, 0.0 };
            var sch = new ReduceLROnPlateau(opt, minLr,
                a.GetProperty("mode").GetString() == "min" ? PlateauMode.Min : PlateauMode.Max,
                D("factor", 0.1), a.TryGetProperty("patience", out var pa) ? pa.GetInt32() : 10, D("threshold", 1e-4),
                a.GetProperty("threshold_mode").GetString() == "rel" ? ThresholdMode.Rel : ThresholdMode.Abs,
                a.TryGetProperty("cooldown", out var cd) ? cd.GetInt32() : 0, D("eps", 1e-8));
            var metrics = Golden.Doubles(p.GetProperty("metrics"));
            var lrs = c.GetProperty("lr").EnumerateArray().Select(Golden.Doubles).ToList();
            for (var i = 0; i < metrics.Length; i++)
            {
                sch.Step(metrics[i]);
                Assert.Equal(lrs[i], sch.GetLastLr());
            }
            var f = c.GetProperty("final");
            Assert.Multiple(
                () => Assert.Equal(f.GetProperty("best").GetDouble(), sch.Best),
                () => Assert.Equal(f.GetProperty("num_bad_epochs").GetInt32(), sch.NumBadEpochs),
                () => Assert.Equal(f.GetProperty("cooldown_counter").GetInt32(), sch.CooldownCounter),
                () => Assert.Equal(f.GetProperty("last_epoch").GetInt32(), sch.LastEpoch));
        }
        finally
        {
            opt.Dispose();
            foreach (var t in ps) t.Dispose();
        }
    }
}
