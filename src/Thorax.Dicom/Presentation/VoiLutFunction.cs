namespace Thorax.Dicom;

/// <summary>VOI LUT Function (0028,1056), PS3.3 C.11.2.1.2.</summary>
public enum VoiLutFunction
{
    /// <summary>LINEAR (the default): the DICOM window with its 0.5 and width-1 offsets.</summary>
    Linear,
    /// <summary>LINEAR_EXACT: c ± w/2 maps exactly to the output limits.</summary>
    LinearExact,
    /// <summary>SIGMOID: 1 / (1 + exp(-4 (x - c) / w)).</summary>
    Sigmoid,
}
