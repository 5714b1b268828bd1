using Thorax.Data;
using Thorax.Data.Datasets;
using Thorax.Imaging;
using Thorax.Imaging.Ops;
using Thorax.Pipelines.Classification;

namespace Thorax.Pipelines.Pneumothorax;

/// <summary>
/// The pneumothorax data of a study folder as <c>thorax synth</c> writes it: the classification view (studies.csv,
/// splits, images) plus the pneumothorax masks <c>masks/pneumothorax/{id}.png</c> (0 background, non-zero inside).
/// </summary>
public static class PtxData
{
    /// <summary>The study folder read for the <c>pneumothorax</c> label.</summary>
    public static ClassificationDataset Load(string root) => ClassificationDataset.Load(root, ClassificationLabel.Parse("pneumothorax"));

    /// <summary>Path of a study's pneumothorax mask.</summary>
    public static string MaskPath(ClassificationDataset dataset, string id) => Path.Combine(dataset.Root, "masks", "pneumothorax", id + ".png");

    /// <summary>
    /// A study's mask at its native size as 0/1 bytes. A negative study without a mask file is all zero; a positive one
    /// without it, or a mask whose size differs from the image, is an error naming the file.
    /// </summary>
    /// <exception cref="DataFormatException">The mask is missing for a positive study, its size differs from the image's,
    /// or the label says positive and the mask is empty.</exception>
    public static (int Width, int Height, byte[] Mask) NativeMask(ClassificationDataset dataset, ClassificationStudy study)
    {
        var path = MaskPath(dataset, study.Id);
        var (iw, ih) = ImageFiles.ReadSize(dataset.ImagePath(study.Id));
        if (!File.Exists(path))
        {
            if (study.Label == 1) throw new DataFormatException($"study '{study.Id}' is labelled pneumothorax but has no mask", path);
            return (iw, ih, new byte[iw * ih]);
        }
        var (w, h, data) = ImageFiles.ReadMask(path);
        if (w != iw || h != ih) throw new DataFormatException($"mask is {w}x{h} but the image {dataset.ImagePath(study.Id)} is {iw}x{ih}", path);
        return (w, h, data);
    }

    /// <summary>A 0/1 mask resized to <paramref name="size"/> squared (bilinear, then &gt; 0.5).</summary>
    public static byte[] ResizeMask(byte[] mask, int width, int height, int size)
    {
        if (width == size && height == size) return (byte[])mask.Clone();
        var f = new float[mask.Length];
        for (var i = 0; i < f.Length; i++) f[i] = mask[i];
        var r = Resampling.Resize(new Image<float>(width, height, 1, f), size, size, Interpolation.Linear).Data;
        var m = new byte[r.Length];
        for (var i = 0; i < r.Length; i++) m[i] = r[i] > 0.5f ? (byte)1 : (byte)0;
        return m;
    }

    /// <summary>Masks of <paramref name="studies"/> at <paramref name="size"/> (in parallel), keyed by id.</summary>
    public static Dictionary<string, byte[]> LoadMasks(ClassificationDataset dataset, IReadOnlyList<ClassificationStudy> studies, int size)
    {
        var arrays = new byte[studies.Count][];
        Parallel.For(0, studies.Count, i =>
        {
            var (w, h, m) = NativeMask(dataset, studies[i]);
            arrays[i] = ResizeMask(m, w, h, size);
        });
        var map = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < studies.Count; i++) map[studies[i].Id] = arrays[i];
        return map;
    }
}
