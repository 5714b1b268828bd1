namespace Thorax;

/// <summary>
/// An error raised by libtorch (through the native shim) or by the managed tensor API: shape, dtype or device
/// mismatches, invalid arguments, non-finite losses. The message names the operation and what was expected.
/// </summary>
public class TorchException : Exception
{
    /// <summary>The native operation that failed (e.g. <c>conv2d</c>), when known.</summary>
    public string? Operation { get; }

    public TorchException(string message) : base(message) { }

    public TorchException(string message, Exception inner) : base(message, inner) { }

    public TorchException(string operation, string message) : base($"{operation}: {message}") => Operation = operation;
}
