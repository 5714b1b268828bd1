namespace Thorax.Imaging;

/// <summary>
/// An encoded image (PNG, JPEG) is malformed or unsupported. Carries the file, the byte offset and the
/// field that failed so the message can point at the exact problem.
/// </summary>
public sealed class ImageFormatException : ImagingException
{
    /// <summary>Creates the exception; the message is prefixed with the file, field and offset when known.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="filePath">Path of the file being read, or null for in-memory data.</param>
    /// <param name="offset">Byte offset in the encoded data where the problem was found, or null.</param>
    /// <param name="field">Format field or chunk that failed (e.g. "IHDR.BitDepth", "IDAT"), or null.</param>
    /// <param name="innerException">Underlying cause, if any.</param>
    public ImageFormatException(string message, string? filePath = null, long? offset = null, string? field = null,
        Exception? innerException = null)
        : base(Compose(message, filePath, offset, field), innerException)
    {
        FilePath = filePath;
        Offset = offset;
        Field = field;
    }

    /// <summary>Path of the offending file, or null when decoding from memory.</summary>
    public string? FilePath { get; }

    /// <summary>Byte offset in the encoded stream where the error was detected, or null.</summary>
    public long? Offset { get; }

    /// <summary>Name of the field or chunk that failed, or null.</summary>
    public string? Field { get; }

    private static string Compose(string message, string? filePath, long? offset, string? field)
    {
        var where = new List<string>(3);
        if (filePath is not null) where.Add(filePath);
        if (field is not null) where.Add(field);
        if (offset is not null) where.Add($"offset {offset}");
        return where.Count == 0 ? message : $"{string.Join(", ", where)}: {message}";
    }
}
