namespace Thorax.Training;

/// <summary>
/// An optimiser or scheduler state dict that does not fit: wrong group count or sizes, a state tensor whose shape
/// differs from its parameter, a malformed flat key or hyperparameter JSON. <see cref="Key"/> names the entry.
/// </summary>
public sealed class OptimizerStateException : Exception
{
    /// <summary>Creates the exception for entry <paramref name="key"/>.</summary>
    public OptimizerStateException(string key, string message) : base($"{key}: {message}") => Key = key;

    /// <summary>Creates the exception for entry <paramref name="key"/>, keeping the cause.</summary>
    public OptimizerStateException(string key, string message, Exception inner) : base($"{key}: {message}", inner) => Key = key;

    /// <summary>
    /// The offending entry, in PyTorch state-dict terms: <c>param_groups.0.lr</c>, <c>state.3.exp_avg</c>, a flat
    /// tensor key, or a JSON path.
    /// </summary>
    public string Key { get; }
}
