namespace Thorax.Synthetic;

/// <summary>Thrown by <see cref="SynthOptions.Validate"/> when an option is outside its valid range.
/// The message names the option, the value and the valid range.</summary>
public sealed class InvalidSynthOptionsException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="option">Option (property) name, e.g. <c>Count</c>.</param>
    /// <param name="message">Message including the valid range.</param>
    public InvalidSynthOptionsException(string option, string message) : base(message, option) => Option = option;

    /// <summary>The offending option's property name.</summary>
    public string Option { get; }
}
