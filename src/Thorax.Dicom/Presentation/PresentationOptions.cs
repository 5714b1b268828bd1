namespace Thorax.Dicom;

/// <summary>Which VOI transform <see cref="GrayscalePipeline"/> applies.</summary>
public enum VoiMode
{
    /// <summary>The data set's VOI LUT Sequence, else its window (index <see cref="PresentationOptions.WindowIndex"/>),
    /// else the full range.</summary>
    FromDataset,
    /// <summary>Map the full range of possible modality values (from BitsStored and the modality LUT) to [0, 1].
    /// With slope 1 and intercept 0 this is stored / (2^BitsStored - 1), the torchxrayvision convention.</summary>
    FullRange,
    /// <summary>Use <see cref="PresentationOptions.WindowCenter"/>/<see cref="PresentationOptions.WindowWidth"/>.</summary>
    Explicit,
}

/// <summary>Output value convention.</summary>
public enum OutputRange
{
    /// <summary>[0, 1], 1 = brightest.</summary>
    Unit,
    /// <summary>torchxrayvision's [-1024, 1024]: 2048 * unit - 1024.</summary>
    Xrv,
}

/// <summary>Options for <see cref="GrayscalePipeline.Create"/>.</summary>
public sealed record PresentationOptions
{
    /// <summary>Defaults: VOI from the data set, first window, MONOCHROME1 inverted, output [0, 1].</summary>
    public static PresentationOptions Default { get; } = new();

    /// <summary>torchxrayvision-style input: full range (no VOI), MONOCHROME1 inverted, output [-1024, 1024].</summary>
    public static PresentationOptions Xrv { get; } = new() { Voi = VoiMode.FullRange, Output = OutputRange.Xrv };

    /// <summary>VOI transform choice; default <see cref="VoiMode.FromDataset"/>.</summary>
    public VoiMode Voi { get; init; } = VoiMode.FromDataset;

    /// <summary>Which of several Window Center/Width values (or VOI LUT items) to use; default 0.</summary>
    public int WindowIndex { get; init; }

    /// <summary>Centre for <see cref="VoiMode.Explicit"/>, modality units.</summary>
    public double WindowCenter { get; init; }

    /// <summary>Width for <see cref="VoiMode.Explicit"/>, modality units.</summary>
    public double WindowWidth { get; init; } = 1;

    /// <summary>Overrides the data set's VOI LUT Function when set; default null (use the data set's, else LINEAR).</summary>
    public VoiLutFunction? Function { get; init; }

    /// <summary>Invert MONOCHROME1 so that higher output is brighter; default true.</summary>
    public bool InvertMonochrome1 { get; init; } = true;

    /// <summary>Output convention; default <see cref="OutputRange.Unit"/>.</summary>
    public OutputRange Output { get; init; } = OutputRange.Unit;
}
