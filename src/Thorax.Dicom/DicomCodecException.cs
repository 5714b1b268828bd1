namespace Thorax.Dicom;

/// <summary>
/// Pixel data cannot be decoded here: no codec registered for the transfer syntax, the native codec library is not
/// installed (<see cref="MissingPackage"/> names the Debian package), or the stream uses a feature the codec lacks.
/// Corrupt compressed streams raise <see cref="DicomFormatException"/> instead.
/// </summary>
public sealed class DicomCodecException : DicomException
{
    /// <summary>Creates the exception.</summary>
    public DicomCodecException(string message, TransferSyntax? transferSyntax = null, string? missingPackage = null, Exception? inner = null)
        : base(message, inner)
    {
        TransferSyntax = transferSyntax;
        MissingPackage = missingPackage;
    }

    /// <summary>The transfer syntax being decoded, when known.</summary>
    public TransferSyntax? TransferSyntax { get; }

    /// <summary>Debian package that provides the missing native library (e.g. "libturbojpeg0"), or null.</summary>
    public string? MissingPackage { get; }
}
