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

    public void Clear() => Array.Clear(Data);

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
