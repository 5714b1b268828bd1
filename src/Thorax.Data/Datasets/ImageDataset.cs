using System.Globalization;
using Thorax.Data.Gaze;

namespace Thorax.Data.Datasets;

/// <summary>
/// Base class for file-backed datasets: decoding through <see cref="ImageFiles"/>, the optional
/// <see cref="ImageCache"/>, resizing to <see cref="DatasetOptions.Size"/> and channel expansion.
/// </summary>
public abstract class ImageDataset : IDataset
{
    /// <summary>Stores and validates the options.</summary>
    protected ImageDataset(DatasetOptions? options)
    {
        Options = options ?? DatasetOptions.Default;
        Options.Validate();
    }

    /// <summary>Decoding options.</summary>
    public DatasetOptions Options { get; }

    /// <inheritdoc />
    public abstract int Count { get; }

    /// <inheritdoc />
    public abstract IReadOnlyList<string> LabelNames { get; }

    /// <inheritdoc />
    public abstract string IdOf(int index);

    /// <inheritdoc />
    public abstract float[] LabelsOf(int index);

    /// <inheritdoc />
    public abstract Sample Get(int index);

    /// <summary>Decodes <paramref name="path"/> as grey [0, 1], resized to the target size, through the cache.
    /// The returned pixels may be shared with the cache and must not be modified.</summary>
    protected GreyImage LoadImage(string path)
    {
        if (Options.Cache is null) return Decode(path);
        string variant = string.Create(CultureInfo.InvariantCulture, $"{Options.Size?.ToString() ?? "native"}|{Options.Presentation}");
        return Options.Cache.GetOrAdd(path, variant, () => Decode(path));
    }

    /// <summary>Native size of the file behind <paramref name="loaded"/>: the loaded size when no resize is configured,
    /// else read from the file header.</summary>
    protected (int Width, int Height) NativeSize(string path, GreyImage loaded) =>
        Options.Size is null ? (loaded.Width, loaded.Height) : ImageFiles.ReadSize(path);

    /// <summary>Brings a native-resolution mask to the output size (nearest).</summary>
    /// <exception cref="DataFormatException">No target size is set and the mask size differs from the image size.</exception>
    protected byte[] FitMask(byte[] mask, int width, int height, GreyImage image, string source)
    {
        if (Options.Size is { } size) return ImageFiles.ResizeMask(mask, width, height, size);
        if (width != image.Width || height != image.Height)
            throw new DataFormatException($"mask is {width}x{height} but the image is {image.Width}x{image.Height}", source);
        return mask;
    }

    /// <summary>Brings a native-resolution gaze map to the output size (area for shrinking, bilinear otherwise).</summary>
    protected float[] FitGaze(GazeMap map, GreyImage image)
    {
        if (map.Width == image.Width && map.Height == image.Height) return map.Data;
        return map.Resize(image.Width, image.Height).Data;
    }

    /// <summary>Builds the sample from a loaded image (channels expanded per <see cref="DatasetOptions.Channels"/>).</summary>
    protected Sample Build(string id, GreyImage image, IReadOnlyList<byte[]>? masks = null, float[]? gaze = null,
        string? report = null, float[]? labels = null, IReadOnlyDictionary<string, string>? metadata = null) => new()
    {
        Id = id,
        Image = ImageFiles.ToChannels(image.Pixels, Options.Channels),
        Channels = Options.Channels,
        Height = image.Height,
        Width = image.Width,
        Masks = masks ?? [],
        Gaze = gaze,
        Report = report,
        Labels = labels ?? [],
        Metadata = metadata ?? new Dictionary<string, string>(),
    };

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for an index outside 0..Count-1.</summary>
    protected void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"index must be in 0..{Count - 1}");
    }

    private GreyImage Decode(string path)
    {
        var img = ImageFiles.ReadGrey(path, Options.Presentation);
        return Options.Size is { } size ? ImageFiles.Resize(img, size) : img;
    }
}
