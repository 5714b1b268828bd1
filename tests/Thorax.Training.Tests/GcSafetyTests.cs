using Thorax.Training.Diagnostics;
using Thorax.Training.Loop;
using Thorax.Training.Optim;
using TorchSharp.Modules;
using Xunit.Abstractions;

namespace Thorax.Training.Tests;

/// <summary>These tests change process-wide garbage-collector behaviour, so nothing else runs beside them.</summary>
[CollectionDefinition(nameof(GcSafetyCollection), DisableParallelization = true)]
public sealed class GcSafetyCollection;

/// <summary>
/// Native temporaries and the garbage collector (TorchGc's remarks): Thorax's optimiser steps keep every scalar they
/// hand to libtorch alive, and the shared epoch loop keeps collections out of its steps, so training survives a
/// thread that forces collections or allocates garbage all the time. Before these fixes a forced-collection thread
/// broke every <c>saliency train</c> run ("Expected false to be true ... toFloat", "alpha must not be a floating point
/// number"), and an allocating thread broke TorchSharp's BatchNorm in one of two runs (README "Engine").
/// </summary>
[Collection(nameof(GcSafetyCollection))]
public sealed class GcSafetyTests
{
    private readonly ITestOutputHelper _out;

    public GcSafetyTests(ITestOutputHelper output) => _out = output;

    public static TheoryData<string> Optimizers => new() { "adam", "adam-amsgrad-wd-maximize", "adamw", "adamw-amsgrad", "sgd-nesterov-wd", "sgd-momentum-dampening" };

    private static torch.optim.Optimizer Build(string name, IEnumerable<Parameter> ps) => name switch
    {
        "adam" => new SafeAdam(ps, lr: 1e-3),
        "adam-amsgrad-wd-maximize" => new SafeAdam(ps, lr: 1e-3, weight_decay: 1e-2, amsgrad: true, maximize: true),
        "adamw" => new SafeAdamW(ps, lr: 1e-3, weight_decay: 1e-2),
        "adamw-amsgrad" => new SafeAdamW(ps, lr: 1e-3, weight_decay: 1e-2, amsgrad: true),
        "sgd-nesterov-wd" => new PyTorchSgd(ps, lr: 1e-2, momentum: 0.9, weight_decay: 1e-3, nesterov: true),
        "sgd-momentum-dampening" => new PyTorchSgd(ps, lr: 1e-2, momentum: 0.5, dampening: 0.1, weight_decay: 1e-3),
        _ => throw new ArgumentException(name),
    };

    /// <summary>
    /// A model whose forward and loss pass no scalars (linear, ReLU, MSE), so every scalar of a step comes from the
    /// optimiser: 300 steps with a collection forced every millisecond, and the run matches the same run without.
    /// (A regression test, not a detector: the race needs a collection inside a microsecond-wide window, which these
    /// sizes rarely give even for TorchSharp's own Adam; the saliency runs in README "Engine" are the measurement.)
    /// </summary>
    [Theory]
    [MemberData(nameof(Optimizers))]
    public void OptimizerStep_UnderForcedCollections_RunsAndMatchesTheQuietRun(string name)
    {
        float[] Train(bool stress)
        {
            torch.manual_seed(5);
            using var model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 1));
            using var opt = Build(name, model.parameters());
            using var g = new torch.Generator(9);
            using var gc = stress ? GcStress.Start(TimeSpan.FromMilliseconds(1)) : null;
            for (var s = 0; s < 300; s++)
            {
                // a fast machine can finish all steps before the thread is scheduled: pace the steps by the collections
                if (gc is not null) SpinWait.SpinUntil(() => gc.Collections >= s / 10, 1000);
                using var scope = torch.NewDisposeScope();
                var x = torch.randn(new long[] { 32, 64 }, generator: g);
                var y = x.sum(1, keepdim: true);
                opt.zero_grad();
                torch.nn.functional.mse_loss(model.call(x), y).backward();
                opt.step();
            }
            if (gc is not null)
            {
                _out.WriteLine($"{name}: {gc.Collections} forced collections during 300 steps");
                Assert.True(gc.Collections > 10, $"only {gc.Collections} collections were forced");
            }
            return model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        }
        var quiet = Train(stress: false);
        var stressed = Train(stress: true);
        Assert.Equal(quiet, stressed);
        Assert.All(stressed, v => Assert.True(float.IsFinite(v)));
    }

    /// <summary>
    /// The epoch loop with a convolution + BatchNorm network (TorchSharp's BatchNorm passes a temporary scalar on every
    /// training forward) while another thread allocates garbage without pause: the run completes, its steps ran in
    /// no-GC regions, and it ends on the same weights as the same run without the allocating thread.
    /// </summary>
    [Fact]
    public void EpochTrainer_BatchNormNetworkBesideAnAllocatingThread_CompletesWithTheQuietRunsWeights()
    {
        float[] Fit(bool stress)
        {
            var dir = Path.Combine(Path.GetTempPath(), "thorax-gc-" + Guid.NewGuid().ToString("N"));
            try
            {
                using var method = new ConvBnMethod();
                var started = TorchGc.RegionsStarted;
                using var gc = stress ? GcStress.Start(TimeSpan.FromMilliseconds(0), GcStressMode.Allocate) : null;
                var result = new EpochTrainer(new EpochTrainerOptions { Epochs = 3, Deterministic = true }).Fit(method, dir);
                Assert.Equal(3, result.History.Count);
                Assert.True(TorchGc.RegionsStarted - started >= 3 * ConvBnMethod.Steps, $"{TorchGc.RegionsStarted - started} no-GC regions for {3 * ConvBnMethod.Steps} steps");
                if (gc is not null) _out.WriteLine($"{gc.Collections} gen-0 collections while training; regions lost so far: {TorchGc.RegionsLost}");
                return method.Weights();
            }
            finally
            {
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
        }
        var quiet = Fit(stress: false);
        var stressed = Fit(stress: true);
        Assert.Equal(quiet, stressed);
    }

    [Fact]
    public void Quiet_NestedScopes_HoldOneRegionUntilTheOuterScopeEnds()
    {
        Assert.NotEqual(System.Runtime.GCLatencyMode.NoGCRegion, System.Runtime.GCSettings.LatencyMode);
        using (TorchGc.Quiet())
        {
            Assert.Equal(System.Runtime.GCLatencyMode.NoGCRegion, System.Runtime.GCSettings.LatencyMode);
            using (TorchGc.Quiet()) Assert.Equal(System.Runtime.GCLatencyMode.NoGCRegion, System.Runtime.GCSettings.LatencyMode);
            Assert.Equal(System.Runtime.GCLatencyMode.NoGCRegion, System.Runtime.GCSettings.LatencyMode);
        }
        Assert.NotEqual(System.Runtime.GCLatencyMode.NoGCRegion, System.Runtime.GCSettings.LatencyMode);
        TorchGc.Enabled = false;
        try
        {
            using (TorchGc.Quiet()) Assert.NotEqual(System.Runtime.GCLatencyMode.NoGCRegion, System.Runtime.GCSettings.LatencyMode);
        }
        finally
        {
            TorchGc.Enabled = true;
        }
    }

    [Fact]
    public void Quiet_BudgetExceeded_RegionLostAndCounted()
    {
        var lost = TorchGc.RegionsLost;
        var budget = TorchGc.Budget;
        TorchGc.Budget = 1L << 20;
        try
        {
            using (TorchGc.Quiet())
            {
                var keep = new List<byte[]>();
                for (var i = 0; i < 64; i++) keep.Add(new byte[64 << 10]); // 4 MiB > 1 MiB
                GC.KeepAlive(keep);
            }
            Assert.Equal(lost + 1, TorchGc.RegionsLost);
            Assert.NotEqual(System.Runtime.GCLatencyMode.NoGCRegion, System.Runtime.GCSettings.LatencyMode);
        }
        finally
        {
            TorchGc.Budget = budget;
        }
    }

    /// <summary>
    /// Conv + BatchNorm + pooling + linear on fixed random images; plain MSE to a fixed target. 16 channels: with 8,
    /// oneDNN's NCHW convolution backward gives NaN gradients in about half of all runs (README "Engine", the first
    /// libtorch defect; Thorax's models route such convolutions through channels-last, these plain modules do not).
    /// </summary>
    private sealed class ConvBnMethod : TrainingMethod, IDisposable
    {
        public const int Steps = 12;
        private readonly Sequential _net;
        private readonly SafeAdam _opt;
        private readonly torch.Tensor _x, _y;

        public ConvBnMethod()
        {
            torch.manual_seed(3);
            _net = torch.nn.Sequential(torch.nn.Conv2d(1, 16, 3, padding: 1), torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
                torch.nn.Conv2d(16, 16, 3, padding: 1), torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
                torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(16, 1));
            _opt = new SafeAdam(_net.parameters(), lr: 1e-2);
            using var g = new torch.Generator(4);
            _x = torch.randn(new long[] { Steps * 4, 1, 32, 32 }, generator: g).DetachFromDisposeScope();
            _y = _x.mean([1L, 2L, 3L]).unsqueeze(1).DetachFromDisposeScope();
            Components = new TrainingComponents { Model = _net, Optimizer = _opt };
        }

        public override TrainingComponents Components { get; }
        public override string Fingerprint => "gc-safety-convbn";
        public override IReadOnlyList<string> MetricNames { get; } = ["val_loss"];
        public override string SelectionMetric => "val_loss";
        public override MetricGoal SelectionGoal => MetricGoal.Minimize;
        public override int BeginEpoch(int epoch) => Steps;

        public override torch.Tensor ComputeLoss(int epoch, int step) =>
            torch.nn.functional.mse_loss(_net.call(_x.narrow(0, step * 4, 4)), _y.narrow(0, step * 4, 4));

        public override IReadOnlyDictionary<string, double> Evaluate(int epoch)
        {
            using var scope = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            _net.eval();
            var l = torch.nn.functional.mse_loss(_net.call(_x), _y).item<float>();
            _net.train();
            return new Dictionary<string, double> { ["val_loss"] = l };
        }

        public float[] Weights() => _net.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

        public void Dispose()
        {
            _opt.Dispose();
            _net.Dispose();
            _x.Dispose();
            _y.Dispose();
        }
    }
}
