namespace Thorax.Dicom;

/// <summary>Options for <see cref="DicomFile.Open(string, DicomReadOptions?)"/>.</summary>
public sealed record DicomReadOptions
{
    /// <summary>Defaults: read everything, inflate at most 1 GiB.</summary>
    public static DicomReadOptions Default { get; } = new();

    /// <summary>Stop before (7FE0,0008..0010) pixel data at top level; default false.</summary>
    public bool HeaderOnly { get; init; }

    /// <summary>Largest inflated size accepted for deflated transfer syntaxes, bytes; default 1 GiB.</summary>
    public long MaxInflatedBytes { get; init; } = 1L << 30;
}
