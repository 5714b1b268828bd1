namespace Thorax.Synthetic;

/// <summary>Thrown when the output folder exists and is not empty and <see cref="SynthOptions.Force"/> is false.</summary>
public sealed class SynthOutputExistsException : IOException
{
    /// <summary>Creates the exception for <paramref name="directory"/>.</summary>
    public SynthOutputExistsException(string directory)
        : base($"Output folder '{directory}' exists and is not empty; pass --force (SynthOptions.Force) to write into it.") =>
        Directory = directory;

    /// <summary>The output folder.</summary>
    public string Directory { get; }
}
