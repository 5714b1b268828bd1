namespace Thorax.Imaging;

/// <summary>
/// An owned raster: <see cref="Height"/> rows of <see cref="Width"/> pixels, each pixel <see cref="Channels"/>
/// interleaved samples, stored row-major in one contiguous array (index = (y * Width + x) * Channels + c).
/// </summary>
/// <typeparam name="T">Sample type; the library uses <see cref="byte"/>, <see cref="ushort"/> and <see cref="float"/>.</typeparam>
/// <remarks>Not thread-safe for concurrent writes to the same pixels. Channel order for colour images is R, G, B(, A).</remarks>
public sealed class Image<T> where T : unmanaged
{
    private readonly T[] _data;

    /// <summary>Allocates a zero-filled image.</summary>
    /// <param name="width">Columns, &gt;= 1.</param>
    /// <param name="height">Rows, &gt;= 1.</param>
    /// <param name="channels">Samples per pixel, 1..4.</param>
    public Image(int width, int height, int channels = 1)
        : this(width, height, channels, new T[CheckedLength(width, height, channels)])
    {
    }

    /// <summary>Wraps an existing array (no copy); the image takes ownership of it.</summary>
    /// <param name="width">Columns, &gt;= 1.</param>
    /// <param name="height">Rows, &gt;= 1.</param>
    /// <param name="channels">Samples per pixel, 1..4.</param>
    /// <param name="data">Row-major interleaved samples; length must be width*height*channels.</param>
    public Image(int width, int height, int channels, T[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        long n = CheckedLength(width, height, channels);
        if (data.Length != n)
            throw new ArgumentException($"Data length {data.Length} != {width}x{height}x{channels} = {n}.", nameof(data));
        Width = width;
        Height = height;
        Channels = channels;
        _data = data;
    }

    /// <summary>Number of columns.</summary>
    public int Width { get; }

    /// <summary>Number of rows.</summary>
    public int Height { get; }

    /// <summary>Samples per pixel (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA).</summary>
    public int Channels { get; }

    /// <summary>Samples per row (Width * Channels).</summary>
    public int RowLength => Width * Channels;

    /// <summary>All samples, row-major and interleaved.</summary>
    public Span<T> Pixels => _data;

    /// <summary>The backing array (same memory as <see cref="Pixels"/>), for APIs that cannot take spans.</summary>
    public T[] Data => _data;

    /// <summary>The samples of row <paramref name="y"/> (length <see cref="RowLength"/>).</summary>
    public Span<T> Row(int y)
    {
        if ((uint)y >= (uint)Height) throw new ArgumentOutOfRangeException(nameof(y));
        return _data.AsSpan(y * RowLength, RowLength);
    }

    /// <summary>Sample at column <paramref name="x"/>, row <paramref name="y"/>, channel <paramref name="c"/>.</summary>
    public ref T this[int x, int y, int c = 0]
    {
        get
        {
            if ((uint)x >= (uint)Width || (uint)y >= (uint)Height || (uint)c >= (uint)Channels)
                throw new ArgumentOutOfRangeException(nameof(x), $"({x},{y},{c}) outside {Width}x{Height}x{Channels}.");
            return ref _data[(y * Width + x) * Channels + c];
        }
    }

    /// <summary>Deep copy.</summary>
    public Image<T> Clone() => new(Width, Height, Channels, (T[])_data.Clone());

    /// <summary>True when <paramref name="other"/> has the same width, height and channel count.</summary>
    public bool HasSameShape<TOther>(Image<TOther> other) where TOther : unmanaged =>
        other.Width == Width && other.Height == Height && other.Channels == Channels;

    /// <inheritdoc />
    public override string ToString() => $"Image<{typeof(T).Name}> {Width}x{Height}x{Channels}";

    private static int CheckedLength(int width, int height, int channels)
    {
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, "Width must be >= 1.");
        if (height < 1) throw new ArgumentOutOfRangeException(nameof(height), height, "Height must be >= 1.");
        if (channels is < 1 or > 4) throw new ArgumentOutOfRangeException(nameof(channels), channels, "Channels must be 1..4.");
        long n = (long)width * height * channels;
        if (n > Array.MaxLength) throw new ArgumentException($"Image {width}x{height}x{channels} is too large.");
        return (int)n;
    }
}
