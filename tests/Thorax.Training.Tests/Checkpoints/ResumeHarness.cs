using Thorax.Nn;
using Thorax.Optim;
using F = Thorax.Functional;

namespace Thorax.Training.Tests.Checkpoints;

/// <summary>Conv-BN-ReLU-pool-conv-dropout-linear classifier of (N, 1, 8, 8) inputs into 3 classes.</summary>
internal sealed class ResumeNet : Module<Tensor, Tensor>
{
    private readonly Conv2d _conv1;
    private readonly BatchNorm2d _bn1;
    private readonly Conv2d _conv2;
    private readonly Dropout _drop;
    private readonly Linear _fc;

    public ResumeNet(int classes = 3)
    {
        _conv1 = RegisterModule("conv1", new Conv2d(1, 4, 3, padding: 1, bias: false));
        _bn1 = RegisterModule("bn1", new BatchNorm2d(4));
        _conv2 = RegisterModule("conv2", new Conv2d(4, 8, 3, padding: 1));
        _drop = RegisterModule("drop", new Dropout(0.3));
        _fc = RegisterModule("fc", new Linear(8 * 4 * 4, classes));
    }

    protected override Tensor ForwardCore(Tensor x)
    {
        var h = F.MaxPool2d(_bn1.Forward(_conv1.Forward(x)).Relu(), 2);
        return _fc.Forward(_drop.Forward(_conv2.Forward(h).Relu().Flatten(1)));
    }
}

/// <summary>
/// Everything a training run holds: model, AdamW, cosine schedule, plateau scheduler, SWA average over epochs 3-4,
/// a Thorax generator for input noise, SeededRandoms for shuffling and flip decisions; dropout draws from the global
/// torch generator. Every source of randomness is seeded from <c>seed</c>, so a "fresh" run built with another seed
/// shares nothing with the original until it is restored from a checkpoint.
/// </summary>
internal sealed class TrainingRun : IDisposable
{
    public const int Epochs = 4;
    public const int BatchSize = 8;

    public TrainingRun(long seed)
    {
        Torch.ManualSeed(seed);
        Model = new ResumeNet();
        Optimizer = new AdamW(Model.Parameters(), new AdamWOptions { Lr = 5e-3, WeightDecay = 1e-2 });
        Scheduler = new CosineAnnealingLR(Optimizer, Epochs, 1e-4);
        Plateau = new ReduceLROnPlateau(Optimizer, factor: 0.5, patience: 0);
        Noise = new Generator(seed + 1);
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
        return (Torch.Randn(new long[] { 32, 1, 8, 8 }, g).DetachFromScope(), Torch.RandInt(0, 3, new long[] { 32 }, g).DetachFromScope());
    }

    /// <summary>One epoch (1-based number): shuffled mini-batches, random flips, noise, dropout; then the schedulers and SWA.</summary>
    public void TrainEpoch(int epoch, Tensor xs, Tensor ys)
    {
        Model.Train();
        var n = (int)xs.Size(0);
        var order = Shuffle.Permutation(n);
        var total = 0.0;
        for (var b = 0; b < n; b += BatchSize)
        {
            using var scope = Torch.NewScope();
            var idx = Torch.FromArray(order.Skip(b).Take(BatchSize).Select(i => (long)i).ToArray(), BatchSize);
            var x = xs.IndexSelect(0, idx);
            var y = ys.IndexSelect(0, idx);
            if (Augment.NextBool()) x = x.Flip(3);
            x = x + Torch.Randn(x.Shape, Noise) * 0.05;
            Optimizer.ZeroGrad();
            var loss = F.CrossEntropy(Model.Forward(x), y);
            loss.Backward();
            Optimizer.Step();
            Step++;
            total += loss.Item();
        }
        Scheduler.Step();
        Plateau.Step(total);
        Swa.OnEpochEnd(epoch, Model);
    }

    /// <summary>Copies of every tensor whose value the run's future depends on, plus the learning rate and the next RNG draws.</summary>
    public Dictionary<string, Tensor> Fingerprint()
    {
        var d = new Dictionary<string, Tensor>();
        using (var sd = Model.StateDict()) foreach (var (k, t) in sd) d["model." + k] = t.Clone().DetachFromScope();
        using (var sd = Swa.StateDict()) foreach (var (k, t) in sd) d["swa." + k] = t.Clone().DetachFromScope();
        using (var osd = Optimizer.StateDict())
            foreach (var (k, t) in osd.ToTensors("opt.")) d[k] = t.Clone().DetachFromScope();
        d["lr"] = Torch.Scalar(Optimizer.ParamGroups[0].Lr, DType.Float64).DetachFromScope();
        d["step"] = Torch.Scalar(Step, DType.Int64).DetachFromScope();
        d["next.torch"] = Torch.Rand(4).DetachFromScope();
        d["next.noise"] = Torch.Randn(new long[] { 4 }, Noise).DetachFromScope();
        d["next.shuffle"] = Torch.FromArray(new[] { (long)Shuffle.NextUInt64(), (long)Augment.NextUInt64() }, 2).DetachFromScope();
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
