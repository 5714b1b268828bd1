using System.Globalization;
using Thorax.Data;
using Thorax.Data.Datasets;
using Thorax.Data.IO;
using Thorax.Dicom;
using Thorax.Imaging;
using Thorax.Imaging.Ops;

namespace Thorax.Synthetic;

/// <summary>One usable real background: a frontal chest X-ray and its lung mask.</summary>
/// <param name="Name">Name used in tables (the image's file name).</param>
/// <param name="ImagePath">Absolute image path (PNG, JPEG or DICOM).</param>
/// <param name="MaskPath">Absolute lung-mask path (non-zero = lung).</param>
/// <param name="Width">Image width in pixels.</param>
/// <param name="Height">Image height in pixels.</param>
public sealed record BackgroundImage(string Name, string ImagePath, string MaskPath, int Width, int Height);

/// <summary>A background that was not used, and why.</summary>
/// <param name="Path">The file the problem is in.</param>
/// <param name="Reason">What is wrong, in words.</param>
public sealed record SkippedBackground(string Path, string Reason);

/// <summary>Thrown when a background folder cannot be used at all (missing, no layout, no usable pair).</summary>
public sealed class BackgroundSetException(string message) : Exception(message);

/// <summary>
/// Real frontal chest X-rays with lung masks that <see cref="SynthOptions.BackgroundDirectory"/> inserts findings into.
/// A folder holds either <c>pairs.csv</c> (columns <c>image</c> and <c>mask</c>, paths relative to the CSV; other
/// columns ignored) or same-name files in <c>images/</c> and <c>masks/</c>. Every pair is checked: both files decode,
/// image and mask have the same size, and the mask holds two lungs (the two largest 8-connected components, each at
/// least <see cref="MinLungFraction"/> of the image, the smaller at least <see cref="MinLungRatio"/> of the larger,
/// one on each side of the midline between them), covering at most <see cref="MaxMaskFraction"/> of the image.
/// Pairs that fail are skipped and listed in <see cref="Skipped"/> with the file and the reason.
/// </summary>
public sealed class BackgroundSet
{
    /// <summary>Smallest lung component, as a fraction of the image area.</summary>
    public const double MinLungFraction = 0.01;

    /// <summary>Smallest ratio of the smaller lung's area to the larger lung's.</summary>
    public const double MinLungRatio = 0.25;

    /// <summary>Largest share of the image a lung mask may cover.</summary>
    public const double MaxMaskFraction = 0.8;

    private BackgroundSet(string directory, IReadOnlyList<BackgroundImage> usable, IReadOnlyList<SkippedBackground> skipped)
    {
        Directory = directory;
        Backgrounds = usable;
        Skipped = skipped;
    }

    /// <summary>Absolute folder.</summary>
    public string Directory { get; }

    /// <summary>Usable pairs, in the folder's order (pairs.csv rows, or file names sorted ordinally).</summary>
    public IReadOnlyList<BackgroundImage> Backgrounds { get; }

    /// <summary>Pairs that were skipped, with reasons.</summary>
    public IReadOnlyList<SkippedBackground> Skipped { get; }

    /// <summary>Finds and checks the pairs of <paramref name="directory"/>.</summary>
    /// <exception cref="BackgroundSetException">The folder is missing, has neither layout, or has no usable pair;
    /// the message names the folder and lists the first skipped pairs.</exception>
    /// <exception cref="DataFormatException">pairs.csv lacks the <c>image</c> or <c>mask</c> column (names the file).</exception>
    public static BackgroundSet Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string root = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(root))
            throw new BackgroundSetException($"background folder not found: {root}");
        var pairs = FindPairs(root, out var skipped);
        var usable = new List<BackgroundImage>(pairs.Count);
        foreach (var (name, img, mask) in pairs)
        {
            var problem = Check(img, mask, out int w, out int h);
            if (problem is null) usable.Add(new BackgroundImage(name, img, mask, w, h));
            else skipped.Add(problem);
        }
        if (usable.Count == 0)
            throw new BackgroundSetException($"no usable image/lung-mask pair in {root} ({skipped.Count} skipped)" +
                string.Concat(skipped.Take(5).Select(s => $"{Environment.NewLine}  {s.Path}: {s.Reason}")));
        return new BackgroundSet(root, usable, skipped);
    }

    private static List<(string Name, string Image, string Mask)> FindPairs(string root, out List<SkippedBackground> skipped)
    {
        skipped = [];
        var result = new List<(string, string, string)>();
        string csv = Path.Combine(root, "pairs.csv");
        if (File.Exists(csv))
        {
            var table = CsvTable.Read(csv);
            int img = table.Require("image"), mask = table.Require("mask");
            foreach (var r in table.Records)
            {
                string ip = CsvTable.Field(r, img).Trim(), mp = CsvTable.Field(r, mask).Trim();
                if (ip.Length == 0 || mp.Length == 0)
                {
                    skipped.Add(new SkippedBackground(csv, $"line {r.Line}: empty image or mask path"));
                    continue;
                }
                result.Add((Path.GetFileName(ip), Path.GetFullPath(Path.Combine(root, ip)), Path.GetFullPath(Path.Combine(root, mp))));
            }
            return result;
        }
        string images = Path.Combine(root, "images"), masks = Path.Combine(root, "masks");
        if (!System.IO.Directory.Exists(images) || !System.IO.Directory.Exists(masks))
            throw new BackgroundSetException($"{root} has neither pairs.csv (columns image, mask) nor images/ and masks/ folders");
        var files = System.IO.Directory.EnumerateFiles(images)
            .Where(f => ImageFiles.Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToList();
        foreach (var f in files)
        {
            string name = Path.GetFileName(f);
            string m = Path.Combine(masks, name);
            if (!File.Exists(m))
            {
                var stem = Path.GetFileNameWithoutExtension(name);
                m = ImageFiles.Extensions.Select(e => Path.Combine(masks, stem + e)).FirstOrDefault(File.Exists) ?? m;
            }
            if (!File.Exists(m)) { skipped.Add(new SkippedBackground(f, $"no mask named {name} in {masks}")); continue; }
            result.Add((name, f, m));
        }
        return result;
    }

    private static SkippedBackground? Check(string imagePath, string maskPath, out int width, out int height)
    {
        width = height = 0;
        GreyImage image, mask;
        try { image = ImageFiles.ReadGrey(imagePath); }
        catch (Exception e) when (e is IOException or ImageFormatException or DicomException or ImagingException or DataFormatException or UnauthorizedAccessException)
        { return new SkippedBackground(imagePath, "image does not decode: " + e.Message); }
        try { mask = ImageFiles.ReadGrey(maskPath); }
        catch (Exception e) when (e is IOException or ImageFormatException or DicomException or ImagingException or DataFormatException or UnauthorizedAccessException)
        { return new SkippedBackground(maskPath, "mask does not decode: " + e.Message); }
        if (mask.Width != image.Width || mask.Height != image.Height)
            return new SkippedBackground(maskPath, $"mask is {mask.Width}x{mask.Height} but its image {Path.GetFileName(imagePath)} is {image.Width}x{image.Height}");
        if (image.Width < 32 || image.Height < 32)
            return new SkippedBackground(imagePath, $"image is {image.Width}x{image.Height}; at least 32x32 is needed");
        var problem = CheckLungs(Binarize(mask), out _, out _);
        if (problem is not null) return new SkippedBackground(maskPath, problem);
        width = image.Width;
        height = image.Height;
        return null;
    }

    /// <summary>A background as the generator sees it before inserting anything: padded to a square, resized to
    /// <paramref name="size"/> and quantised exactly as studies are (8-bit image), with its lung mask (0/255), so an
    /// unmodified background can be compared with the studies made from it.</summary>
    /// <exception cref="BackgroundSetException">The mask is not two lungs at this size (names the file).</exception>
    public static (Image<byte> Image, Image<byte> Lungs) Render(BackgroundImage background, int size)
    {
        ArgumentNullException.ThrowIfNull(background);
        var chest = Internal.RealChest.Prepare(background, size);
        var img12 = new ushort[size * size];
        var img8 = new byte[size * size];
        Internal.Quantize.To12And8(chest.Image, img12, img8);
        var lungs = new byte[size * size];
        for (int i = 0; i < lungs.Length; i++) lungs[i] = (byte)(chest.RightLung[i] | chest.LeftLung[i]);
        return (new Image<byte>(size, size, 1, img8), new Image<byte>(size, size, 1, lungs));
    }

    /// <summary>Lung mask from a grey mask image: 255 where the value is above one half, else 0.</summary>
    internal static Image<byte> Binarize(GreyImage mask)
    {
        var m = new Image<byte>(mask.Width, mask.Height);
        for (int i = 0; i < m.Data.Length; i++) m.Data[i] = mask.Pixels[i] > 0.5f ? (byte)255 : (byte)0;
        return m;
    }

    /// <summary>Splits a binary lung mask into the patient's right lung (image left) and left lung (image right);
    /// returns null, or why the mask is not two lungs.</summary>
    internal static string? CheckLungs(Image<byte> mask, out Image<byte> right, out Image<byte> left)
    {
        right = left = null!;
        int w = mask.Width, h = mask.Height;
        long total = 0;
        foreach (byte b in mask.Data) if (b != 0) total++;
        if (total == 0) return "lung mask is empty";
        double frac = (double)total / (w * (long)h);
        if (frac > MaxMaskFraction)
            return string.Create(CultureInfo.InvariantCulture, $"lung mask covers {frac:P0} of the image (at most {MaxMaskFraction:P0}); not a lung mask");
        var cc = ConnectedComponents.Label(mask, Connectivity.Eight);
        var order = Enumerable.Range(1, cc.Count - 1).OrderByDescending(i => cc.Stats[i].Area).ThenBy(i => i).ToList();
        double min = MinLungFraction * w * h;
        if (order.Count < 2 || cc.Stats[order[1]].Area < min || cc.Stats[order[1]].Area < MinLungRatio * cc.Stats[order[0]].Area)
            return "lung mask holds one lung, not two (second-largest region " +
                   (order.Count < 2 ? "absent" : string.Create(CultureInfo.InvariantCulture, $"{cc.Stats[order[1]].Area} px vs {cc.Stats[order[0]].Area} px")) + ")";
        if (cc.Stats[order[0]].Area < min) return "lung regions are too small";
        var a = cc.Stats[order[0]];
        var b2 = cc.Stats[order[1]];
        var (ri, li) = a.CentroidX < b2.CentroidX ? (order[0], order[1]) : (order[1], order[0]);
        var rs = cc.Stats[ri];
        var ls = cc.Stats[li];
        if (rs.CentroidX >= ls.Left || ls.CentroidX <= rs.Left + rs.Width - 1)
            return "the two lung regions are not side by side";
        right = new Image<byte>(w, h);
        left = new Image<byte>(w, h);
        var labels = cc.Labels.Data;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] == ri) right.Data[i] = 255;
            else if (labels[i] == li) left.Data[i] = 255;
        }
        return null;
    }
}
