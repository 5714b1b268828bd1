namespace Thorax.Data.Siim;

/// <summary>One problem found by <see cref="SiimSubmission.Validate(string, IEnumerable{string}, SubmissionValidationOptions?)"/>.</summary>
/// <param name="Line">1-based line in the submission file (header = 1), or null for file-level problems such as a missing id.</param>
/// <param name="Column">Column the problem is in ("ImageId", "EncodedPixels", or the header).</param>
/// <param name="Message">What is wrong.</param>
public sealed record SubmissionError(long? Line, string Column, string Message)
{
    /// <summary>"line 12, column 'EncodedPixels': message".</summary>
    public override string ToString() =>
        Line is { } l ? $"line {l}, column '{Column}': {Message}" : $"column '{Column}': {Message}";
}
