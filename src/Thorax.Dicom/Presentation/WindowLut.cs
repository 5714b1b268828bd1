namespace Thorax.Dicom;

/// <summary>VOI window (centre/width) mapping modality values to [0, 1] per PS3.3 C.11.2.1.2 (ymin 0, ymax 1).</summary>
public sealed record WindowLut : ILutStep
{
    /// <summary>Creates the window.</summary>
    /// <param name="center">Window Center, modality units.</param>
    /// <param name="width">Window Width, modality units (≥ 1 for LINEAR, &gt; 0 otherwise).</param>
    /// <param name="function">VOI LUT Function.</param>
    public WindowLut(double center, double width, VoiLutFunction function = VoiLutFunction.Linear)
    {
        if (function == VoiLutFunction.Linear ? width < 1 : width <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"Window width {width} is invalid for {function}.");
        Center = center;
        Width = width;
        Function = function;
    }

    /// <summary>Window Center.</summary>
    public double Center { get; }

    /// <summary>Window Width.</summary>
    public double Width { get; }

    /// <summary>VOI LUT Function.</summary>
    public VoiLutFunction Function { get; }

    /// <inheritdoc/>
    public double Apply(double x)
    {
        double c = Center, w = Width;
        switch (Function)
        {
            case VoiLutFunction.Linear:
                if (x <= c - 0.5 - (w - 1) / 2) return 0;
                if (x > c - 0.5 + (w - 1) / 2) return 1;
                return w == 1 ? 1 : (x - (c - 0.5)) / (w - 1) + 0.5;
            case VoiLutFunction.LinearExact:
                if (x <= c - w / 2) return 0;
                if (x > c + w / 2) return 1;
                return (x - c) / w + 0.5;
            default:
                return 1 / (1 + Math.Exp(-4 * (x - c) / w));
        }
    }
}
