using System.Globalization;
using Thorax.Imaging;
using Thorax.Imaging.Ops;

namespace Thorax.Pipelines.Pneumothorax;

/// <summary>The first place's triplet threshold scheme (seed-specs 4.8): an image is empty unless more than
/// <paramref name="AreaAt1024"/> pixels (at 1024 x 1024; scaled by area at other sizes) exceed <paramref name="Top"/>;
/// otherwise its mask is the pixels above <paramref name="Bottom"/>.</summary>
public sealed record TripletThresholds(double Top, int AreaAt1024, double Bottom)
{
    /// <summary>Parses <c>top,area,bottom</c>, e.g. <c>0.75,2000,0.3</c>.</summary>
    /// <exception cref="ArgumentException">Not three numbers, or out of range.</exception>
    public static TripletThresholds Parse(string text)
    {
        var parts = text.Split(',');
        if (parts.Length != 3
            || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var top)
            || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var area)
            || !double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var bottom))
            throw new ArgumentException($"--triplet needs top,area,bottom (e.g. 0.75,2000,0.3), got '{text}'");
        if (top is <= 0 or >= 1 || bottom is <= 0 or >= 1 || area < 0)
            throw new ArgumentException($"--triplet: top and bottom must be in (0, 1) and area >= 0, got '{text}'");
        return new TripletThresholds(top, area, bottom);
    }

    /// <summary>The thresholds as <c>(top, area, bottom)</c>, invariant culture.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"({Top}, {AreaAt1024}, {Bottom})");
}

/// <summary>
/// How the cascade turns probabilities into a mask: the classifier's decision threshold, the pixel threshold and the
/// small-region eliminator (connected components below <see cref="MinAreaAt1024"/> pixels at 1024 x 1024, scaled by
/// area at other sizes, removed at full resolution), or the triplet scheme instead of both.
/// </summary>
public sealed record PtxPostprocessOptions
{
    /// <summary>Classifier probability at or above which an image goes to the segmenter. Default 0.5.</summary>
    public double ClassifierThreshold { get; init; } = 0.5;

    /// <summary>Pixel probability above which a pixel is pneumothorax. Default 0.5.</summary>
    public double PixelThreshold { get; init; } = 0.5;

    /// <summary>Smallest kept component in pixels at 1024 x 1024. Default 3500 (Țimbuș et al.'s best, Table 2).</summary>
    public int MinAreaAt1024 { get; init; } = 3500;

    /// <summary>The triplet scheme in place of the pixel threshold and the eliminator; null = off.</summary>
    public TripletThresholds? Triplet { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting.</summary>
    public void Validate()
    {
        if (ClassifierThreshold is < 0 or > 1) throw new ArgumentException($"classifier threshold must be in [0, 1], got {ClassifierThreshold}");
        if (PixelThreshold is <= 0 or >= 1) throw new ArgumentException($"pixel threshold must be in (0, 1), got {PixelThreshold}");
        if (MinAreaAt1024 < 0) throw new ArgumentException($"min area must be 0 or more, got {MinAreaAt1024}");
    }
}

/// <summary>Post-processing of segmenter probabilities: up-sampling, thresholds, the small-region eliminator.</summary>
public static class PtxPostprocess
{
    /// <summary>A pixel count given at 1024 x 1024 scaled by area to <paramref name="width"/> x <paramref name="height"/>
    /// (3500 at 1024 is 875 at 512 and about 219 at 256).</summary>
    public static int ScaledArea(int areaAt1024, int width, int height) =>
        (int)Math.Round(areaAt1024 * ((double)width * height) / (1024.0 * 1024.0), MidpointRounding.AwayFromZero);

    /// <summary>Probabilities [size*size] resized (bilinear) to <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static float[] Upsample(float[] probabilities, int size, int width, int height)
    {
        if (probabilities.Length != size * size) throw new ArgumentException($"expected {size}x{size} probabilities, got {probabilities.Length}");
        if (width == size && height == size) return probabilities;
        return Resampling.Resize(new Image<float>(size, size, 1, probabilities), width, height, Interpolation.Linear).Data;
    }

    /// <summary>1 where the probability exceeds <paramref name="threshold"/>.</summary>
    public static byte[] Binarize(ReadOnlySpan<float> probabilities, double threshold)
    {
        var m = new byte[probabilities.Length];
        var t = (float)threshold;
        for (var i = 0; i < m.Length; i++) m[i] = probabilities[i] > t ? (byte)1 : (byte)0;
        return m;
    }

    /// <summary>
    /// Removes the 8-connected components of <paramref name="mask"/> (0/1, row-major) smaller than
    /// <paramref name="minArea"/> pixels, in place; returns how many were removed.
    /// </summary>
    public static int RemoveSmallComponents(byte[] mask, int width, int height, int minArea)
    {
        if (mask.Length != width * height) throw new ArgumentException($"mask has {mask.Length} pixels, expected {width}x{height}");
        if (minArea <= 1) return 0;
        var labels = ConnectedComponents.Label(new Image<byte>(width, height, 1, mask));
        var drop = new bool[labels.Count];
        var removed = 0;
        for (var l = 1; l < labels.Count; l++)
            if (labels.Stats[l].Area < minArea)
            {
                drop[l] = true;
                removed++;
            }
        if (removed == 0) return 0;
        var lab = labels.Labels.Data;
        for (var i = 0; i < mask.Length; i++)
            if (drop[lab[i]]) mask[i] = 0;
        return removed;
    }

    /// <summary>The triplet scheme on full-resolution probabilities.</summary>
    public static byte[] Triplet(ReadOnlySpan<float> probabilities, int width, int height, TripletThresholds t)
    {
        var area = ScaledArea(t.AreaAt1024, width, height);
        var top = (float)t.Top;
        var count = 0;
        foreach (var p in probabilities)
            if (p > top) count++;
        return count < area ? new byte[probabilities.Length] : Binarize(probabilities, t.Bottom);
    }

    /// <summary>
    /// The final mask of one image at <paramref name="width"/> x <paramref name="height"/>: empty when the classifier
    /// probability is below its threshold (no classifier: always segmented), else the triplet scheme or the pixel
    /// threshold plus the small-region eliminator, on the up-sampled probabilities.
    /// </summary>
    public static (byte[] Mask, int RemovedComponents) Decide(double? classifierProbability, float[] probabilities, int size, int width, int height,
        PtxPostprocessOptions options)
    {
        if (classifierProbability is { } c && c < options.ClassifierThreshold) return (new byte[width * height], 0);
        var full = Upsample(probabilities, size, width, height);
        if (options.Triplet is { } t) return (Triplet(full, width, height, t), 0);
        var mask = Binarize(full, options.PixelThreshold);
        var removed = RemoveSmallComponents(mask, width, height, ScaledArea(options.MinAreaAt1024, width, height));
        return (mask, removed);
    }
}
