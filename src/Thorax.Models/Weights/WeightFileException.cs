namespace Thorax.Models.Weights;

/// <summary>
/// A weight file (safetensors or a PyTorch checkpoint) is malformed, truncated or uses an unsupported feature.
/// The message names the file and, where known, the tensor key and byte offset.
/// </summary>
public sealed class WeightFileException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The file (or a description of the source when read from memory).</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="tensorKey">The tensor key concerned, if any.</param>
    /// <param name="byteOffset">The byte offset concerned, if any.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public WeightFileException(string filePath, string message, string? tensorKey = null, long? byteOffset = null, Exception? inner = null)
        : base(Format(filePath, message, tensorKey, byteOffset), inner)
    {
        FilePath = filePath;
        TensorKey = tensorKey;
        ByteOffset = byteOffset;
    }

    /// <summary>The file concerned.</summary>
    public string FilePath { get; }

    /// <summary>The tensor key concerned, or null.</summary>
    public string? TensorKey { get; }

    /// <summary>The byte offset concerned, or null.</summary>
    public long? ByteOffset { get; }

    private static string Format(string file, string message, string? key, long? offset)
    {
        var where = file;
        if (key is not null) where += $", tensor '{key}'";
        if (offset is not null) where += $", byte {offset}";
        return $"{where}: {message}";
    }
}
