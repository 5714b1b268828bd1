namespace Thorax.Pipelines.Classification;

/// <summary>Settings of an image-classifier training run (<c>thorax classify train</c>). Each default is the CLI's.</summary>
public sealed record ClassifierOptions
{
    /// <summary>The label: a 0/1 column of studies.csv or <c>class=&lt;name&gt;</c>. Default <c>pneumothorax</c>.</summary>
    public string Label { get; init; } = "pneumothorax";

    /// <summary>Initial encoder weights: <c>imagenet</c>, <c>none</c> or a ResNet-18 state-dict file. Default imagenet.</summary>
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

    /// <summary>One intra-op thread: bit-identical weights for equal settings, and a killed run resumes to the
    /// uninterrupted run's weights. Not part of the fingerprint.</summary>
    public bool Deterministic { get; init; }

    /// <summary>
    /// The settings that define what a run's checkpoints contain; a run folder resumes only with the same values
    /// (epochs, patience and time budget may change).
    /// </summary>
    public string Fingerprint() => FormattableString.Invariant(
        $"classifier=resnet18;label={Label};weights={Weights};size={Size};batch={BatchSize};lr={LearningRate:R};seed={Seed};augment={AugmentProbability:R}");

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
        ClassificationLabel.Parse(Label);
    }
}
