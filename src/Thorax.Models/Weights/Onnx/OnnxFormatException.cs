namespace Thorax.Models.Weights.Onnx;

/// <summary>
/// An ONNX file that cannot be read: malformed protobuf, a length or count that runs past the data, an initializer
/// whose data does not match its dims, a feature this reader refuses (external data), or a graph that does not have
/// the structure a loader expects. The message always names the file (<see cref="FileName"/>) and, where known, the
/// field or initializer.
/// </summary>
public sealed class OnnxFormatException : Exception
{
    /// <summary>The file (or in-memory source name) that was being read.</summary>
    public string FileName { get; }

    /// <summary>An error in <paramref name="source"/>; the message is prefixed with it.</summary>
    public OnnxFormatException(string source, string message, Exception? inner = null)
        : base($"{source}: {message}", inner)
    {
        FileName = source;
    }
}
