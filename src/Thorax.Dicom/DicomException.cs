namespace Thorax.Dicom;

/// <summary>Root of every exception thrown by Thorax.Dicom for bad data or unsupported content.</summary>
public abstract class DicomException : Exception
{
    /// <summary>Creates the exception with a message and optional cause.</summary>
    protected DicomException(string message, Exception? inner = null) : base(message, inner) { }
}
