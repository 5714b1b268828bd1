using Thorax.Data.Datasets;

namespace Thorax.Data.Augmentation;

/// <summary>
/// Cuts rectangular holes (albumentations 1.3 <c>CoarseDropout</c>): n ~ randint(MinHoles, MaxHoles + 1) holes, each
/// h ~ randint(MinHeight, MaxHeight + 1), w ~ randint(MinWidth, MaxWidth + 1), top ~ randint(0, H - h + 1),
/// left ~ randint(0, W - w + 1); image pixels set to FillValue, masks to MaskFillValue when set (else unchanged),
/// gaze unchanged. Defaults 8 holes of 8x8, fill 0, p 0.5.
/// </summary>
public sealed class CoarseDropout : SampleTransform<CoarseDropout.Hole[]>
{
    /// <summary>One hole in pixels.</summary>
    public readonly record struct Hole(int X, int Y, int Width, int Height);

    /// <summary>Creates the transform with p = 0.5.</summary>
    public CoarseDropout() => Probability = 0.5;

    /// <summary>Fewest holes; default = MaxHoles.</summary>
    public int? MinHoles { get; init; }

    /// <summary>Most holes; default 8.</summary>
    public int MaxHoles { get; init; } = 8;

    /// <summary>Smallest hole height; default = MaxHeight.</summary>
    public int? MinHeight { get; init; }

    /// <summary>Largest hole height in pixels; default 8.</summary>
    public int MaxHeight { get; init; } = 8;

    /// <summary>Smallest hole width; default = MaxWidth.</summary>
    public int? MinWidth { get; init; }

    /// <summary>Largest hole width in pixels; default 8.</summary>
    public int MaxWidth { get; init; } = 8;

    /// <summary>Image value inside holes; default 0.</summary>
    public float FillValue { get; init; }

    /// <summary>Mask value inside holes (0 or 1), or null (default) to leave masks unchanged.</summary>
    public byte? MaskFillValue { get; init; }

    /// <inheritdoc />
    public override Hole[] Randomize(Random random, int width, int height)
    {
        int n = random.Next(MinHoles ?? MaxHoles, MaxHoles + 1);
        var holes = new Hole[n];
        for (int i = 0; i < n; i++)
        {
            int h = Math.Min(height, random.Next(MinHeight ?? MaxHeight, MaxHeight + 1));
            int w = Math.Min(width, random.Next(MinWidth ?? MaxWidth, MaxWidth + 1));
            int y = random.Next(0, height - h + 1), x = random.Next(0, width - w + 1);
            holes[i] = new Hole(x, y, w, h);
        }
        return holes;
    }

    /// <inheritdoc />
    public override Sample Apply(Sample sample, Hole[] holes)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var img = (float[])sample.Image.Clone();
        int w = sample.Width, plane = sample.PlaneSize;
        var masks = MaskFillValue is null ? sample.Masks : sample.Masks.Select(m => (byte[])m.Clone()).ToArray();
        foreach (var hole in holes)
        {
            int x0 = Math.Max(0, hole.X), y0 = Math.Max(0, hole.Y);
            int x1 = Math.Min(w, hole.X + hole.Width), y1 = Math.Min(sample.Height, hole.Y + hole.Height);
            if (x1 <= x0 || y1 <= y0) continue;
            for (int y = y0; y < y1; y++)
            {
                for (int c = 0; c < sample.Channels; c++) img.AsSpan(c * plane + y * w + x0, x1 - x0).Fill(FillValue);
                if (MaskFillValue is { } mv) foreach (var m in masks) m.AsSpan(y * w + x0, x1 - x0).Fill(mv);
            }
        }
        return sample with { Image = img, Masks = masks };
    }
}
