namespace Thorax.Training;

/// <summary>
/// A training checkpoint cannot be read or does not fit the objects it is restored into: the file is truncated, not
/// a Thorax training checkpoint, from a newer format version, has a malformed entry, or its model / optimiser /
/// scheduler / RNG entries do not match. <see cref="FilePath"/> and <see cref="Key"/> say where.
/// </summary>
public sealed class TrainingCheckpointException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The checkpoint file, or <c>&lt;memory&gt;</c> for an unsaved checkpoint.</param>
    /// <param name="key">
    /// The entry concerned: a tensor key (<c>model.conv.weight</c>, <c>optimizer.state.3.exp_avg</c>, <c>rng.torch</c>),
    /// a metadata key (<c>__metadata__.scheduler</c>), or null when the whole file is at fault.
    /// </param>
    /// <param name="message">What is wrong.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public TrainingCheckpointException(string filePath, string? key, string message, Exception? inner = null)
        : base(Format(filePath, key, message), inner)
    {
        FilePath = filePath;
        Key = key;
    }

    /// <summary>The checkpoint file concerned.</summary>
    public string FilePath { get; }

    /// <summary>The entry concerned, or null.</summary>
    public string? Key { get; }

    private static string Format(string file, string? key, string message) =>
        key is null ? $"checkpoint {file}: {message}" : $"checkpoint {file}, entry '{key}': {message}";
}
