namespace Thorax.Dicom;

/// <summary>MONOCHROME1 inversion on [0, 1]: output = 1 - input.</summary>
public sealed class InvertLut : ILutStep
{
    /// <inheritdoc/>
    public double Apply(double value) => 1 - value;
}
