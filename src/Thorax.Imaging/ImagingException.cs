namespace Thorax.Imaging;

/// <summary>Root of all exceptions raised by <c>Thorax.Imaging</c>.</summary>
public class ImagingException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    public ImagingException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public ImagingException(string message, Exception? innerException) : base(message, innerException) { }
}
