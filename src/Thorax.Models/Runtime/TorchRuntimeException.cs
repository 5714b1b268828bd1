namespace Thorax.Models.Runtime;

/// <summary>
/// libtorch or TorchSharp's native library cannot be loaded; the message says why (when it can tell) and what to do,
/// and the loader's own error is the inner exception.
/// </summary>
public sealed class TorchRuntimeException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed and what to do.</param>
    /// <param name="inner">The loader's error.</param>
    public TorchRuntimeException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
