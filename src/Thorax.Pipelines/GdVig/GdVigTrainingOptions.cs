using Thorax.Training.Loop;
using System.Globalization;
using Thorax.Models.GdVig;

namespace Thorax.Pipelines.GdVig;

/// <summary>Which network a GD-ViG run trains.</summary>
public enum GdVigModelKind
{
    /// <summary>GD-ViG: the gaze map generator and the classifier end to end, the classifier's graph directed by the
    /// generator's map (the authors' <c>GAViG</c>).</summary>
    GdVig,

    /// <summary>The plain ViG baseline: the same classifier, no generator, no gaze (lambda 0), cross-entropy only.</summary>
    Vig,

    /// <summary>GD-ViG whose classifier is directed by the ground-truth gaze map, in training and evaluation (the upper
    /// bound; it needs gaze at test time).</summary>
    GdVigTrueGaze,
}

/// <summary>
/// Settings of a GD-ViG training run. Defaults are the authors' (<c>main_e2e.py</c>, <c>engines_e2e.py</c>; seed-specs
/// 1.8): loss CE + 1.0 · MSE(gaze), AdamW lr 1e-4 with PyTorch's default weight decay 0.01 (their
/// <c>--weight_decay 1e-4</c> is parsed but never passed), StepLR(50, 0.1) per epoch, batch 8, 200 epochs, 224 px,
/// seed 42, the published widths; the reference keeps the last epoch (no validation-based selection).
/// </summary>
public sealed record GdVigTrainingOptions : ITrainerOptions
{
    /// <summary>egdcxr (ViG-Ti widths, 3 classes) or siim (ViG-S widths, 2 classes, stacked head).</summary>
    public GdVigVariant Variant { get; init; } = GdVigVariant.SiimAcr;

    /// <summary>GD-ViG, plain ViG or GD-ViG on the ground-truth gaze.</summary>
    public GdVigModelKind Model { get; init; } = GdVigModelKind.GdVig;

    /// <summary>Weight of the gaze distance in the classifier's KNN (the code's 1; the paper's 3).</summary>
    public double GazeLambda { get; init; } = 1.0;

    /// <summary>Weight of the gaze-map MSE in the loss (the code's 1.0).</summary>
    public double GazeLossWeight { get; init; } = 1.0;

    /// <summary>Stage widths of both backbones; null = the variant's published widths.</summary>
    public IReadOnlyList<int>? Channels { get; init; }

    /// <summary>Blocks per stage; null = [2, 2, 6, 2].</summary>
    public IReadOnlyList<int>? Blocks { get; init; }

    /// <summary>Input side in pixels (224 published; a multiple of 32).</summary>
    public int Size { get; init; } = 224;

    /// <summary>Batch size (8).</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Last epoch (200).</summary>
    public int Epochs { get; init; } = 200;

    /// <summary>AdamW learning rate (1e-4).</summary>
    public double LearningRate { get; init; } = 1e-4;

    /// <summary>AdamW weight decay: 0.01 as the code really uses (PyTorch's default); the parsed-but-unused 1e-4 as an option.</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>StepLR step size in epochs (50).</summary>
    public int StepSize { get; init; } = 50;

    /// <summary>StepLR factor (0.1).</summary>
    public double StepGamma { get; init; } = 0.1;

    /// <summary>Seed of the initial weights, shuffling and augmentation (42).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Apply the reference's training augmentations (default true; false: the test transform only).</summary>
    public bool Augment { get; init; } = true;

    /// <summary>Best epoch by validation AUC (needs a validation split); false = keep the last epoch as the reference.</summary>
    public bool SelectByValidation { get; init; } = true;

    /// <summary>Training studies without gaze: refuse (default) or leave out.</summary>
    public MissingGazePolicy MissingGaze { get; init; } = MissingGazePolicy.Error;

    /// <summary>Wall-clock budget; training stops after the epoch that crosses it.</summary>
    public TimeSpan TimeBudget { get; init; } = TimeSpan.MaxValue;

    /// <summary>One intra-op thread: bit-identical weights for equal settings (not in the fingerprint).</summary>
    public bool Deterministic { get; init; }

    /// <summary>
    /// Where the network trains and is evaluated: <c>cpu</c> (default), <c>cuda</c> or <c>cuda:N</c> (needs a CUDA
    /// TorchSharp package; see <see cref="Thorax.Models.Runtime.TorchRuntime.ParseDevice"/>). Not part of the
    /// fingerprint, as for the lung trainer: checkpoints hold CPU tensors.
    /// </summary>
    public string Device { get; init; } = "cpu";

    /// <summary>The model configuration these options describe.</summary>
    public GdVigOptions ModelOptions() => GdVigOptions.Reduced(Variant, Channels, Blocks, Size, Model == GdVigModelKind.Vig ? 0 : GazeLambda);

    /// <summary>Whether the run trains the generator (and so needs gaze for every training study).</summary>
    public bool UsesGaze => Model != GdVigModelKind.Vig;

    /// <summary>The settings that define what a run's checkpoints contain (epochs and budget may change on resume).</summary>
    public string Fingerprint()
    {
        var m = ModelOptions();
        return FormattableString.Invariant(
            $"gdvig;variant={GdVigPredictor.Name(Variant)};model={KindName(Model)};lambda={GazeLambda:R};gaze_weight={GazeLossWeight:R};channels={string.Join("-", m.Channels)};blocks={string.Join("-", m.Blocks)};size={Size};batch={BatchSize};lr={LearningRate:R};wd={WeightDecay:R};step={StepSize};gamma={StepGamma:R};seed={Seed};augment={Augment};select={(SelectByValidation ? "val_auc" : "last")};missing_gaze={MissingGaze}");
    }

    /// <summary>CLI name of a model kind: <c>gdvig</c>, <c>vig</c>, <c>gdvig-gt</c>.</summary>
    public static string KindName(GdVigModelKind k) => k switch
    {
        GdVigModelKind.GdVig => "gdvig",
        GdVigModelKind.Vig => "vig",
        GdVigModelKind.GdVigTrueGaze => "gdvig-gt",
        _ => throw new ArgumentOutOfRangeException(nameof(k)),
    };

    /// <summary>Parses <c>gdvig</c>, <c>vig</c>, <c>gdvig-gt</c>.</summary>
    public static GdVigModelKind ParseKind(string s) => s.ToLowerInvariant() switch
    {
        "gdvig" or "gd-vig" => GdVigModelKind.GdVig,
        "vig" => GdVigModelKind.Vig,
        "gdvig-gt" => GdVigModelKind.GdVigTrueGaze,
        _ => throw new ArgumentException($"unknown model '{s}' (gdvig, vig or gdvig-gt)"),
    };

    /// <summary>Parses a comma-separated list of four positive integers (e.g. <c>24,48,96,192</c>).</summary>
    public static IReadOnlyList<int> ParseFour(string s, string option)
    {
        var parts = s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 4 || !parts.All(p => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0))
            throw new ArgumentException($"{option}: expected four positive integers separated by commas, got '{s}'");
        return parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the option and its valid range.</summary>
    public void Validate()
    {
        if (Size is < 64 or > 1024 || Size % 32 != 0) throw new ArgumentException($"size must be a multiple of 32 in [64, 1024], got {Size}");
        if (BatchSize < 2) throw new ArgumentException($"batch must be at least 2 (BatchNorm needs two images), got {BatchSize}");
        if (Epochs < 1) throw new ArgumentException($"epochs must be at least 1, got {Epochs}");
        if (!(LearningRate > 0 && LearningRate <= 1)) throw new ArgumentException($"lr must be in (0, 1], got {LearningRate}");
        if (!(WeightDecay >= 0 && WeightDecay < 1)) throw new ArgumentException($"weight decay must be in [0, 1), got {WeightDecay}");
        if (StepSize < 1) throw new ArgumentException($"step size must be at least 1, got {StepSize}");
        if (!(StepGamma > 0 && StepGamma <= 1)) throw new ArgumentException($"step gamma must be in (0, 1], got {StepGamma}");
        if (!(GazeLossWeight >= 0) || !double.IsFinite(GazeLossWeight)) throw new ArgumentException($"gaze loss weight must be finite and >= 0, got {GazeLossWeight}");
        if (TimeBudget <= TimeSpan.Zero) throw new ArgumentException($"time budget must be positive, got {TimeBudget}");
        ModelOptions().Validate();
    }
}
