namespace Thorax.Data.Masks;

/// <summary>
/// A binary mask of <see cref="Height"/> rows by <see cref="Width"/> columns stored row-major
/// (<c>Data[row * Width + col]</c>), one byte per pixel: 0 = background, 1 = foreground.
/// This is the plain, dependency-free mask the annotation readers produce; tensor/image layers convert it.
/// </summary>
public sealed class BinaryMask
{
    /// <summary>Creates an all-zero mask.</summary>
    /// <param name="width">Columns, at least 1.</param>
    /// <param name="height">Rows, at least 1.</param>
    public BinaryMask(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Width = width;
        Height = height;
        Data = new byte[checked(width * height)];
    }

    /// <summary>Wraps existing row-major data (not copied); any non-zero byte counts as foreground.</summary>
    /// <exception cref="ArgumentException">Length is not width*height.</exception>
    public BinaryMask(int width, int height, byte[] data)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (data.Length != (long)width * height)
            throw new ArgumentException($"mask data has {data.Length} bytes, expected {width}x{height}", nameof(data));
        Width = width;
        Height = height;
        Data = data;
    }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Row-major pixel bytes, length Width*Height.</summary>
    public byte[] Data { get; }

    /// <summary>Pixel at (row, col).</summary>
    public byte this[int row, int col]
    {
        get => Data[row * Width + col];
        set => Data[row * Width + col] = value;
    }

    /// <summary>Number of non-zero pixels.</summary>
    public int CountNonZero() => Data.Length - Data.AsSpan().Count((byte)0);

    /// <summary>Inclusive bounding box of the non-zero pixels, or null for an empty mask.</summary>
    public MaskBoundingBox? BoundingBox() => BoundingBoxOf(Data, Width, Height);

    /// <summary>Inclusive bounding box of the non-zero pixels of a row-major buffer, or null when empty.</summary>
    public static MaskBoundingBox? BoundingBoxOf(ReadOnlySpan<byte> data, int width, int height)
    {
        int rMin = -1, rMax = -1, cMin = width, cMax = -1;
        for (int r = 0; r < height; r++)
        {
            var row = data.Slice(r * width, width);
            int first = row.IndexOfAnyExcept((byte)0);
            if (first < 0) continue;
            int last = row.LastIndexOfAnyExcept((byte)0);
            if (rMin < 0) rMin = r;
            rMax = r;
            if (first < cMin) cMin = first;
            if (last > cMax) cMax = last;
        }
        return rMin < 0 ? null : new MaskBoundingBox(rMin, cMin, rMax, cMax);
    }

    /// <summary>ORs <paramref name="other"/> into this mask (sizes must match); result pixels are 0 or 1.</summary>
    public void UnionWith(BinaryMask other)
    {
        if (other.Width != Width || other.Height != Height)
            throw new ArgumentException($"mask size {other.Width}x{other.Height} differs from {Width}x{Height}", nameof(other));
        var d = Data.AsSpan();
        var o = other.Data.AsSpan();
        for (int i = 0; i < d.Length; i++) d[i] = (byte)((d[i] | o[i]) != 0 ? 1 : 0);
    }
}
