using Thorax.Data.Datasets;
using Thorax.Imaging;

namespace Thorax.Data.Augmentation;

/// <summary>Plumbing shared by the transforms: apply one spatial operation to every image plane, mask and gaze map.</summary>
internal static class SampleOps
{
    /// <summary>Applies <paramref name="image"/> to each channel plane and the gaze map (float) and <paramref name="mask"/>
    /// to each mask; all must return <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static Sample Spatial(Sample s, int width, int height, Func<Image<float>, Image<float>> image, Func<Image<byte>, Image<byte>> mask)
    {
        int plane = s.PlaneSize, outPlane = width * height;
        var pixels = new float[s.Channels * outPlane];
        for (int c = 0; c < s.Channels; c++)
        {
            var src = new Image<float>(s.Width, s.Height, 1, s.Image.AsSpan(c * plane, plane).ToArray());
            Check(image(src), width, height).Data.CopyTo(pixels, c * outPlane);
        }
        var masks = new byte[s.Masks.Count][];
        for (int k = 0; k < masks.Length; k++)
            masks[k] = Check(mask(new Image<byte>(s.Width, s.Height, 1, s.Masks[k])), width, height).Data;
        float[]? gaze = s.Gaze is null ? null : Check(image(new Image<float>(s.Width, s.Height, 1, s.Gaze)), width, height).Data;
        return s with { Image = pixels, Width = width, Height = height, Masks = masks, Gaze = gaze };
    }

    /// <summary>Maps every image value through <paramref name="f"/> (intensity transforms; masks and gaze unchanged).</summary>
    public static Sample MapImage(Sample s, Func<float, float> f)
    {
        var src = s.Image;
        var dst = new float[src.Length];
        for (int i = 0; i < dst.Length; i++) dst[i] = f(src[i]);
        return s with { Image = dst };
    }

    private static Image<T> Check<T>(Image<T> img, int width, int height) where T : unmanaged =>
        img.Width == width && img.Height == height && img.Channels == 1
            ? img
            : throw new InvalidOperationException($"spatial op returned {img.Width}x{img.Height}x{img.Channels}, expected {width}x{height}x1");

    /// <summary>Uniform in [low, high) (numpy <c>uniform</c>).</summary>
    public static double Uniform(Random r, double low, double high) => low + (high - low) * r.NextDouble();
}
