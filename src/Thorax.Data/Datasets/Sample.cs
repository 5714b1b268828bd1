namespace Thorax.Data.Datasets;

/// <summary>
/// The one sample type that flows from datasets through augmentation to the loader: an image as float32
/// [C, H, W] (planar, row-major, managed array), optional binary masks [H, W] (0/1), an optional gaze map [H, W],
/// optional report text, a label vector, an id and free-form metadata.
/// </summary>
/// <remarks>Samples are immutable by convention: transforms return new samples (with <c>with</c>) and never write
/// into the arrays of their input, so a dataset may hand out cached arrays.</remarks>
public sealed record Sample
{
    /// <summary>Sample id (file stem, SOP Instance UID, dicom_id ...).</summary>
    public required string Id { get; init; }

    /// <summary>Pixels, float32 planar [C, H, W] (index = (c * H + y) * W + x), usually in [0, 1] before normalisation.</summary>
    public required float[] Image { get; init; }

    /// <summary>Channels C (1 or 3).</summary>
    public required int Channels { get; init; }

    /// <summary>Rows H.</summary>
    public required int Height { get; init; }

    /// <summary>Columns W.</summary>
    public required int Width { get; init; }

    /// <summary>Segmentation masks, each row-major [H, W] with values 0 or 1; empty when the source has none.</summary>
    public IReadOnlyList<byte[]> Masks { get; init; } = [];

    /// <summary>Gaze heat map row-major [H, W] (non-negative, scale as produced by the dataset), or null.</summary>
    public float[]? Gaze { get; init; }

    /// <summary>Report text, or null.</summary>
    public string? Report { get; init; }

    /// <summary>Label vector, one float per name in the dataset's <see cref="IDataset.LabelNames"/> (NaN = unknown).</summary>
    public float[] Labels { get; init; } = [];

    /// <summary>Free-form metadata (source path, patient id, split ...).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Pixels per channel plane (H * W).</summary>
    public int PlaneSize => Height * Width;

    /// <summary>Checks that every array matches the declared shape and masks are 0/1.</summary>
    /// <exception cref="ArgumentException">A length or value does not match (message names the sample id).</exception>
    public void Validate()
    {
        if (Channels < 1 || Height < 1 || Width < 1)
            throw new ArgumentException($"sample '{Id}': invalid shape [{Channels}, {Height}, {Width}]");
        if (Image.Length != (long)Channels * Height * Width)
            throw new ArgumentException($"sample '{Id}': image has {Image.Length} values, expected {Channels}x{Height}x{Width}");
        for (int i = 0; i < Masks.Count; i++)
        {
            if (Masks[i].Length != PlaneSize)
                throw new ArgumentException($"sample '{Id}': mask {i} has {Masks[i].Length} values, expected {Height}x{Width}");
            if (Masks[i].AsSpan().IndexOfAnyExcept((byte)0, (byte)1) >= 0)
                throw new ArgumentException($"sample '{Id}': mask {i} holds values other than 0 and 1");
        }
        if (Gaze is not null && Gaze.Length != PlaneSize)
            throw new ArgumentException($"sample '{Id}': gaze map has {Gaze.Length} values, expected {Height}x{Width}");
    }

    /// <summary>Channel plane <paramref name="c"/> as a span (length H * W).</summary>
    public ReadOnlySpan<float> Plane(int c) => Image.AsSpan(c * PlaneSize, PlaneSize);

    /// <inheritdoc />
    public override string ToString() =>
        $"Sample {Id} [{Channels}, {Height}, {Width}] masks={Masks.Count} gaze={(Gaze is null ? "no" : "yes")} labels={Labels.Length}";
}
