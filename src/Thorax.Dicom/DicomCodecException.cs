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
        : this(message, transferSyntax, missingPackage, null, inner)
    {
    }

    private DicomCodecException(string problem, TransferSyntax? transferSyntax, string? missingPackage, string? filePath, Exception? inner)
        : base(filePath is null ? problem : $"{problem} (file '{filePath}', tag {DicomTag.PixelData})", inner)
    {
        Problem = problem;
        TransferSyntax = transferSyntax;
        MissingPackage = missingPackage;
        FilePath = filePath;
    }

    /// <summary>What cannot be decoded, without the file (which <see cref="Exception.Message"/> appends when known).</summary>
    public string Problem { get; }

    /// <summary>The file whose pixel data was being decoded, or null for streams/memory.</summary>
    public string? FilePath { get; }

    /// <summary>Returns a copy naming <paramref name="filePath"/> (when the codec raising it did not know the file).</summary>
    public DicomCodecException WithFilePath(string? filePath) =>
        FilePath is not null || filePath is null ? this : new DicomCodecException(Problem, TransferSyntax, MissingPackage, filePath, InnerException);

    /// <summary>The transfer syntax being decoded, when known.</summary>
    public TransferSyntax? TransferSyntax { get; }

    /// <summary>Debian package that provides the missing native library (e.g. "libturbojpeg0"), or null.</summary>
    public string? MissingPackage { get; }
}
