using Thorax.Training.Loop;
using System.Globalization;

namespace Thorax.Pipelines.Contextual;

/// <summary>How the training images are flipped horizontally (the paper's concordance experiment).</summary>
public enum ContextualFlip
{
    /// <summary>No flip (the reference: flipping breaks image-text concordance).</summary>
    None,
    /// <summary>Flip with probability 0.5 and swap the report's left/right words (the concordance rule).</summary>
    SwapSides,
    /// <summary>Flip with probability 0.5 and leave the report as written (the paper's "with flipping" row).</summary>
    KeepText,
}

/// <summary>Settings of one ConTEXTual Net (or U-Net baseline) training run.</summary>
public sealed record ContextualOptions : ITrainerOptions
{
    /// <summary>False trains the plain U-Net baseline (no report).</summary>
    public bool Language { get; init; } = true;
    /// <summary>Train and evaluate on empty reports (the paper's "w/o reports" row).</summary>
    public bool EmptyReports { get; init; }
    /// <summary>
    /// Attend to padding tokens as the reference does (true), or mask them out of the attention (false, the default: at
    /// equal epochs over three folds masking scored 0.604 ± 0.066 against attending's 0.594 ± 0.065, README
    /// "ConTEXTual Net"; and a report's output then does not depend on the padding at all).
    /// </summary>
    public bool AttendToPadding { get; init; }
    /// <summary>Image side in pixels (the reference: 1024). Default 128 on this CPU.</summary>
    public int Size { get; init; } = 128;
    /// <summary>First-level width; the five widths double from it (the reference: 64).</summary>
    public int BaseWidth { get; init; } = 16;
    /// <summary>Images per step (the reference: 2).</summary>
    public int BatchSize { get; init; } = 4;
    /// <summary>Maximum epochs (the reference: 100).</summary>
    public int Epochs { get; init; } = 100;
    /// <summary>Wall-clock budget of the training loop.</summary>
    public TimeSpan TimeBudget { get; init; } = TimeSpan.MaxValue;
    /// <summary>AdamW learning rate (the reference hard-codes 5e-5).</summary>
    public double LearningRate { get; init; } = 5e-5;
    /// <summary>AdamW weight decay (PyTorch's default 0.01, which the reference keeps).</summary>
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>Seed of the weights, the split and the augmentations (the paper's seeds: 98, 117, 295, 456, 915).</summary>
    public int Seed { get; init; } = 98;
    /// <summary>The reference's image augmentations (contrast/gamma/brightness, elastic/grid/optical, shift-scale-rotate).</summary>
    public bool ImageAugmentation { get; init; } = true;
    /// <summary>Horizontal flip handling.</summary>
    public ContextualFlip Flip { get; init; } = ContextualFlip.None;
    /// <summary>Sentence shuffle on training reports.</summary>
    public bool ShuffleSentences { get; init; }
    /// <summary>Per-word synonym replacement probability on training reports (the paper: 0.15; 0 = off).</summary>
    public double SynonymProbability { get; init; }
    /// <summary>Synonym table CSV (word,synonyms); null = the built-in table (<see cref="ContextualSynonyms"/>).</summary>
    public string? SynonymFile { get; init; }
    /// <summary>Reproduce the reference's synonym bug: only the last triggered replacement of a report survives (default false).</summary>
    public bool SynonymLastReplacementOnly { get; init; }
    /// <summary>Run the frozen T5 encoder with its train-mode dropout on the training batches, as the reference leaves
    /// it (default false: eval mode). Training reports are then encoded at every step, not cached; validation and test
    /// use the encoder without dropout.</summary>
    public bool EncoderDropout { get; init; }
    /// <summary>Stop after this many epochs without a better validation Dice (0 = off).</summary>
    public int EarlyStoppingPatience { get; init; }
    /// <summary>One intra-op thread: bit-reproducible, resumable to the same weights.</summary>
    public bool Deterministic { get; init; }

    /// <summary>
    /// Where the network trains and is tested: <c>cpu</c> (default), <c>cuda</c> or <c>cuda:N</c> (needs a CUDA TorchSharp
    /// package; see <see cref="Thorax.Models.Runtime.TorchRuntime.ParseDevice"/>). Not part of the fingerprint, as for
    /// the lung trainer: checkpoints hold CPU tensors. The text encoder runs where its <see cref="ContextualText"/> put it.
    /// </summary>
    public string Device { get; init; } = "cpu";
    /// <summary>Tokenizer maximum length (the reference: 512); longer reports are truncated with a warning.</summary>
    public int MaxTokens { get; init; } = 512;

    /// <summary>The five widths.</summary>
    public long[] Widths => Enumerable.Range(0, 5).Select(i => (long)BaseWidth << i).ToArray();

    /// <summary>True when a text augmentation is on.</summary>
    public bool TextAugmentation => ShuffleSentences || SynonymProbability > 0;

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (Size is < 32 or > 4096) throw new ArgumentException($"--size must be in 32..4096, got {Size}");
        if (BaseWidth is < 1 or > 128) throw new ArgumentException($"--width must be in 1..128, got {BaseWidth}");
        if (BatchSize < 2) throw new ArgumentException($"--batch must be at least 2 (BatchNorm), got {BatchSize}");
        if (Epochs < 1) throw new ArgumentException($"--epochs must be at least 1, got {Epochs}");
        if (!(LearningRate > 0)) throw new ArgumentException($"--lr must be positive, got {LearningRate}");
        if (WeightDecay < 0) throw new ArgumentException($"weight decay must be >= 0, got {WeightDecay}");
        if (SynonymProbability is < 0 or > 1 || double.IsNaN(SynonymProbability)) throw new ArgumentException($"--synonyms-p must be in [0, 1], got {SynonymProbability}");
        if (MaxTokens < 8) throw new ArgumentException($"--max-tokens must be at least 8, got {MaxTokens}");
        if (!Language && (EmptyReports || TextAugmentation || Flip == ContextualFlip.KeepText || EncoderDropout))
            throw new ArgumentException("the U-Net baseline reads no report: empty reports, text augmentations, --encoder-dropout and --flip keep-text do not apply (use --flip swap or none)");
        if (SynonymLastReplacementOnly && !(SynonymProbability > 0))
            throw new ArgumentException("--synonyms-last-only changes the synonym augmentation, which is off: set --synonyms-p too");
    }

    /// <summary>The settings that define the run's checkpoints (invariant text).</summary>
    public string Fingerprint() => string.Create(CultureInfo.InvariantCulture,
        $"contextual;lang={Language};empty={EmptyReports};pad={AttendToPadding};size={Size};width={BaseWidth};batch={BatchSize};lr={LearningRate};wd={WeightDecay};seed={Seed};imgaug={ImageAugmentation};flip={Flip};shuffle={ShuffleSentences};syn={SynonymProbability};synfile={SynonymFile};maxtok={MaxTokens}")
        + (SynonymLastReplacementOnly ? ";synlast=True" : "") + (EncoderDropout ? ";encdrop=True" : "");
}
