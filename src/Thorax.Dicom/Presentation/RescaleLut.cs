namespace Thorax.Dicom;

/// <summary>Modality LUT from Rescale Slope/Intercept: output = slope * stored + intercept (e.g. HU for CT).</summary>
/// <param name="Slope">Rescale Slope (0028,1053), default 1.</param>
/// <param name="Intercept">Rescale Intercept (0028,1052), default 0.</param>
public sealed record RescaleLut(double Slope, double Intercept) : ILutStep
{
    /// <inheritdoc/>
    public double Apply(double value) => Slope * value + Intercept;
}
