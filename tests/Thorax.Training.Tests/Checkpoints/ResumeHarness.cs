using Thorax.Training.Optim;
using Thorax.Training.Schedulers;
using TorchSharp.Modules;
using static TorchSharp.torch.nn;

namespace Thorax.Training.Tests.Checkpoints;

/// <summary>
/// Conv-BN-ReLU-pool-linear-ReLU-dropout-linear classifier of (N, 1, 8, 8) inputs into 3 classes.
/// </summary>
/// <remarks>
/// The old engine's harness had a second convolution (4→8) after the pool. Under TorchSharp-cpu 0.107 (libtorch 2.10)
/// the input gradient of such a convolution comes out NaN whenever the recycled memory it is computed in happens to
/// hold NaN/Inf bit patterns (finite garbage has no effect), so that net trained to NaN intermittently; a linear layer
/// takes its place here so that this harness tests resumability, not that engine defect (reported with the port).
/// </remarks>
internal sealed class ResumeNet : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Linear hidden;
    private readonly Dropout drop;
    private readonly Linear fc;

    public ResumeNet(int classes = 3) : base(nameof(ResumeNet))
    {
        conv1 = Conv2d(1, 4, 3, padding: 1, bias: false);
        bn1 = BatchNorm2d(4);
        hidden = Linear(4 * 4 * 4, 32);
        drop = Dropout(0.3);
        fc = Linear(32, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var h = functional.max_pool2d(bn1.call(conv1.call(x)).relu(), 2).flatten(1);
        return fc.call(drop.call(hidden.call(h).relu()));
    }
}

/// <summary>
/// Everything a training run holds: model, AdamW, cosine schedule, plateau scheduler, SWA average over epochs 3-4,
/// a torch.Generator for input noise, SeededRandoms for shuffling and flip decisions; dropout draws from the global
/// torch generator. Every source of randomness is seeded from <c>seed</c>, so a "fresh" run built with another seed
/// shares nothing with the original until it is restored from a checkpoint.
/// </summary>
internal sealed class TrainingRun : IDisposable
{
    public const int Epochs = 4;
    public const int BatchSize = 8;

    public TrainingRun(long seed)
    {
        torch.manual_seed(seed);
        Model = new ResumeNet();
        Optimizer = new AdamW(Model.parameters(), lr: 5e-3, weight_decay: 1e-2);
        Scheduler = new CosineAnnealingLR(Optimizer, Epochs, 1e-4);
        Plateau = new ReduceLROnPlateau(Optimizer, factor: 0.5, patience: 0);
        Noise = new Generator((ulong)seed + 1);
        Shuffle = new SeededRandom(seed + 2);
        Augment = new SeededRandom(seed + 3);
        Swa = new SwaAveragedModel<ResumeNet>(Model, () => new ResumeNet(), schedule: SwaSchedule.AtEpochs(3, 4));
    }

    public ResumeNet Model { get; }
    public AdamW Optimizer { get; }
    public CosineAnnealingLR Scheduler { get; }
    public ReduceLROnPlateau Plateau { get; }
    public Generator Noise { get; }
    public SeededRandom Shuffle { get; }
    public SeededRandom Augment { get; }
    public SwaAveragedModel<ResumeNet> Swa { get; }
    public long Step { get; set; }

    public TrainingComponents Components => new()
    {
        Model = Model,
        Optimizer = Optimizer,
        Scheduler = Scheduler,
        PlateauScheduler = Plateau,
        ExtraModules = new Dictionary<string, Module> { ["swa"] = Swa },
        Generators = new Dictionary<string, Generator> { ["noise"] = Noise },
        Randoms = new Dictionary<string, SeededRandom> { ["shuffle"] = Shuffle, ["augment"] = Augment },
    };

    /// <summary>A fixed data set: 32 samples (32, 1, 8, 8) float32 and int64 labels in [0, 3).</summary>
    public static (Tensor X, Tensor Y) Data()
    {
        using var g = new Generator(2718);
        return (torch.randn(new long[] { 32, 1, 8, 8 }, generator: g).DetachFromDisposeScope(),
            torch.randint(0, 3, new long[] { 32 }, generator: g).DetachFromDisposeScope());
    }

    /// <summary>
    /// One epoch (1-based number): shuffled mini-batches, random flips, noise, dropout; then the schedulers and SWA.
    /// Runs with one intra-op thread, set on the calling thread (TorchSharp 0.107 has no use_deterministic_algorithms;
    /// CPU ops are deterministic at a fixed thread count). OpenMP's thread count is per OS thread and xunit may run a
    /// test's constructor and body on different threads, hence the call here.
    /// </summary>
    public void TrainEpoch(int epoch, Tensor xs, Tensor ys)
    {
        torch.set_num_threads(1);
        TrainEpochCore(epoch, xs, ys);
    }

    private void TrainEpochCore(int epoch, Tensor xs, Tensor ys)
    {
        Model.train();
        var n = (int)xs.shape[0];
        var order = Shuffle.Permutation(n);
        var total = 0.0;
        for (var b = 0; b < n; b += BatchSize)
        {
            using var scope = torch.NewDisposeScope();
            var idx = torch.tensor(order.Skip(b).Take(BatchSize).Select(i => (long)i).ToArray());
            var x = xs.index_select(0, idx);
            var y = ys.index_select(0, idx);
            if (Augment.NextBool()) x = x.flip(3);
            x = x + torch.randn(x.shape, generator: Noise) * 0.05;
            Optimizer.zero_grad();
            var loss = functional.cross_entropy(Model.call(x), y);
            loss.backward();
            Optimizer.step();
            Step++;
            total += loss.item<float>();
        }
        Scheduler.Step();
        Plateau.Step(total);
        Swa.OnEpochEnd(epoch, Model);
    }

    /// <summary>Copies of every tensor whose value the run's future depends on, plus the learning rate and the next RNG draws.</summary>
    public Dictionary<string, Tensor> Fingerprint()
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (k, t) in Model.state_dict()) d["model." + k] = t.detach().clone().DetachFromDisposeScope();
        foreach (var (k, t) in Swa.state_dict()) d["swa." + k] = t.detach().clone().DetachFromDisposeScope();
        using (var osd = OptimizerStateDict.Capture(Optimizer))
            foreach (var (k, t) in osd.ToTensors("opt.")) d[k] = t.clone().DetachFromDisposeScope();
        d["lr"] = torch.tensor(OptimizerGroups.Of(Optimizer)[0].LearningRate, ScalarType.Float64).DetachFromDisposeScope();
        d["step"] = torch.tensor(Step, ScalarType.Int64).DetachFromDisposeScope();
        d["next.torch"] = torch.rand(4).DetachFromDisposeScope();
        d["next.noise"] = torch.randn(new long[] { 4 }, generator: Noise).DetachFromDisposeScope();
        d["next.shuffle"] = torch.tensor(new[] { (long)Shuffle.NextUInt64(), (long)Augment.NextUInt64() }).DetachFromDisposeScope();
        return d;
    }

    public void Dispose()
    {
        Swa.Dispose();
        Optimizer.Dispose();
        Model.Dispose();
        Noise.Dispose();
    }
}
