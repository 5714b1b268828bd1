using Thorax.Imaging;
using Thorax.Imaging.Ops;
using Thorax.Pipelines.Classification;

namespace Thorax.Pipelines.Pneumothorax;

/// <summary>One image through the cascade.</summary>
/// <param name="Id">Image id (file stem).</param>
/// <param name="Width">Full-resolution width (the mask's).</param>
/// <param name="Height">Full-resolution height.</param>
/// <param name="Probability">Classifier probability of pneumothorax (null without a classifier).</param>
/// <param name="Positive">The final decision: a non-empty mask.</param>
/// <param name="Mask">0/1 mask at full resolution, row-major.</param>
/// <param name="MaskPixels">Foreground pixels of <paramref name="Mask"/>.</param>
/// <param name="RemovedComponents">Components the small-region eliminator removed.</param>
public sealed record PtxPrediction(string Id, int Width, int Height, double? Probability, bool Positive, byte[] Mask, int MaskPixels, int RemovedComponents);

/// <summary>
/// Țimbuș et al.'s cascade: a classifier decides whether an image has a pneumothorax; only then the segmenter's
/// (flip-TTA) probabilities are up-sampled to full resolution, thresholded and cleaned of small regions. Both runs must
/// have been trained at the same input size.
/// </summary>
public sealed class PtxCascade : IDisposable
{
    private PtxCascade(ClassifierModel? classifier, PtxSegmenterModel segmenter)
    {
        Classifier = classifier;
        Segmenter = segmenter;
    }

    /// <summary>The classifier, or null (segmenter alone).</summary>
    public ClassifierModel? Classifier { get; }

    /// <summary>The segmenter.</summary>
    public PtxSegmenterModel Segmenter { get; }

    /// <summary>Input size of both networks.</summary>
    public int Size => Segmenter.Size;

    /// <summary>Loads a classifier run (optional) and a segmenter run onto <paramref name="device"/> (default CPU).</summary>
    /// <exception cref="InvalidOperationException">The two were trained at different sizes (both named).</exception>
    public static PtxCascade Open(string? classifierRun, string segmenterRun, string variant = "window", TorchSharp.torch.Device? device = null)
    {
        var seg = PtxSegmenterModel.Load(segmenterRun, variant, device);
        ClassifierModel? cls = null;
        try
        {
            if (classifierRun is not null)
            {
                cls = ClassifierModel.Load(classifierRun, device);
                if (cls.Size != seg.Size)
                    throw new InvalidOperationException($"the classifier run {classifierRun} was trained at {cls.Size} px but the segmenter run {segmenterRun} " +
                        $"at {seg.Size} px; the cascade feeds one resized image to both, so train them at the same --size");
                if (cls.Label != "pneumothorax")
                    throw new InvalidOperationException($"the classifier run {classifierRun} was trained for '{cls.Label}', not pneumothorax");
            }
            return new PtxCascade(cls, seg);
        }
        catch
        {
            cls?.Dispose();
            seg.Dispose();
            throw;
        }
    }

    /// <summary>A grey [0, 1] image resized (bilinear) to the networks' input size.</summary>
    public static float[] ToModelSize(Image<float> image, int size) =>
        image.Width == size && image.Height == size ? image.Data : Resampling.Resize(image, size, size, Interpolation.Linear).Data;

    /// <summary>Classifier probabilities (null without a classifier) and segmenter probabilities at model size.</summary>
    public (double[]? Probabilities, float[][] PixelProbabilities) Infer(IReadOnlyList<float[]> images, bool flipTta = true) =>
        (Classifier?.Predict(images), Segmenter.Predict(images, flipTta));

    /// <summary>Runs the cascade on full-resolution grey images in [0, 1].</summary>
    public IReadOnlyList<PtxPrediction> Predict(IReadOnlyList<(string Id, Image<float> Image)> images, PtxPostprocessOptions options, bool flipTta = true)
    {
        options.Validate();
        var small = images.Select(i => ToModelSize(i.Image, Size)).ToList();
        var (probs, maps) = Infer(small, flipTta);
        var result = new List<PtxPrediction>(images.Count);
        for (var i = 0; i < images.Count; i++)
        {
            var (id, img) = images[i];
            var (mask, removed) = PtxPostprocess.Decide(probs?[i], maps[i], Size, img.Width, img.Height, options);
            var pixels = 0;
            foreach (var v in mask) pixels += v;
            result.Add(new PtxPrediction(id, img.Width, img.Height, probs?[i], pixels > 0, mask, pixels, removed));
        }
        return result;
    }

    /// <summary>An RGB overlay: the grey image with the mask tinted red and its border drawn in yellow.</summary>
    public static Image<byte> Overlay(Image<float> grey, byte[] mask)
    {
        int w = grey.Width, h = grey.Height;
        var rgb = new Image<byte>(w, h, 3);
        var d = rgb.Data;
        var g = grey.Data;
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                var i = y * w + x;
                var v = (byte)Math.Clamp((int)MathF.Round(g[i] * 255f), 0, 255);
                byte r = v, gg = v, b = v;
                if (mask[i] != 0)
                {
                    var edge = x == 0 || y == 0 || x == w - 1 || y == h - 1 || mask[i - 1] == 0 || mask[i + 1] == 0 || mask[i - w] == 0 || mask[i + w] == 0;
                    if (edge) (r, gg, b) = ((byte)255, (byte)220, (byte)0);
                    else (r, gg, b) = ((byte)Math.Min(255, v / 2 + 128), (byte)(v / 2), (byte)(v / 2));
                }
                d[3 * i] = r;
                d[3 * i + 1] = gg;
                d[3 * i + 2] = b;
            }
        return rgb;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Classifier?.Dispose();
        Segmenter.Dispose();
    }
}
