namespace Thorax.Metrics;

/// <summary>
/// Thrown when a metric receives input it cannot score honestly: NaN or infinite scores, spans of different
/// lengths, a label outside the class list, a single-class ranking problem, masks of different shapes.
/// </summary>
/// <remarks>
/// Derives from <see cref="ArgumentException"/>, so <see cref="ArgumentException.ParamName"/> names the offending
/// argument; <see cref="Index"/> gives the first offending element when there is one. Metrics never return a
/// silently wrong number for such input.
/// </remarks>
public class MetricException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, in words.</param>
    /// <param name="paramName">The argument that holds the bad value (e.g. <c>scores</c>).</param>
    /// <param name="index">Zero-based element index inside that argument, or <c>null</c> when not element-specific.</param>
    /// <param name="innerException">The cause, when there is one.</param>
    public MetricException(string message, string? paramName = null, long? index = null, Exception? innerException = null)
        : base(Compose(message, paramName, index), paramName, innerException)
    {
        Index = index;
    }

    /// <summary>Zero-based index of the first offending element, or <c>null</c>.</summary>
    public long? Index { get; }

    private static string Compose(string message, string? paramName, long? index)
    {
        if (index is null)
        {
            return message;
        }

        return paramName is null ? $"{message} (index {index})" : $"{message} ({paramName}[{index}])";
    }
}
