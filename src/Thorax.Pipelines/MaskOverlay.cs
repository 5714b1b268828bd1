using Thorax.Imaging;

namespace Thorax.Pipelines;

/// <summary>The one prediction-vs-truth overlay of every method's report: the grey image with truth-only pixels green,
/// prediction-only red and both yellow, each blended 45 % over the grey value.</summary>
public static class MaskOverlay
{
    /// <summary>RGB overlay of a [0,1] grey image (row-major, <paramref name="width"/> x <paramref name="height"/>).</summary>
    /// <param name="truth">Whether pixel i is in the true mask (null: no truth).</param>
    /// <param name="predicted">Whether pixel i is in the predicted mask.</param>
    public static Image<byte> Render(float[] image, int width, int height, Func<int, bool>? truth, Func<int, bool> predicted)
    {
        if (image.Length != width * height) throw new ArgumentException($"image has {image.Length} values, not {width}x{height}", nameof(image));
        var img = new Image<byte>(width, height, 3);
        var px = img.Pixels;
        for (var i = 0; i < width * height; i++)
        {
            var g = (byte)Math.Clamp(image[i] * 255f, 0, 255);
            var (r, gg, b) = (g, g, g);
            var t = truth is not null && truth(i);
            var p = predicted(i);
            if (t || p)
            {
                var (cr, cg, cb) = t && p ? (255, 220, 0) : t ? (0, 200, 0) : (230, 0, 0);
                r = (byte)(0.55 * g + 0.45 * cr);
                gg = (byte)(0.55 * g + 0.45 * cg);
                b = (byte)(0.55 * g + 0.45 * cb);
            }
            px[3 * i] = r;
            px[3 * i + 1] = gg;
            px[3 * i + 2] = b;
        }
        return img;
    }
}
