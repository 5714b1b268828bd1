using System.Text;

namespace Thorax.Data.Siim;

/// <summary>Outcome of validating a submission file.</summary>
/// <param name="Path">Validated file.</param>
/// <param name="Rows">Data rows read.</param>
/// <param name="Errors">Problems in file order (missing ids last); empty when valid.</param>
/// <param name="Truncated">True when <see cref="SubmissionValidationOptions.MaxErrors"/> was reached.</param>
public sealed record SubmissionValidationResult(string Path, int Rows, IReadOnlyList<SubmissionError> Errors, bool Truncated)
{
    /// <summary>True when no error was found.</summary>
    public bool IsValid => Errors.Count == 0;

    /// <summary>One line per error, or "OK: N rows".</summary>
    public string ToText()
    {
        if (IsValid) return $"OK: {Path}: {Rows} rows";
        var sb = new StringBuilder();
        sb.Append($"INVALID: {Path}: {Errors.Count}{(Truncated ? "+" : "")} error(s)").AppendLine();
        foreach (var e in Errors) sb.Append("  ").AppendLine(e.ToString());
        return sb.ToString();
    }
}
