namespace Thorax.Synthetic.Internal;

/// <summary>Row-major float image, (Height, Width).</summary>
internal sealed class Raster
{
    public Raster(int width, int height)
    {
        Width = width;
        Height = height;
        Data = new float[checked(width * height)];
    }

    public int Width { get; }
    public int Height { get; }
    public float[] Data { get; }

    public Span<float> Row(int y) => Data.AsSpan(y * Width, Width);

    public void Clear()
    {
        Array.Clear(Data);
        _ty0 = int.MaxValue; _ty1 = -1; _tx0 = int.MaxValue; _tx1 = -1;
    }

    // Box written by the rasterizer since the last clear (inclusive bounds; empty when _ty1 < _ty0).
    private int _tx0 = int.MaxValue, _tx1 = -1, _ty0 = int.MaxValue, _ty1 = -1;

    /// <summary>Records that pixels in [x0, x1] x [y0, y1] were written (called by <see cref="Rasterizer"/>).</summary>
    public void MarkTouched(int x0, int y0, int x1, int y1)
    {
        if (x0 < _tx0) _tx0 = x0;
        if (x1 > _tx1) _tx1 = x1;
        if (y0 < _ty0) _ty0 = y0;
        if (y1 > _ty1) _ty1 = y1;
    }

    /// <summary>The box written by the rasterizer since the last clear (inclusive bounds, clipped to the raster);
    /// false when nothing was drawn.</summary>
    public bool TryGetTouched(out int x0, out int y0, out int x1, out int y1)
    {
        x0 = Math.Max(0, _tx0); y0 = Math.Max(0, _ty0);
        x1 = Math.Min(Width - 1, _tx1); y1 = Math.Min(Height - 1, _ty1);
        return x1 >= x0 && y1 >= y0;
    }

    /// <summary>Zeroes only the box recorded by <see cref="MarkTouched"/> since the last clear. Valid only for
    /// rasters that are written exclusively through <see cref="Rasterizer"/> (and start zeroed).</summary>
    public void ClearTouched()
    {
        for (int y = Math.Max(0, _ty0); y <= Math.Min(Height - 1, _ty1); y++)
            Data.AsSpan(y * Width + _tx0, _tx1 - _tx0 + 1).Clear();
        _ty0 = int.MaxValue; _ty1 = -1; _tx0 = int.MaxValue; _tx1 = -1;
    }

    public void CopyTo(Raster other) => Data.AsSpan().CopyTo(other.Data);
}

/// <summary>How a shape's coverage is combined with a raster.</summary>
internal enum Blend
{
    /// <summary>dst += value * coverage.</summary>
    Add,
    /// <summary>dst = max(dst, value * coverage).</summary>
    Max,
    /// <summary>dst = lerp(dst, value, coverage).</summary>
    Over,
}
