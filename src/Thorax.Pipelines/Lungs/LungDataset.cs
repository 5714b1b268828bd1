using Thorax.Data.Annotations;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Imaging.Ops;

namespace Thorax.Pipelines.Lungs;

/// <summary>
/// Loads lung image/mask pairs (a folder with <c>pairs.csv</c>, as ../shared/data/lungs: images/ and masks/ PNGs) and
/// preprocesses them as CXLSeg does: CLAHE (clip 2.0, 8x8 tiles) on the 8-bit image, resize to the model size
/// (bilinear for the image, nearest for the mask), image scaled to [0, 1], mask thresholded at half its maximum.
/// </summary>
public static class LungDataset
{
    /// <summary>Loads and preprocesses every pair listed in <c>DIR/pairs.csv</c>.</summary>
    /// <exception cref="FileNotFoundException">pairs.csv or a listed file is missing (the message names it).</exception>
    public static IReadOnlyList<LungSample> LoadPairs(string dir, int size, IProgress<int>? progress = null)
    {
        var csv = Path.Combine(dir, "pairs.csv");
        if (!File.Exists(csv)) throw new FileNotFoundException($"{csv}: no pairs.csv (expected columns image,mask,source,...)", csv);
        var pairs = LungPair.Read(csv);
        var samples = new LungSample[pairs.Count];
        var done = 0;
        Parallel.For(0, pairs.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var p = pairs[i];
            var imagePath = Path.Combine(dir, p.ImagePath);
            var maskPath = Path.Combine(dir, p.MaskPath);
            samples[i] = Preprocess(Path.GetFileNameWithoutExtension(imagePath), ReadGrey(imagePath), ReadGrey(maskPath), size, p.Source, imagePath, maskPath);
            progress?.Report(Interlocked.Increment(ref done));
        });
        return samples;
    }

    /// <summary>
    /// Loads pairs from an image folder and a mask folder holding files with the same names (PNG/JPEG), e.g. a synthetic
    /// dataset's <c>images/</c> and <c>masks/lungs/</c>. Images without a mask are an error naming the file.
    /// </summary>
    public static IReadOnlyList<LungSample> LoadFolders(string imagesDir, string masksDir, int size, string source, IProgress<int>? progress = null)
    {
        if (!Directory.Exists(imagesDir)) throw new DirectoryNotFoundException($"{imagesDir}: no such image folder");
        if (!Directory.Exists(masksDir)) throw new DirectoryNotFoundException($"{masksDir}: no such mask folder");
        var images = Directory.GetFiles(imagesDir).Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase))
            .OrderBy(f => f, StringComparer.Ordinal).ToArray();
        if (images.Length == 0) throw new FileNotFoundException($"{imagesDir}: no PNG or JPEG images");
        var samples = new LungSample[images.Length];
        var done = 0;
        Parallel.For(0, images.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var mask = Path.Combine(masksDir, Path.GetFileName(images[i]));
            if (!File.Exists(mask)) throw new FileNotFoundException($"{mask}: no mask for image {images[i]}", mask);
            samples[i] = Preprocess(Path.GetFileNameWithoutExtension(images[i]), ReadGrey(images[i]), ReadGrey(mask), size, source, images[i], mask);
            progress?.Report(Interlocked.Increment(ref done));
        });
        return samples;
    }

    /// <summary>Reads a PNG or JPEG as 8-bit grey (16-bit PNGs are scaled down, colour converted).</summary>
    public static Image<byte> ReadGrey(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file listed in pairs.csv does not exist", path);
        var ext = Path.GetExtension(path).ToLowerInvariant();
        var img = ext is ".jpg" or ".jpeg" ? Jpeg.Read(path) : Png.Read(path).ToByte();
        return img.Channels == 1 ? img : PixelConvert.ToGrey(img);
    }

    /// <summary>CLAHE, resize and scaling of one pair; checks that image and mask have the same size.</summary>
    public static LungSample Preprocess(string id, Image<byte> image, Image<byte> mask, int size, string source, string imagePath = "", string maskPath = "")
    {
        if (image.Width != mask.Width || image.Height != mask.Height)
            throw new InvalidDataException($"{maskPath}: mask is {mask.Width}x{mask.Height} but its image {imagePath} is {image.Width}x{image.Height}");
        var img = PreprocessImage(image, size);
        var m = mask.Width == size && mask.Height == size ? mask : Resampling.Resize(mask, size, size, Interpolation.Nearest);
        byte max = 0;
        foreach (var v in m.Pixels) if (v > max) max = v;
        var threshold = Math.Max(1, max / 2);
        var msk = new byte[size * size];
        var ms = m.Pixels;
        for (var i = 0; i < msk.Length; i++) msk[i] = ms[i] > threshold ? (byte)1 : (byte)0;
        return new LungSample(id, img, msk, size, source);
    }

    /// <summary>
    /// The model input of one 8-bit grey X-ray (the image half of <see cref="Preprocess"/>): CLAHE (clip 2.0, 8x8
    /// tiles), bilinear resize to <paramref name="size"/> x <paramref name="size"/> (skipped at that size), and
    /// v / 255 as float, row-major. Equals <c>cv2.resize(clahe.apply(img), (size, size), INTER_LINEAR) / 255</c>
    /// in float32 (up to the resize's documented 1-LSB linear differences).
    /// </summary>
    public static float[] PreprocessImage(Image<byte> image, int size)
    {
        if (image.Width == size && image.Height == size)
        {
            var unit = new float[size * size];
            PixelConvert.ToUnit(Histogram.Clahe(image, 2.0, 8, 8).Pixels, unit);
            return unit;
        }
        return Histogram.ClaheResizeToUnit(image, 2.0, 8, 8, size, size, Interpolation.Linear).Data;
    }
}
