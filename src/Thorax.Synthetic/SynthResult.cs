namespace Thorax.Synthetic;

/// <summary>Summary of a written dataset.</summary>
/// <param name="OutputDirectory">Absolute output folder.</param>
/// <param name="Studies">Number of studies written.</param>
/// <param name="Train">Studies in the train split.</param>
/// <param name="Validation">Studies in the validation split.</param>
/// <param name="Test">Studies in the test split.</param>
/// <param name="Pneumothorax">Studies with a pneumothorax.</param>
/// <param name="Files">Number of files written.</param>
/// <param name="Elapsed">Wall-clock time.</param>
public sealed record SynthResult(string OutputDirectory, int Studies, int Train, int Validation, int Test, int Pneumothorax,
    int Files, TimeSpan Elapsed)
{
    /// <summary>Throughput in studies per second (wall clock, all files included).</summary>
    public double StudiesPerSecond => Elapsed.TotalSeconds > 0 ? Studies / Elapsed.TotalSeconds : 0;

    /// <summary>Real backgrounds used (real-background mode), else 0.</summary>
    public int BackgroundsUsed { get; init; }

    /// <summary>Backgrounds skipped as unusable, with the file and reason (real-background mode).</summary>
    public IReadOnlyList<SkippedBackground> BackgroundsSkipped { get; init; } = [];
}
