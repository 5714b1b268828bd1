using Thorax.Training.Loop;
using System.Globalization;

namespace Thorax.Pipelines.Pneumothorax;

/// <summary>
/// Settings of a pneumothorax segmenter run (<c>thorax ptx train-segmenter</c>); defaults follow Țimbuș et al. and the
/// SIIM-ACR first place (seed-specs section 4) where the two agree or one is silent.
/// </summary>
public sealed record PtxSegmenterOptions : ITrainerOptions
{
    /// <summary>The encoder: any <see cref="Thorax.Models.Encoders.EncoderZoo"/> name. Default resnet18 (the paper:
    /// inception_resnet_v2).</summary>
    public string Encoder { get; init; } = Classification.ClassifierArchitecture.DefaultEncoder;

    /// <summary>The decoder: fpn (the paper), unet, scse-unet (or scse) or albunet (resnet34 only). Default fpn.</summary>
    public string Decoder { get; init; } = "fpn";

    /// <summary>Widths of a U-Net decoder (five) or AlbuNet (one: num_filters); null = the decoder's default. The FPN takes
    /// <see cref="PyramidChannels"/> and <see cref="SegmentationChannels"/> instead.</summary>
    public IReadOnlyList<int>? DecoderChannels { get; init; }

    /// <summary>The decoder these options describe.</summary>
    public PtxDecoder DecoderSpec() => PtxDecoder.Canonical(Decoder) == "fpn"
        ? PtxDecoder.Of("fpn", [PyramidChannels, SegmentationChannels])
        : PtxDecoder.Of(Decoder, DecoderChannels);

    /// <summary>Encoder start: <c>imagenet</c> (ResNet-18 of the ONNX package; resnet18 only), <c>none</c> or a weight
    /// file of the encoder (torch.save / safetensors / ResNet ONNX, loaded by key name).</summary>
    public string Weights { get; init; } = "imagenet";

    /// <summary>Square input size (multiple of 32). Default 256.</summary>
    public int Size { get; init; } = 256;

    /// <summary>Epochs. Default 37, the paper's segmenter run (Țimbuș et al. trained 37 epochs and took the SWA window,
    /// epochs 13-16, from its validation IoU curve).</summary>
    public int Epochs { get; init; } = 37;

    /// <summary>Batch size. Default 4 (the paper's classifier batch; the first place used 2).</summary>
    public int BatchSize { get; init; } = 4;

    /// <summary>Adam learning rate while the first half of the encoder is frozen. Default 1e-3 (the paper).</summary>
    public double FrozenLearningRate { get; init; } = 1e-3;

    /// <summary>Epochs with the first half of the encoder's parameters frozen. Default 2 (the paper).</summary>
    public int FreezeEpochs { get; init; } = 2;

    /// <summary>Learning rate from the first unfrozen epoch, cosine-annealed to <see cref="MinLearningRate"/> over the
    /// remaining epochs. Default 1e-4 (the paper).</summary>
    public double LearningRate { get; init; } = 1e-4;

    /// <summary>Cosine annealing floor. Default 1e-6.</summary>
    public double MinLearningRate { get; init; } = 1e-6;

    /// <summary>Train on positive studies only (the cascade's segmenter; the classifier filters negatives). Default true.</summary>
    public bool PositiveOnly { get; init; } = true;

    /// <summary>Share of positives in an epoch at the first epoch ("sliding sample rate"; ignored with
    /// <see cref="PositiveOnly"/>). Default 0.8.</summary>
    public double SampleRateStart { get; init; } = 0.8;

    /// <summary>Share of positives at the last epoch (linear in between). Default 0.4.</summary>
    public double SampleRateEnd { get; init; } = 0.4;

    /// <summary>ComboLoss weights (BCE, Dice, focal). Default 3, 1, 4 (first place albunet_valid / seunet).</summary>
    public (double Bce, double Dice, double Focal) LossWeights { get; init; } = (3, 1, 4);

    /// <summary>FPN pyramid channels. Default 256 (segmentation_models).</summary>
    public int PyramidChannels { get; init; } = 256;

    /// <summary>FPN segmentation-block channels (multiple of 32). Default 128.</summary>
    public int SegmentationChannels { get; init; } = 128;

    /// <summary>Consecutive epochs averaged by the windowed SWA (the window with the best mean validation IoU). Default 4
    /// (the paper's epochs 13-16).</summary>
    public int SwaWindow { get; init; } = 4;

    /// <summary>Share of the run after which classic SWA averages every epoch to the end. Default 0.75.</summary>
    public double ClassicSwaStart { get; init; } = 0.75;

    /// <summary>Probability scale of the first place's training augmentation (flip 0.5, colour 0.3, distortion 0.3,
    /// shift-scale-rotate 0.5 at 1). 0 turns augmentation off. Default 1.</summary>
    public double Augment { get; init; } = 1.0;

    /// <summary>Seed of the decoder's initial weights, sampling and augmentation. Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Training wall-clock budget. Default none.</summary>
    public TimeSpan TimeBudget { get; init; } = TimeSpan.MaxValue;

    /// <summary>Keep the per-epoch weight files (<c>epochs/</c>) after the SWA models are made. Default false.</summary>
    public bool KeepEpochWeights { get; init; }

    /// <summary>One intra-op thread (bit-identical reruns). Not part of the fingerprint.</summary>
    public bool Deterministic { get; init; }

    /// <summary>
    /// Where the network trains (and its SWA averages recompute BatchNorm statistics): <c>cpu</c> (default), <c>cuda</c>
    /// or <c>cuda:N</c> (needs a CUDA TorchSharp package; see <see cref="Thorax.Models.Runtime.TorchRuntime.ParseDevice"/>).
    /// Not part of the fingerprint, as for the lung trainer: checkpoints hold CPU tensors.
    /// </summary>
    public string Device { get; init; } = "cpu";

    /// <summary>The settings a run folder's checkpoints depend on.</summary>
    /// <remarks>FPN over resnet18 keeps the fingerprint of the runs made before the zoo.</remarks>
    public string Fingerprint()
    {
        var d = DecoderSpec();
        var widths = d.Name == "fpn" ? $"fpn={PyramidChannels}/{SegmentationChannels}" : $"decoder={string.Join(",", d.Channels)}";
        return string.Create(CultureInfo.InvariantCulture,
            $"ptx-segmenter={d.Name}-{Classification.ClassifierArchitecture.Canonical(Encoder)};weights={Weights};size={Size};batch={BatchSize};lr={FrozenLearningRate:R}/{LearningRate:R}/{MinLearningRate:R};freeze={FreezeEpochs};" +
            $"positive_only={PositiveOnly};rate={SampleRateStart:R}-{SampleRateEnd:R};loss={LossWeights.Bce:R},{LossWeights.Dice:R},{LossWeights.Focal:R};" +
            $"{widths};augment={Augment:R};seed={Seed}");
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the option and its valid range.</summary>
    public void Validate()
    {
        if (Size is < 64 or > 1024 || Size % 32 != 0) throw new ArgumentException($"size must be a multiple of 32 in [64, 1024], got {Size}");
        if (Epochs < 1) throw new ArgumentException($"epochs must be at least 1, got {Epochs}");
        if (BatchSize < 2) throw new ArgumentException($"batch must be at least 2 (BatchNorm needs two images), got {BatchSize}");
        foreach (var (name, v) in new[] { ("frozen lr", FrozenLearningRate), ("lr", LearningRate) })
            if (!(v > 0 && v <= 1)) throw new ArgumentException($"{name} must be in (0, 1], got {v}");
        if (!(MinLearningRate >= 0 && MinLearningRate <= LearningRate)) throw new ArgumentException($"min lr must be in [0, lr], got {MinLearningRate}");
        if (FreezeEpochs < 0) throw new ArgumentException($"freeze epochs must be 0 or more, got {FreezeEpochs}");
        if (SampleRateStart is <= 0 or > 1 || SampleRateEnd is <= 0 or > 1)
            throw new ArgumentException($"sample rates must be in (0, 1], got {SampleRateStart} -> {SampleRateEnd}");
        if (LossWeights.Bce < 0 || LossWeights.Dice < 0 || LossWeights.Focal < 0 || LossWeights.Bce + LossWeights.Dice + LossWeights.Focal <= 0)
            throw new ArgumentException($"loss weights must be non-negative and not all zero, got {LossWeights}");
        if (PyramidChannels < 1) throw new ArgumentException($"pyramid channels must be positive, got {PyramidChannels}");
        if (SegmentationChannels < 32 || SegmentationChannels % 32 != 0) throw new ArgumentException($"segmentation channels must be a positive multiple of 32, got {SegmentationChannels}");
        if (SwaWindow < 1) throw new ArgumentException($"SWA window must be at least 1 epoch, got {SwaWindow}");
        if (ClassicSwaStart is < 0 or >= 1) throw new ArgumentException($"classic SWA start must be in [0, 1), got {ClassicSwaStart}");
        if (Augment is < 0 or > 1) throw new ArgumentException($"augment must be in [0, 1], got {Augment}");
        if (TimeBudget <= TimeSpan.Zero) throw new ArgumentException($"time budget must be positive, got {TimeBudget}");
        if (string.IsNullOrWhiteSpace(Weights)) throw new ArgumentException("weights must be imagenet, none or a file path");
        var encoder = Classification.ClassifierArchitecture.Canonical(Encoder);
        if (encoder != Classification.ClassifierArchitecture.DefaultEncoder && Weights == "imagenet")
            throw new ArgumentException($"weights imagenet is ML.NET's ResNet-18 export (encoder resnet18 only); give {encoder} a weight file or none");
        var decoder = DecoderSpec();
        if (decoder.Name == "albunet" && encoder != "resnet34") throw new ArgumentException($"decoder albunet is defined on encoder resnet34 only, not {encoder}");
        if (Size % decoder.SizeMultiple != 0) throw new ArgumentException($"size must be a multiple of {decoder.SizeMultiple} for decoder {decoder.Name}, got {Size}");
    }

    /// <summary>Share of positives in epoch <paramref name="epoch"/> of <paramref name="epochs"/>: linear from
    /// <see cref="SampleRateStart"/> to <see cref="SampleRateEnd"/> (1 with <see cref="PositiveOnly"/>).</summary>
    public double SampleRate(int epoch, int epochs)
    {
        if (PositiveOnly) return 1.0;
        if (epochs <= 1) return SampleRateStart;
        var f = Math.Clamp((epoch - 1) / (double)(epochs - 1), 0, 1);
        return SampleRateStart + (SampleRateEnd - SampleRateStart) * f;
    }

    /// <summary>Learning rate of epoch <paramref name="epoch"/>: <see cref="FrozenLearningRate"/> while frozen, then cosine
    /// from <see cref="LearningRate"/> to <see cref="MinLearningRate"/> over the remaining epochs.</summary>
    public double LearningRateAt(int epoch)
    {
        if (epoch <= FreezeEpochs) return FrozenLearningRate;
        var span = Math.Max(1, Epochs - FreezeEpochs - 1);
        var t = Math.Clamp((epoch - FreezeEpochs - 1) / (double)span, 0, 1);
        return MinLearningRate + (LearningRate - MinLearningRate) * (1 + Math.Cos(Math.PI * t)) / 2;
    }
}
