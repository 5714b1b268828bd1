namespace Thorax.Dicom;

/// <summary>One step of a grayscale rendering pipeline: maps an input value to an output value.</summary>
public interface ILutStep
{
    /// <summary>Maps one value (units depend on the step: stored value, modality value, or [0, 1]).</summary>
    double Apply(double value);
}
