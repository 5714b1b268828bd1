namespace Thorax.Data.Siim;

/// <summary>Options for submission validation.</summary>
public sealed record SubmissionValidationOptions
{
    /// <summary>Defaults: 1024x1024, SIIM relative RLE, exactly one row per image.</summary>
    public static SubmissionValidationOptions Default { get; } = new();

    /// <summary>Image width in pixels (default 1024).</summary>
    public int Width { get; init; } = 1024;

    /// <summary>Image height in pixels (default 1024).</summary>
    public int Height { get; init; } = 1024;

    /// <summary>RLE dialect (default <see cref="RleFormat.SiimRelative"/>).</summary>
    public RleFormat Format { get; init; } = RleFormat.SiimRelative;

    /// <summary>Stop collecting after this many errors (default 1000).</summary>
    public int MaxErrors { get; init; } = 1000;
}
