namespace Thorax.Metrics;

/// <summary>
/// A binary mask of <see cref="Height"/> rows by <see cref="Width"/> columns stored row-major as bytes;
/// any non-zero byte is foreground (so 0/1 and 0/255 masks both work). The data is not copied.
/// </summary>
public readonly struct BinaryMask
{
    /// <summary>Wraps row-major mask bytes.</summary>
    /// <param name="data">Row-major bytes, length <paramref name="width"/> × <paramref name="height"/>; non-zero = foreground.</param>
    /// <param name="width">Columns, &gt;= 1.</param>
    /// <param name="height">Rows, &gt;= 1.</param>
    /// <exception cref="MetricException">Non-positive size or a data length that does not match it.</exception>
    public BinaryMask(ReadOnlyMemory<byte> data, int width, int height)
    {
        if (width < 1 || height < 1)
        {
            throw new MetricException($"Mask size must be positive, got {width}x{height}.", nameof(width));
        }

        if ((long)width * height != data.Length)
        {
            throw new MetricException(
                $"Mask data has {data.Length} bytes but {width}x{height} needs {(long)width * height}.", nameof(data));
        }

        Data = data;
        Width = width;
        Height = height;
    }

    /// <summary>Row-major mask bytes; non-zero = foreground.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Builds a mask from booleans (copied into a new byte array, true = 1).</summary>
    /// <param name="values">Row-major booleans, length <paramref name="width"/> × <paramref name="height"/>.</param>
    /// <param name="width">Columns.</param>
    /// <param name="height">Rows.</param>
    public static BinaryMask FromBools(ReadOnlySpan<bool> values, int width, int height)
    {
        var bytes = new byte[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            bytes[i] = values[i] ? (byte)1 : (byte)0;
        }

        return new BinaryMask(bytes, width, height);
    }

    /// <summary>Number of foreground pixels.</summary>
    public long CountForeground()
    {
        var span = Data.Span;
        long n = 0;
        for (var i = 0; i < span.Length; i++)
        {
            n += span[i] != 0 ? 1 : 0;
        }

        return n;
    }
}
