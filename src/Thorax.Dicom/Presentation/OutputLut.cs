namespace Thorax.Dicom;

/// <summary>Output step: clamps to [0, 1] (the presentation range of the following steps).</summary>
public sealed class OutputLut : ILutStep
{
    /// <inheritdoc/>
    public double Apply(double value) => value < 0 ? 0 : value > 1 ? 1 : value;
}
