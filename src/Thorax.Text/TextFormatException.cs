namespace Thorax.Text;

/// <summary>A text-model file (vocabulary, SentencePiece model, config.json, weights) that does not fit: names the file
/// and the field.</summary>
public sealed class TextFormatException : Exception
{
    /// <summary>Creates the exception; the message reads "<paramref name="source"/>: <paramref name="detail"/>".</summary>
    public TextFormatException(string source, string detail, Exception? inner = null)
        : base($"{source}: {detail}", inner)
    {
        SourceFile = source;
        Detail = detail;
    }

    /// <summary>The file (or resource) at fault.</summary>
    public string SourceFile { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Detail { get; }
}

/// <summary>Text that cannot be encoded as asked (an empty report where one is required).</summary>
public sealed class TextInputException(string message) : ArgumentException(message);
