using System.Text;

namespace Thorax.Dicom;

/// <summary>
/// The bytes do not form valid DICOM (truncated, bad magic, impossible lengths, corrupt compressed stream, too little
/// pixel data...). Carries where the problem is: the file, the element tag and the byte offset.
/// </summary>
public sealed class DicomFormatException : DicomException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="problem">What is wrong, without the location (it is appended to <see cref="Exception.Message"/>).</param>
    /// <param name="filePath">File being read, when known.</param>
    /// <param name="tag">Element being read, when known.</param>
    /// <param name="byteOffset">Byte offset in the file (in the inflated stream for deflated syntaxes), when known.</param>
    /// <param name="inner">Underlying cause.</param>
    public DicomFormatException(string problem, string? filePath = null, DicomTag? tag = null, long? byteOffset = null, Exception? inner = null)
        : base(Compose(problem, filePath, tag, byteOffset), inner)
    {
        Problem = problem;
        FilePath = filePath;
        Tag = tag;
        ByteOffset = byteOffset;
    }

    /// <summary>What is wrong, without location.</summary>
    public string Problem { get; }

    /// <summary>The file being read, or null for streams/memory.</summary>
    public string? FilePath { get; }

    /// <summary>The element being read, or null.</summary>
    public DicomTag? Tag { get; }

    /// <summary>Byte offset of the element (or of the problem) in the file, or null.</summary>
    public long? ByteOffset { get; }

    /// <summary>Returns a copy with the file path filled in (when it was unknown where the error was raised).</summary>
    public DicomFormatException WithFilePath(string? filePath) =>
        FilePath is not null || filePath is null ? this : new DicomFormatException(Problem, filePath, Tag, ByteOffset, InnerException);

    private static string Compose(string problem, string? filePath, DicomTag? tag, long? offset)
    {
        var sb = new StringBuilder(problem);
        if (filePath is not null || tag is not null || offset is not null)
        {
            sb.Append(" (");
            var parts = new List<string>(3);
            if (filePath is not null) parts.Add($"file '{filePath}'");
            if (tag is { } t) parts.Add($"tag {t}");
            if (offset is { } o) parts.Add($"offset {o}");
            sb.Append(string.Join(", ", parts)).Append(')');
        }
        return sb.ToString();
    }
}
