using Thorax.Training.Loop;
namespace Thorax.Pipelines.Lungs;

/// <summary>Settings of a lung-segmentation training run. Each default is the demo's.</summary>
public sealed record LungTrainingOptions : ITrainerOptions
{
    /// <summary>Square model input size in pixels. Default 128 (the paper: 224).</summary>
    public int Size { get; init; } = 128;

    /// <summary>Architecture: unet, unetpp, attention-unet or sa-unet. Default unet.</summary>
    public string Model { get; init; } = "unet";

    /// <summary>Channels of the first level (the others double per level). Default 16 (a small, fast model).</summary>
    public int BaseChannels { get; init; } = 16;

    /// <summary>Stop when validation Dice has not improved for this many epochs. Default 8.</summary>
    public int EarlyStoppingPatience { get; init; } = 8;

    /// <summary>Maximum epochs. Default 30.</summary>
    public int Epochs { get; init; } = 30;

    /// <summary>Wall-clock budget for training; training stops after the epoch that crosses it. Default 4 minutes.</summary>
    public TimeSpan TimeBudget { get; init; } = TimeSpan.FromMinutes(4);

    /// <summary>Batch size. Default 8.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Adam learning rate. Default 2e-3.</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>Share of pairs held out for validation. Default 0.15.</summary>
    public double ValidationFraction { get; init; } = 0.15;

    /// <summary>Seed for the split, initial weights, shuffling and augmentation. Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Probability of a random shift-scale-rotate per training image. Default 0.5.</summary>
    public double AugmentProbability { get; init; } = 0.5;

    /// <summary>
    /// Multiply the learning rate by 0.1 when the validation loss has not improved for this many epochs (CXLSeg:
    /// Keras ReduceLROnPlateau, factor 0.1, minimum 1e-7); 0 keeps the rate constant. Default 3.
    /// </summary>
    public int PlateauPatience { get; init; } = 3;

    /// <summary>
    /// Momentum (PyTorch convention) of every BatchNorm in the network; null keeps the architecture's own
    /// (<see cref="Thorax.Models.Segmentation.SegmentationModels.DefaultBatchNormMomentum"/>: SA-UNet 0.01 from its Keras
    /// reference, the others 0.1). Default 0.1 for all four: with Keras' 0.01 and the few hundred steps of a
    /// minutes-long run, SA-UNet's running statistics lag its weights and validation Dice swings from epoch to epoch.
    /// </summary>
    public double? BatchNormMomentum { get; init; } = 0.1;

    /// <summary>
    /// Where the network trains: <c>cpu</c> (default), <c>cuda</c> or <c>cuda:N</c> (needs a CUDA TorchSharp package;
    /// see <see cref="Thorax.Models.Runtime.TorchRuntime.ParseDevice"/>). Not part of the fingerprint: checkpoints hold
    /// CPU tensors, so a run started on one device resumes on another.
    /// </summary>
    public string Device { get; init; } = "cpu";

    /// <summary>
    /// Deterministic mode: the run trains on one intra-op thread (libtorch 2.10's multi-threaded convolution backward
    /// sums in a varying order, and TorchSharp has no <c>use_deterministic_algorithms</c>), so equal settings give
    /// bit-identical weights and a killed run resumes to exactly the weights of an uninterrupted one. Slower (one
    /// core). Not part of the fingerprint.
    /// </summary>
    public bool Deterministic { get; init; }

    /// <summary>
    /// The options that define what a run's checkpoints contain; a run folder can only be resumed with the same values
    /// (epochs and time budget may change). Invariant text, one <c>key=value</c> per option.
    /// </summary>
    /// <remarks>The BatchNorm momentum appears only when it differs from the architecture's own, so runs made before it
    /// became an option keep their fingerprints.</remarks>
    public string Fingerprint() => FormattableString.Invariant(
        $"model={Model};base={BaseChannels};size={Size};batch={BatchSize};lr={LearningRate:R};seed={Seed};val={ValidationFraction:R};augment={AugmentProbability:R};plateau={PlateauPatience}") +
        (EffectiveBatchNormMomentum == Thorax.Models.Segmentation.SegmentationModels.DefaultBatchNormMomentum(Model) ? "" : FormattableString.Invariant($";bn={EffectiveBatchNormMomentum:R}"));

    /// <summary>The BatchNorm momentum the network trains with: <see cref="BatchNormMomentum"/> or the architecture's own.</summary>
    public double EffectiveBatchNormMomentum => BatchNormMomentum ?? Thorax.Models.Segmentation.SegmentationModels.DefaultBatchNormMomentum(Model);

    /// <summary>Throws <see cref="ArgumentException"/> naming the option and its valid range.</summary>
    public void Validate()
    {
        if (Size is < 32 or > 1024 || Size % 16 != 0) throw new ArgumentException($"size must be a multiple of 16 in [32, 1024], got {Size}");
        if (Epochs < 1) throw new ArgumentException($"epochs must be at least 1, got {Epochs}");
        if (BatchSize < 1) throw new ArgumentException($"batch must be at least 1, got {BatchSize}");
        if (LearningRate is <= 0 or > 1) throw new ArgumentException($"lr must be in (0, 1], got {LearningRate}");
        if (ValidationFraction is <= 0 or >= 1) throw new ArgumentException($"validation fraction must be in (0, 1), got {ValidationFraction}");
        if (AugmentProbability is < 0 or > 1) throw new ArgumentException($"augment probability must be in [0, 1], got {AugmentProbability}");
        if (!Thorax.Models.Segmentation.SegmentationModels.Names.Contains(Model))
            throw new ArgumentException($"model must be one of {string.Join(", ", Thorax.Models.Segmentation.SegmentationModels.Names)}, got '{Model}'");
        if (BaseChannels is < 1 or > 128) throw new ArgumentException($"base channels must be in [1, 128], got {BaseChannels}");
        if (EarlyStoppingPatience < 1) throw new ArgumentException($"patience must be at least 1, got {EarlyStoppingPatience}");
        if (BatchNormMomentum is { } m && !(m >= 0 && m <= 1)) throw new ArgumentException($"batch-norm momentum must be in [0, 1], got {m}");
        if (PlateauPatience < 0) throw new ArgumentException($"plateau patience must be 0 (off) or more, got {PlateauPatience}");
    }
}
