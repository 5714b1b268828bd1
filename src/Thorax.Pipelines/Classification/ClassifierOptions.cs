using Thorax.Training.Loop;
namespace Thorax.Pipelines.Classification;

/// <summary>Settings of an image-classifier training run (<c>thorax classify train</c>). Each default is the CLI's.</summary>
public sealed record ClassifierOptions : ITrainerOptions
{
    /// <summary>The label: a 0/1 column of studies.csv or <c>class=&lt;name&gt;</c>. Default <c>pneumothorax</c>.</summary>
    public string Label { get; init; } = "pneumothorax";

    /// <summary>The encoder: any <see cref="Thorax.Models.Encoders.EncoderZoo"/> name (aliases accepted). Default resnet18
    /// (the ImageNet ResNet-18 of the ONNX package with <see cref="Weights"/> imagenet).</summary>
    public string Encoder { get; init; } = ClassifierArchitecture.DefaultEncoder;

    /// <summary>Initial encoder weights: <c>imagenet</c> (resnet18 only), <c>none</c> or a weight file of the encoder
    /// (torch.save / safetensors / ResNet ONNX, loaded by key name). Default imagenet.</summary>
    public string Weights { get; init; } = "imagenet";

    /// <summary>Square input size in pixels. Default 224.</summary>
    public int Size { get; init; } = 224;

    /// <summary>Maximum epochs. Default 8.</summary>
    public int Epochs { get; init; } = 8;

    /// <summary>Batch size. Default 16.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Adam learning rate. Default 1e-4.</summary>
    public double LearningRate { get; init; } = 1e-4;

    /// <summary>Seed of the head's initial weights, shuffling and augmentation. Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Probability of each augmentation (shift-scale-rotate; brightness-contrast) per training image. Default 0.5.</summary>
    public double AugmentProbability { get; init; } = 0.5;

    /// <summary>Stop when validation AUC has not improved for this many epochs; 0 = off. Default 0.</summary>
    public int EarlyStoppingPatience { get; init; }

    /// <summary>Training wall-clock budget; training stops after the epoch that crosses it. Default: none.</summary>
    public TimeSpan TimeBudget { get; init; } = TimeSpan.MaxValue;

    /// <summary>Epochs (from the first) with the encoder frozen (parameters fixed, BatchNorm in eval mode) and only the
    /// head trained at <see cref="FrozenLearningRate"/>; then every layer at <see cref="LearningRate"/>. Default 0.</summary>
    public int FreezeEpochs { get; init; }

    /// <summary>Adam learning rate while the encoder is frozen. Default 2e-2 (Țimbuș et al.).</summary>
    public double FrozenLearningRate { get; init; } = 2e-2;

    /// <summary>Best-epoch selection: <c>auc</c> (validation ROC AUC) or <c>mcc</c> (validation Matthews correlation at
    /// probability 0.5; adds <c>val_mcc</c>, <c>val_precision</c>, <c>val_recall</c> to the history). Default auc.</summary>
    public string Selection { get; init; } = "auc";

    /// <summary>ReduceLROnPlateau factor on the selection metric (mode max); 0 = no plateau scheduler. Default 0.</summary>
    public double PlateauFactor { get; init; }

    /// <summary>ReduceLROnPlateau patience in epochs. Default 3.</summary>
    public int PlateauPatience { get; init; } = 3;

    /// <summary>
    /// Training-data preset: <c>light</c> (shift-scale-rotate, brightness-contrast), <c>augment</c> (Țimbuș et al.'s
    /// aggressive augmentation: CLAHE, optical distortion, zoom-in 5-10%, zoom-out 5-10%, each with
    /// <see cref="AugmentProbability"/>) or <c>enrich</c> (the minority class oversampled to balance, each added copy made
    /// once, before training, by one of those four operations in turn; no augmentation while training). Default light.
    /// </summary>
    public string Preset { get; init; } = "light";

    /// <summary>When set (e.g. 0.2): pool the dataset's train and validation splits and draw a stratified validation
    /// share of this size (per class, seeded by <see cref="Seed"/>); null uses the dataset's splits. Default null.</summary>
    public double? StratifiedValidation { get; init; }

    /// <summary>
    /// Where the network trains and predicts: <c>cpu</c> (default), <c>cuda</c> or <c>cuda:N</c> (needs a CUDA TorchSharp
    /// package; see <see cref="Thorax.Models.Runtime.TorchRuntime.ParseDevice"/>). Not part of the fingerprint, as for
    /// the lung trainer: checkpoints hold CPU tensors, so a run started on one device resumes on another.
    /// </summary>
    public string Device { get; init; } = "cpu";

    /// <summary>One intra-op thread: bit-identical weights for equal settings, and a killed run resumes to the
    /// uninterrupted run's weights. Not part of the fingerprint.</summary>
    public bool Deterministic { get; init; }

    /// <summary>
    /// The settings that define what a run's checkpoints contain; a run folder resumes only with the same values
    /// (epochs, patience and time budget may change).
    /// </summary>
    public string Fingerprint()
    {
        var core = FormattableString.Invariant(
            $"classifier={ClassifierArchitecture.Canonical(Encoder)};label={Label};weights={Weights};size={Size};batch={BatchSize};lr={LearningRate:R};seed={Seed};augment={AugmentProbability:R}");
        // The schedule options are appended only when set, so runs made before they existed keep their fingerprint.
        if (!UsesSchedule) return core;
        return core + FormattableString.Invariant(
            $";freeze={FreezeEpochs};frozen_lr={FrozenLearningRate:R};selection={Selection};plateau={PlateauFactor:R}/{PlateauPatience};preset={Preset};stratified={StratifiedValidation?.ToString("R", System.Globalization.CultureInfo.InvariantCulture) ?? "no"}");
    }

    /// <summary>Whether any option beyond the original classifier's is set.</summary>
    public bool UsesSchedule => FreezeEpochs > 0 || Selection != "auc" || PlateauFactor > 0 || Preset != "light" || StratifiedValidation is not null;

    /// <summary>Throws <see cref="ArgumentException"/> naming the option and its valid range.</summary>
    public void Validate()
    {
        if (Size is < 32 or > 1024) throw new ArgumentException($"size must be in [32, 1024], got {Size}");
        if (Epochs < 1) throw new ArgumentException($"epochs must be at least 1, got {Epochs}");
        if (BatchSize < 2) throw new ArgumentException($"batch must be at least 2 (BatchNorm needs two images), got {BatchSize}");
        if (!(LearningRate > 0 && LearningRate <= 1)) throw new ArgumentException($"lr must be in (0, 1], got {LearningRate}");
        if (AugmentProbability is < 0 or > 1) throw new ArgumentException($"augment probability must be in [0, 1], got {AugmentProbability}");
        if (EarlyStoppingPatience < 0) throw new ArgumentException($"patience must be 0 (off) or more, got {EarlyStoppingPatience}");
        if (TimeBudget <= TimeSpan.Zero) throw new ArgumentException($"time budget must be positive, got {TimeBudget}");
        if (string.IsNullOrWhiteSpace(Weights)) throw new ArgumentException("weights must be imagenet, none or a file path");
        var encoder = ClassifierArchitecture.Canonical(Encoder);
        if (encoder != ClassifierArchitecture.DefaultEncoder && Weights == "imagenet")
            throw new ArgumentException($"weights imagenet is ML.NET's ResNet-18 export (encoder resnet18 only); give {encoder} a weight file or none");
        if (FreezeEpochs < 0) throw new ArgumentException($"freeze epochs must be 0 or more, got {FreezeEpochs}");
        if (!(FrozenLearningRate > 0 && FrozenLearningRate <= 1)) throw new ArgumentException($"frozen lr must be in (0, 1], got {FrozenLearningRate}");
        if (Selection is not ("auc" or "mcc")) throw new ArgumentException($"selection must be auc or mcc, got '{Selection}'");
        if (PlateauFactor is < 0 or >= 1) throw new ArgumentException($"plateau factor must be in [0, 1) (0 = off), got {PlateauFactor}");
        if (PlateauPatience < 0) throw new ArgumentException($"plateau patience must be 0 or more, got {PlateauPatience}");
        if (Preset is not ("light" or "augment" or "enrich")) throw new ArgumentException($"preset must be light, augment or enrich, got '{Preset}'");
        if (StratifiedValidation is { } v && v is <= 0 or >= 1) throw new ArgumentException($"stratified validation share must be in (0, 1), got {v}");
        ClassificationLabel.Parse(Label);
    }
}
