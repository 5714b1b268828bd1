using Thorax.Data.Augmentation;
using Thorax.Data.Datasets;
using Thorax.Imaging;
using Thorax.Imaging.Ops;
using Thorax.Models.GdVig;
using static TorchSharp.torch;

namespace Thorax.Pipelines.GdVig;

/// <summary>
/// The reference's input pipeline (<c>dataset_e2e.py</c>, seed-specs 1.7) on a <see cref="GdVigPixels"/>: the gaze map
/// travels as the albumentations <c>mask</c> (8-bit, nearest-neighbour in every spatial step, never normalised) and
/// is divided by 255 at the end; the image is normalised with mean 0.456, std 0.224 and then, as the reference does,
/// divided by 255 once more.
/// </summary>
/// <remarks>Deviation: the training augmentations run on [0, 1] floats (Thorax.Data's transforms) instead of on uint8,
/// so intermediate results are not rounded to 8 bits. The test transform resizes the 8-bit image like cv2
/// (<see cref="GdVigPredictor.Preprocess"/>).</remarks>
public static class GdVigInputs
{
    /// <summary>The reference's training augmentation for <paramref name="variant"/> at <paramref name="size"/>, ending in
    /// the normalisation. EGD-CXR's Resize(256) before its RandomResizedCrop(224) scales with the size (256 · size / 224).</summary>
    public static SampleTransform TrainTransform(GdVigVariant variant, int size)
    {
        if (variant == GdVigVariant.SiimAcr) return AugmentationPresets.GdVigSiimTrain(size);
        var pre = (int)Math.Round(256.0 * size / 224.0);
        return new Compose(
            new Rotate { Limit = 5, Probability = 0.5 },
            new Resize(pre, pre),
            new RandomResizedCrop(size, size),
            new HorizontalFlip { Probability = 0.5, ReportPolicy = FlipReportPolicy.Ignore },
            new ShiftScaleRotate { Probability = 0.5 },
            new RandomGamma { Probability = 0.5 },
            new RandomBrightnessContrast { BrightnessLimit = 0.2, ContrastLimit = 0, Probability = 0.5 },
            new Normalize([0.456], [0.224]) { OutputScale = 1.0 / 255 });
    }

    /// <summary>One training input: augmented image (normalised, [S*S]) and gaze in [0, 1] ([S*S], null when the study has none).</summary>
    public static (float[] Image, float[]? Gaze) Train(GdVigPixels p, SampleTransform transform, Random random, int size, string id)
    {
        var img = new float[p.Image.Length];
        for (var i = 0; i < img.Length; i++) img[i] = p.Image[i] / 255f;
        var sample = new Sample { Id = id, Image = img, Channels = 1, Height = p.Height, Width = p.Width, Masks = p.Gaze is null ? [] : [p.Gaze] };
        var s = transform.Apply(sample, random);
        if (s.Width != size || s.Height != size) s = Resize.To(s, size, size);
        return (s.Image, p.Gaze is null ? null : ToUnit(s.Masks[0]));
    }

    /// <summary>The test transform: cv2-linear resize of the 8-bit image to S, Normalize(.456, .224), /255; the gaze mask
    /// resized nearest and divided by 255.</summary>
    public static (float[] Image, float[]? Gaze) Test(GdVigPixels p, int size)
    {
        var grey = new Image<byte>(p.Width, p.Height, 1, p.Image);
        var resized = p.Width == size && p.Height == size ? grey : Resampling.Resize(grey, size, size, Interpolation.Linear);
        var mean = 0.456f * 255f;
        var denominator = 1f / (0.224f * 255f);
        var px = resized.Pixels;
        var v = new float[size * size];
        for (var i = 0; i < v.Length; i++) v[i] = (px[i] - mean) * denominator / 255f;
        float[]? gaze = null;
        if (p.Gaze is not null)
        {
            var g = new Image<byte>(p.Width, p.Height, 1, p.Gaze);
            var gr = p.Width == size && p.Height == size ? g : Resampling.Resize(g, size, size, Interpolation.Nearest);
            gaze = ToUnit(gr.Pixels.ToArray());
        }
        return (v, gaze);
    }

    /// <summary>The 8-bit image resized (cv2 linear) to <paramref name="size"/>, for figures.</summary>
    public static Image<byte> Thumbnail(GdVigPixels p, int size)
    {
        var grey = new Image<byte>(p.Width, p.Height, 1, p.Image);
        return p.Width == size && p.Height == size ? grey.Clone() : Resampling.Resize(grey, size, size, Interpolation.Linear);
    }

    /// <summary>Stacks [S*S] planes into [N, 1, S, S].</summary>
    public static Tensor Stack(IReadOnlyList<float[]> planes, int size)
    {
        var plane = size * size;
        var x = new float[planes.Count * plane];
        for (var b = 0; b < planes.Count; b++) planes[b].CopyTo(x, b * plane);
        return tensor(x, new long[] { planes.Count, 1, size, size });
    }

    private static float[] ToUnit(byte[] m)
    {
        var g = new float[m.Length];
        for (var i = 0; i < g.Length; i++) g[i] = m[i] / 255f;
        return g;
    }
}
