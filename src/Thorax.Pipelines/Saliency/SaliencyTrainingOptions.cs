using System.Globalization;

namespace Thorax.Pipelines.Saliency;

/// <summary>The reference's training stages (seed-specs 2.1, as the code runs them).</summary>
public enum SaliencyStage
{
    /// <summary>Stage 1 (<c>CL/</c>): triplet-contrastive pre-training of the DenseNet on its denseblock4 features.</summary>
    Contrastive = 1,

    /// <summary>Stage 2 (<c>Classfication/</c>): the DenseNet classifier (its own Linear head), cross-entropy only.</summary>
    Classifier = 2,

    /// <summary>Stage 3 (<c>KL/</c>): Res-SE encoder, decoder and saliency head with the DenseNet frozen, KL only.</summary>
    Saliency = 3,

    /// <summary>Final (<c>Module/</c>): everything jointly with the uncertainty-weighted CE + KL.</summary>
    Joint = 4,
}

/// <summary>How the stage-1 triplet loss measures distances between denseblock4 feature maps.</summary>
public enum TripletDistance
{
    /// <summary>L2 between the flattened C·h·w embeddings, with pairwise_distance's eps 1e-6 (the default: what the
    /// paper describes).</summary>
    Flattened,

    /// <summary>The reference's 4-D call: <c>pairwise_distance</c> along the last axis (w) of 1xCxhxw tensors, the loss the
    /// mean of max(d_ap − d_an + 1, 0) over the C·h rows (seed-specs 2.3 [QUIRK]).</summary>
    Reference4D,

    /// <summary>Not the reference's: L2 between the flattened embeddings each scaled to unit length (distances in [0, 2],
    /// so the margin of 1 keeps its meaning and the loss cannot be lowered or raised by the embedding's scale).</summary>
    Normalized,
}

/// <summary>Settings of <see cref="SaliencyTrainer"/>; defaults are the reference's (seed-specs 2.1).</summary>
public sealed record SaliencyTrainingOptions
{
    /// <summary>The network and its widths.</summary>
    public SaliencyModelSpec Network { get; init; } = SaliencyModelSpec.Reference("dual");

    /// <summary>Stages to run, in order (default all four for dual, the joint stage for mtunet, stages 1-2 for classifier,
    /// stage 3 for saliency).</summary>
    public IReadOnlyList<SaliencyStage>? Stages { get; init; }

    /// <summary>Epochs per stage (stage 1..4); the reference's 50, 10, 50, 40.</summary>
    public int[] Epochs { get; init; } = [50, 10, 50, 40];

    /// <summary>Batch per stage; the reference's 32, 16, 16, 6.</summary>
    public int[] Batch { get; init; } = [32, 16, 16, 6];

    /// <summary>Adam learning rate (1e-4).</summary>
    public double LearningRate { get; init; } = 1e-4;

    /// <summary>ReduceLROnPlateau patience (40) on the validation loss; factor 0.1.</summary>
    public int PlateauPatience { get; init; } = 40;

    /// <summary>Early stopping after this many epochs without improvement (the reference's 40·2+3 = 83).</summary>
    public int EarlyStopping { get; init; } = 83;

    /// <summary>Total wall-clock budget of all stages (split across the stages to run by <see cref="StageShare"/> with
    /// <see cref="SaliencyBudget"/>'s rule: a stage that ends early leaves its time to the later ones).</summary>
    public TimeSpan TimeBudget { get; init; } = TimeSpan.FromHours(23.5);

    /// <summary>Stage-1 distance (default flattened; <see cref="TripletDistance.Reference4D"/> reproduces the code).</summary>
    public TripletDistance Triplet { get; init; } = TripletDistance.Flattened;

    /// <summary>
    /// Stage 1 only, not the reference's: before each validation, recompute the DenseNet's BatchNorm running statistics
    /// over the training split (plain average, "precise BatchNorm"). From random initialisation the exponential running
    /// averages lag the weights by several epochs, which shrinks the eval-mode embedding and makes the epoch-1 validation
    /// loss that of a collapsed embedding (README); with this, validation sees the embedding at its trained scale. Costs
    /// one forward pass over the training split per epoch.
    /// </summary>
    public bool PreciseBatchNorm { get; init; }

    /// <summary>
    /// torchvision's <c>memory_efficient</c> for the DenseNet (<see cref="Thorax.Models.Encoders.DenseNet.MemoryEfficient"/>):
    /// the dense layers' bottleneck intermediates are recomputed in the backward pass instead of kept, which lowers the
    /// training memory of a step at the price of compute. As in torchvision, norm1's running statistics are then updated
    /// twice per training step. Off by default (the reference's DenseNet-201 does not set it).
    /// </summary>
    public bool MemoryEfficient { get; init; }

    /// <summary>Seed of initialisation and shuffling.</summary>
    public int Seed { get; init; } = 0;

    /// <summary>One intra-op thread (bit-reproducible runs and resumes).</summary>
    public bool Deterministic { get; init; }

    /// <summary>
    /// Where the network trains: <c>cpu</c> (default), <c>cuda</c> or <c>cuda:N</c> (needs a CUDA TorchSharp package;
    /// see <see cref="Thorax.Models.Runtime.TorchRuntime.ParseDevice"/>). Not part of any stage's fingerprint, as for the
    /// lung trainer: checkpoints hold CPU tensors.
    /// </summary>
    public string Device { get; init; } = "cpu";

    /// <summary>
    /// A finished <c>classifier</c> run (or its stage folder) whose DenseNet initialises a dual run's DenseNet when the run
    /// has no earlier finished stage of its own: what the reference's stage-3 code does (it loads the
    /// <c>Classfication/</c> checkpoint). With it, a dual run can train stages 3-4 only from a classifier trained alone.
    /// </summary>
    public string? InitFrom { get; init; }

    /// <summary>The stages to run for the network (explicit or default).</summary>
    public IReadOnlyList<SaliencyStage> EffectiveStages => Stages ?? AllowedStages(Network.Model);

    /// <summary>The stages a network trains in: dual 1-4, mtunet the joint stage, classifier 1-2 (triplet pre-training,
    /// cross-entropy), saliency stage 3 (KL).</summary>
    public static IReadOnlyList<SaliencyStage> AllowedStages(string model) => model switch
    {
        "dual" => [SaliencyStage.Contrastive, SaliencyStage.Classifier, SaliencyStage.Saliency, SaliencyStage.Joint],
        "classifier" => [SaliencyStage.Contrastive, SaliencyStage.Classifier],
        "saliency" => [SaliencyStage.Saliency],
        _ => [SaliencyStage.Joint],
    };

    /// <summary>Relative share of the time budget of each stage (1..4): 0.15, 0.15, 0.25, 0.45 (relative to the stages
    /// that run; see <see cref="SaliencyBudget"/> for how unused time moves on).</summary>
    public static double StageShare(SaliencyStage s) => s switch
    {
        SaliencyStage.Contrastive => 0.15,
        SaliencyStage.Classifier => 0.15,
        SaliencyStage.Saliency => 0.25,
        _ => 0.45,
    };

    /// <summary>Parses <c>--stages</c>: numbers 1-4 or names (contrastive, classifier, saliency, joint), comma-separated.</summary>
    public static IReadOnlyList<SaliencyStage> ParseStages(string text)
    {
        var list = new List<SaliencyStage>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            SaliencyStage s = part.ToLowerInvariant() switch
            {
                "1" or "contrastive" or "cl" => SaliencyStage.Contrastive,
                "2" or "classifier" or "classification" => SaliencyStage.Classifier,
                "3" or "saliency" or "kl" => SaliencyStage.Saliency,
                "4" or "joint" or "final" => SaliencyStage.Joint,
                _ => throw new ArgumentException($"--stages: '{part}' is not a stage (1 contrastive, 2 classifier, 3 saliency, 4 joint)"),
            };
            if (list.Contains(s)) throw new ArgumentException($"--stages: '{part}' is given twice");
            if (list.Count > 0 && s < list[^1]) throw new ArgumentException($"--stages: stages run in order 1, 2, 3, 4; '{text}' is out of order");
            list.Add(s);
        }
        if (list.Count == 0) throw new ArgumentException("--stages: no stage given");
        return list;
    }

    /// <summary>Parses a per-stage integer list: one value for all four stages or four values.</summary>
    public static int[] ParsePerStage(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = parts.Select(p => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 1
            ? v : throw new ArgumentException($"{option}: '{p}' is not a positive integer")).ToArray();
        return values.Length switch
        {
            1 => [values[0], values[0], values[0], values[0]],
            4 => values,
            _ => throw new ArgumentException($"{option}: give one value or four (stages 1..4), got '{text}'"),
        };
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming a bad setting.</summary>
    public void Validate()
    {
        if (Epochs.Length != 4 || Epochs.Any(e => e < 1)) throw new ArgumentException("epochs: four positive values (stages 1..4)");
        if (Batch.Length != 4 || Batch.Any(e => e < 1)) throw new ArgumentException("batch: four positive values (stages 1..4)");
        if (!(LearningRate > 0)) throw new ArgumentException($"learning rate must be positive, got {LearningRate}");
        if (TimeBudget <= TimeSpan.Zero) throw new ArgumentException("the time budget must be positive");
        if (PlateauPatience < 0) throw new ArgumentException($"plateau patience must be 0 or more, got {PlateauPatience}");
        if (EarlyStopping < 0) throw new ArgumentException($"early-stopping patience must be 0 (off) or more, got {EarlyStopping}");
        if (Network.Model == "mtunet" && EffectiveStages.Any(s => s != SaliencyStage.Joint))
            throw new ArgumentException("--model mtunet trains in one joint stage (the MT-UNet baseline has no DenseNet); use --stages joint or leave --stages out");
        if (Network.Model == "classifier" && EffectiveStages.Any(s => s is not (SaliencyStage.Contrastive or SaliencyStage.Classifier)))
            throw new ArgumentException("--model classifier trains stages 1 (triplet pre-training) and 2 (cross-entropy) only; --stages 2 is the classifier without contrastive pre-training (DNet201)");
        if (Network.Model == "saliency" && EffectiveStages.Any(s => s != SaliencyStage.Saliency))
            throw new ArgumentException("--model saliency trains in one stage (3: KL only); use --stages saliency or leave --stages out");
        if (InitFrom is not null && Network.Model != "dual")
            throw new ArgumentException($"--init-from gives a dual run the DenseNet of a classifier run; --model is {Network.Model}");
        if (Batch[0] < 2 && EffectiveStages.Contains(SaliencyStage.Contrastive)) throw new ArgumentException("stage 1 (triplets) needs a batch of at least 2");
    }

    /// <summary>Folder name of a stage inside the run.</summary>
    public static string StageFolder(SaliencyStage s) => $"stage{(int)s}-{s.ToString().ToLowerInvariant()}";
}
