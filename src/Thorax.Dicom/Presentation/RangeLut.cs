namespace Thorax.Dicom;

/// <summary>Linear map of [<see cref="Low"/>, <see cref="High"/>] onto [0, 1] (no clamping; the output step clamps).</summary>
/// <param name="Low">Input mapped to 0.</param>
/// <param name="High">Input mapped to 1 (must differ from Low).</param>
public sealed record RangeLut(double Low, double High) : ILutStep
{
    /// <inheritdoc/>
    public double Apply(double value) => High == Low ? 0 : (value - Low) / (High - Low);
}
