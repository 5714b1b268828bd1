namespace Thorax.Data.Augmentation;

/// <summary>
/// The train/test pipelines of the reference papers (seed-specs.md), as <see cref="Compose"/> chains over [0, 1]
/// images. Intensity steps touch the image only; spatial steps move image, masks and gaze together.
/// </summary>
public static class AugmentationPresets
{
    /// <summary>SIIM-ACR first place (sneddy, §4.4 train): HorizontalFlip(.5); OneOf(.3)[contrast ±.2, gamma 80-120,
    /// brightness ±.2] (each .5); OneOf(.3)[Elastic(120, 6, 3.6), GridDistortion(5, .3), OpticalDistortion(2, .5)];
    /// ShiftScaleRotate(.0625, .1, 45, p .5, reflect-101); Resize(size); ImageNet Normalize only for the non-"_old" variants.</summary>
    /// <param name="size">Output size (1024, or 512 for the *_512 variants).</param>
    /// <param name="normalize">Append ImageNet Normalize (resnet50 parts 0-2); false for AlbuNet/SE-UNet ("_old").</param>
    public static SampleTransform SiimFirstPlaceTrain(int size = 1024, bool normalize = false) => Chain(normalize,
        new HorizontalFlip { Probability = 0.5, ReportPolicy = FlipReportPolicy.Ignore },
        new OneOf(
            new RandomBrightnessContrast { BrightnessLimit = 0, ContrastLimit = 0.2, Probability = 0.5 },
            new RandomGamma { Limit = (80, 120), Probability = 0.5 },
            new RandomBrightnessContrast { BrightnessLimit = 0.2, ContrastLimit = 0, Probability = 0.5 }) { Probability = 0.3 },
        new OneOf(
            new ElasticTransform { Alpha = 120, Sigma = 6, AlphaAffine = 3.6, Probability = 0.5 },
            new GridDistortion { NumSteps = 5, DistortLimit = 0.3, Probability = 0.5 },
            new OpticalDistortion { DistortLimit = 2, ShiftLimit = 0.5, Probability = 0.5 }) { Probability = 0.3 },
        new ShiftScaleRotate { ShiftLimit = 0.0625, ScaleLimit = 0.1, RotateLimit = 45, Probability = 0.5 },
        new Resize(size, size));

    /// <summary>SIIM-ACR first place validation/test: Resize(size) (+ ImageNet Normalize when <paramref name="normalize"/>).</summary>
    public static SampleTransform SiimFirstPlaceValid(int size = 1024, bool normalize = false) => Chain(normalize, new Resize(size, size));

    /// <summary>CXLSeg segmentation baseline (§5.7): no augmentation; Resize(size) then CLAHE (clip 2.0, 8x8 tiles, always).
    /// The reference applies CLAHE to the L channel of LAB on RGB; on grey images that is the grey channel.</summary>
    public static SampleTransform CxlSeg(int size = 224) =>
        new Compose(new Resize(size, size), new Clahe { ClipLimit = (2, 2), Tiles = 8, Probability = 1 });

    /// <summary>GD-ViG on SIIM-ACR, train (§1.7): Resize(size), HorizontalFlip(.5), ShiftScaleRotate(.0625, .1, 15, p .5),
    /// RandomBrightnessContrast(.2, .2, p .5), RandomGamma(80-120, p .5), Normalize(.456, .224).</summary>
    /// <param name="size">Input size (224).</param>
    /// <param name="divideBy255Quirk">Reproduce the reference's extra /255 after Normalize (default true).</param>
    public static SampleTransform GdVigSiimTrain(int size = 224, bool divideBy255Quirk = true) => new Compose(
        new Resize(size, size),
        new HorizontalFlip { Probability = 0.5 },
        new ShiftScaleRotate { ShiftLimit = 0.0625, ScaleLimit = 0.1, RotateLimit = 15, Probability = 0.5 },
        new RandomBrightnessContrast { BrightnessLimit = 0.2, ContrastLimit = 0.2, Probability = 0.5 },
        new RandomGamma { Limit = (80, 120), Probability = 0.5 },
        GdVigNormalize(divideBy255Quirk));

    /// <summary>GD-ViG on EGD-CXR, train (§1.7): Rotate(5, p .5), Resize(256), RandomResizedCrop(size), HorizontalFlip(.5),
    /// ShiftScaleRotate() defaults (rotate 45, p .5), RandomGamma(p .5), RandomBrightness(.2, p .5), Normalize(.456, .224).</summary>
    public static SampleTransform GdVigEgdTrain(int size = 224, bool divideBy255Quirk = true) => new Compose(
        new Rotate { Limit = 5, Probability = 0.5 },
        new Resize(256, 256),
        new RandomResizedCrop(size, size),
        new HorizontalFlip { Probability = 0.5 },
        new ShiftScaleRotate { Probability = 0.5 },
        new RandomGamma { Probability = 0.5 },
        new RandomBrightnessContrast { BrightnessLimit = 0.2, ContrastLimit = 0, Probability = 0.5 },
        GdVigNormalize(divideBy255Quirk));

    /// <summary>GD-ViG test (SIIM and EGD-CXR): Resize(size), Normalize(.456, .224).</summary>
    public static SampleTransform GdVigTest(int size = 224, bool divideBy255Quirk = true) =>
        new Compose(new Resize(size, size), GdVigNormalize(divideBy255Quirk));

    /// <summary>ConTEXTual Net train (§3.3): OneOf(.3)[contrast, gamma, brightness]; OneOf(.3)[Elastic(120, 6, 3.6),
    /// GridDistortion, OpticalDistortion(2, .5)]; ShiftScaleRotate() defaults (p .5); no flip (left/right words in the
    /// report); Resize(size); no intensity normalisation.</summary>
    public static SampleTransform ContextualTrain(int size = 1024) => new Compose(
        new OneOf(
            new RandomBrightnessContrast { BrightnessLimit = 0, ContrastLimit = 0.2, Probability = 0.5 },
            new RandomGamma { Probability = 0.5 },
            new RandomBrightnessContrast { BrightnessLimit = 0.2, ContrastLimit = 0, Probability = 0.5 }) { Probability = 0.3 },
        new OneOf(
            new ElasticTransform { Alpha = 120, Sigma = 6, AlphaAffine = 3.6, Probability = 0.5 },
            new GridDistortion { Probability = 0.5 },
            new OpticalDistortion { DistortLimit = 2, ShiftLimit = 0.5, Probability = 0.5 }) { Probability = 0.3 },
        new ShiftScaleRotate { Probability = 0.5 },
        new Resize(size, size));

    /// <summary>ConTEXTual Net test: Resize(size).</summary>
    public static SampleTransform ContextualTest(int size = 1024) => new Resize(size, size);

    /// <summary>Joint gaze-saliency + classification (CXRGazeLearn / MT-UNet, §2.4): no augmentation in train or test;
    /// the images are brought to width x height (320 rows x 256 columns for D = 10, 640 x 512 for D = 5).</summary>
    public static SampleTransform JointSaliency(int width = 256, int height = 320) => new Resize(width, height);

    private static Normalize GdVigNormalize(bool quirk) => new([0.456], [0.224]) { OutputScale = quirk ? 1.0 / 255 : 1.0 };

    private static Compose Chain(bool normalize, params SampleTransform[] steps) =>
        new(normalize ? [.. steps, Normalize.ImageNet] : steps);
}
