namespace Thorax.Dicom;

/// <summary>A data set lacks a required element, or an element's value cannot be read as the requested type.</summary>
public sealed class DicomDataException : DicomException
{
    /// <summary>Creates the exception.</summary>
    public DicomDataException(string message, DicomTag tag, Exception? inner = null) : base(message, inner) => Tag = tag;

    /// <summary>The element concerned.</summary>
    public DicomTag Tag { get; }
}
