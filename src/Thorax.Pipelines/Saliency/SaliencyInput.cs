using Thorax.Imaging;

namespace Thorax.Pipelines.Saliency;

/// <summary>
/// The input geometry CXRGazeLearn feeds its final model (seed-specs 2.4, <c>Data/hzhu_data_raw.py process</c>):
/// with downsample D, the target canvas is H = (int(3056/D/32)+1)·32·D by W = (int(2544/D/32)+1)·32·D (3200 x 2560 for
/// D = 10); the image is zero-padded centrally to it (left = int((W−w)/2), the remainder on the right, the same
/// vertically; a negative pad crops, as F.pad does, when one side is larger; an image larger on both sides is refused), subsampled by strided slicing [0:H+1:D, 0:W+1:D] (nearest, no
/// anti-aliasing) and divided by its maximum. D = 10 gives 320 x 256 (H x W). An image already at the output size is
/// only divided by its maximum.
/// </summary>
public static class SaliencyInput
{
    /// <summary>The reference's downsample for the final model (320 x 256).</summary>
    public const int ReferenceDownsample = 10;

    /// <summary>Canvas height and width before subsampling for downsample <paramref name="d"/>.</summary>
    public static (int Height, int Width) Canvas(int d)
    {
        if (d < 1) throw new ArgumentOutOfRangeException(nameof(d));
        return (((int)(3056.0 / d / 32) + 1) * 32 * d, ((int)(2544.0 / d / 32) + 1) * 32 * d);
    }

    /// <summary>The network input (H/D x W/D, one channel, values divided by the maximum) for a grey image.</summary>
    /// <param name="image">A one-channel image (any scale; only its maximum matters).</param>
    /// <param name="source">The file the image came from, named in errors.</param>
    /// <param name="d">Downsample.</param>
    public static Image<float> Prepare(Image<float> image, string source, int d = ReferenceDownsample)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Channels != 1) throw new ArgumentException($"{source}: {image.Channels} channels, a grey image expected");
        var (ch, cw) = Canvas(d);
        int oh = ch / d, ow = cw / d;
        Image<float> output;
        if (image.Height == oh && image.Width == ow)
        {
            output = new Image<float>(ow, oh, 1, image.Pixels.ToArray());
        }
        else if (image.Height > ch && image.Width > cw)
        {
            // The reference pads only when one side fits ("if shape[0]<=H or shape[1]<=W"); otherwise its strided slice
            // gives H/D+1 x W/D+1, which its network cannot take.
            throw new InvalidDataException($"{source}: {image.Width}x{image.Height} is larger than the reference canvas {cw}x{ch} on both sides; the reference's preparation leaves such images unpadded and yields {ow + 1}x{oh + 1}, which the network cannot take");
        }
        else
        {
            // C# integer division truncates toward zero, as Python's int() of the float quotient.
            int top = (int)((ch - image.Height) / 2.0), left = (int)((cw - image.Width) / 2.0);
            output = new Image<float>(ow, oh);
            var src = image.Pixels;
            var dst = output.Pixels;
            for (var i = 0; i < oh; i++)
            {
                var y = i * d - top;
                if (y < 0 || y >= image.Height) continue;
                for (var j = 0; j < ow; j++)
                {
                    var x = j * d - left;
                    if (x >= 0 && x < image.Width) dst[i * ow + j] = src[y * image.Width + x];
                }
            }
        }
        var max = float.NegativeInfinity;
        foreach (var v in output.Pixels) max = Math.Max(max, v);
        if (!(max > 0) || !float.IsFinite(max))
            throw new InvalidDataException($"{source}: the prepared image's maximum is {max}; it cannot be scaled to [0, 1] (an all-black image?)");
        var p = output.Pixels;
        for (var k = 0; k < p.Length; k++) p[k] /= max;
        return output;
    }
}
