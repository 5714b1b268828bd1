using System.Globalization;
using Thorax.Data;
using Thorax.Data.Gaze;
using Thorax.Data.IO;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Models.GdVig;

namespace Thorax.Pipelines.GdVig;

/// <summary>One study of a GD-ViG dataset.</summary>
/// <param name="Id">Study id (file stem in the reference layout).</param>
/// <param name="Split">train, validation or test.</param>
/// <param name="Label">Class index (SIIM: 0 no pneumothorax, 1 pneumothorax; EGD-CXR: 0 Normal, 1 CHF, 2 pneumonia).</param>
/// <param name="ShortcutCue">Whether the study carries the planted shortcut cue (synth folders with <c>shortcut_cue</c>); null when unknown.</param>
/// <param name="ImagePath">The image file.</param>
/// <param name="GazePath">The gaze PNG (reference layout), or null when the gaze comes from fixations.</param>
public sealed record GdVigStudy(string Id, string Split, int Label, bool? ShortcutCue, string ImagePath, string? GazePath);

/// <summary>A study's pixels: the 8-bit grey image and the 8-bit gaze map on the same grid (null when the study has no gaze).</summary>
/// <param name="Width">Columns.</param>
/// <param name="Height">Rows.</param>
/// <param name="Image">8-bit grey pixels, row-major.</param>
/// <param name="Gaze">8-bit gaze map (0..255, the reference's gaze PNG; divided by 255 for the loss), or null.</param>
public sealed record GdVigPixels(int Width, int Height, byte[] Image, byte[]? Gaze);

/// <summary>What to do with a training study that has no gaze (no fixation on the image, no gaze file, or an all-zero map).</summary>
public enum MissingGazePolicy
{
    /// <summary>Refuse to train, naming the study and the file (default: the reference has a gaze map for every image).</summary>
    Error,

    /// <summary>Leave such training studies out (counted and reported).</summary>
    Skip,
}

/// <summary>
/// A dataset for GD-ViG training and evaluation, from one of two layouts:
/// <list type="bullet">
/// <item>the authors' layout (seed-specs 1.6): <c>ROOT/{train,test}/{img,gaze}/&lt;name&gt;.png</c> with labels from
/// <c>siim_pneumothorax.csv</c> (SIIM: <c>class_id</c> 14 = 0, anything else 1, first row per <c>image_id</c>) or
/// <c>mimic_part.csv</c> (EGD-CXR: <c>class_name</c> Normal/CHF/Pneumonia = 0/1/2) in ROOT or its parent, or
/// <c>--labels</c>; the gaze PNG is 8-bit grey on the image's grid. The reference pairs <c>img/</c> and <c>gaze/</c>
/// by sorted index (so the names must match one to one); here they are paired by name, and a missing partner is
/// named. No validation split (the reference has none).</item>
/// <item>a <c>thorax synth</c> folder: <c>studies.csv</c> (SIIM: the <c>pneumothorax</c> column; EGD-CXR: <c>class</c>
/// Normal/CHF/pneumonia), <c>splits/*.txt</c>, <c>images/&lt;id&gt;.png</c> and the gaze built from
/// <c>egd-cxr/fixations.csv</c> (X_ORIGINAL, Y_ORIGINAL) as EGD-CXR's official heat maps are (one count per fixation,
/// Gaussian filter, min-max to [0, 1]) and quantised to 8 bits like the reference's gaze PNGs. The official sigma is
/// 150 px on MIMIC-CXR images of about 3056 rows; here sigma = <see cref="GdVigDataOptions.GazeSigmaFraction"/> of the
/// image height (default 150/3056).</item>
/// </list>
/// </summary>
public sealed class GdVigDataset
{
    /// <summary>The official EGD-CXR heat-map sigma (150 px) over a typical MIMIC-CXR height (3056 rows).</summary>
    public const double DefaultGazeSigmaFraction = 150.0 / 3056.0;

    private readonly Dictionary<string, GazePoint[]>? _fixations;
    private readonly string? _fixationsPath;
    private readonly double _sigmaFraction;

    private GdVigDataset(string root, GdVigVariant variant, string layout, IReadOnlyList<GdVigStudy> studies,
        Dictionary<string, GazePoint[]>? fixations, string? fixationsPath, double sigmaFraction)
    {
        Root = root;
        Variant = variant;
        Layout = layout;
        Studies = studies;
        _fixations = fixations;
        _fixationsPath = fixationsPath;
        _sigmaFraction = sigmaFraction;
    }

    /// <summary>The dataset folder.</summary>
    public string Root { get; }

    /// <summary>The variant whose labels were read.</summary>
    public GdVigVariant Variant { get; }

    /// <summary><c>reference</c> or <c>synth</c>.</summary>
    public string Layout { get; }

    /// <summary>Every study, in split order (train, validation, test).</summary>
    public IReadOnlyList<GdVigStudy> Studies { get; }

    /// <summary>Class names of <paramref name="variant"/> in label order.</summary>
    public static IReadOnlyList<string> ClassNames(GdVigVariant variant) =>
        variant == GdVigVariant.EgdCxr ? ["Normal", "CHF", "Pneumonia"] : ["no pneumothorax", "pneumothorax"];

    /// <summary>The studies of one split.</summary>
    public IReadOnlyList<GdVigStudy> Split(string name) => Studies.Where(s => s.Split == name).ToList();

    /// <summary>Reads a dataset folder (the layout is detected: <c>studies.csv</c> = synth, <c>train/img</c> = the authors').</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="DataFormatException">A table, label or pairing is wrong (file, line and column named).</exception>
    public static GdVigDataset Load(string root, GdVigVariant variant, GdVigDataOptions? options = null)
    {
        options ??= new GdVigDataOptions();
        if (!(options.GazeSigmaFraction > 0 && options.GazeSigmaFraction < 1))
            throw new ArgumentException($"gaze sigma fraction must be in (0, 1), got {options.GazeSigmaFraction}");
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"dataset folder not found: {root}");
        root = Path.GetFullPath(root);
        if (File.Exists(Path.Combine(root, "studies.csv"))) return LoadSynth(root, variant, options);
        if (Directory.Exists(Path.Combine(root, "train", "img")) || Directory.Exists(Path.Combine(root, "test", "img")))
            return LoadReference(root, variant, options);
        throw new DataFormatException("neither a thorax synth folder (studies.csv) nor the GD-ViG layout (train/img, train/gaze, test/img, test/gaze)", root);
    }

    private static GdVigDataset LoadSynth(string root, GdVigVariant variant, GdVigDataOptions o)
    {
        var csvPath = Path.Combine(root, "studies.csv");
        var table = CsvTable.Read(csvPath);
        var idCol = table.Require("id");
        var labelCol = variant == GdVigVariant.SiimAcr ? table.Require("pneumothorax") : table.Require("class");
        var cueCol = table.IndexOf("shortcut_cue");
        var rows = new Dictionary<string, (int Label, bool? Cue)>(StringComparer.Ordinal);
        foreach (var r in table.Records)
        {
            var id = CsvTable.Field(r, idCol).Trim();
            var v = CsvTable.Field(r, labelCol).Trim();
            var label = variant == GdVigVariant.SiimAcr
                ? v switch { "0" => 0, "1" => 1, _ => throw table.Error(r, labelCol, $"pneumothorax needs 0 or 1, found '{v}'") }
                : EgdClass(v) is { } c ? c : throw table.Error(r, labelCol, $"class '{v}' is not Normal, CHF or pneumonia");
            var cue = cueCol < 0 ? "" : CsvTable.Field(r, cueCol).Trim();
            if (!rows.TryAdd(id, (label, cue switch { "1" => true, "0" => false, _ => null })))
                throw table.Error(r, idCol, $"id '{id}' appears twice");
        }
        var studies = new List<GdVigStudy>();
        foreach (var split in new[] { "train", "validation", "test" })
        {
            var file = Path.Combine(root, "splits", split + ".txt");
            if (!File.Exists(file)) throw new FileNotFoundException($"split file {file} not found (a thorax synth folder has splits/train.txt, validation.txt, test.txt)", file);
            var lines = File.ReadAllLines(file);
            for (var n = 0; n < lines.Length; n++)
            {
                var id = lines[n].Trim();
                if (id.Length == 0) continue;
                if (!rows.TryGetValue(id, out var row)) throw new DataFormatException($"study '{id}' is not in {csvPath}", file, n + 1);
                studies.Add(new GdVigStudy(id, split, row.Label, row.Cue, Path.Combine(root, "images", id + ".png"), null));
            }
        }
        var fixPath = Path.Combine(root, "egd-cxr", "fixations.csv");
        Dictionary<string, GazePoint[]> fixations;
        if (File.Exists(fixPath))
            fixations = EgdCxrGaze.Read(fixPath).GroupBy(g => g.DicomId)
                .ToDictionary(g => g.Key, g => g.Select(x => x.ToImagePoint()).ToArray(), StringComparer.Ordinal);
        else fixations = new Dictionary<string, GazePoint[]>(StringComparer.Ordinal); // every study then lacks gaze (reported per policy)
        return new GdVigDataset(root, variant, "synth", studies, fixations, fixPath, o.GazeSigmaFraction);
    }

    private static int? EgdClass(string v) => v.ToLowerInvariant() switch
    {
        "normal" => 0,
        "chf" => 1,
        "pneumonia" => 2,
        _ => null,
    };

    private static GdVigDataset LoadReference(string root, GdVigVariant variant, GdVigDataOptions o)
    {
        var labelsPath = o.LabelsCsv ?? FindLabels(root, variant);
        var table = CsvTable.Read(labelsPath);
        var idCol = table.Require("image_id");
        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        if (variant == GdVigVariant.SiimAcr)
        {
            var classCol = table.Require("class_id");
            foreach (var r in table.Records)
            {
                var id = CsvTable.Field(r, idCol).Trim();
                var c = CsvTable.Field(r, classCol).Trim();
                if (!int.TryParse(c, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ci)) throw table.Error(r, classCol, $"class_id '{c}' is not an integer");
                labels.TryAdd(id, ci == 14 ? 0 : 1); // the reference uses the first row per image
            }
        }
        else
        {
            var classCol = table.Require("class_name");
            foreach (var r in table.Records)
            {
                var id = Path.GetFileNameWithoutExtension(CsvTable.Field(r, idCol).Trim());
                var c = CsvTable.Field(r, classCol).Trim();
                labels.TryAdd(id, EgdClass(c) ?? throw table.Error(r, classCol, $"class_name '{c}' is not Normal, CHF or Pneumonia (the reference maps it to -1, which its loss cannot take)"));
            }
        }
        var studies = new List<GdVigStudy>();
        foreach (var split in new[] { "train", "test" })
        {
            var imgDir = Path.Combine(root, split, "img");
            if (!Directory.Exists(imgDir)) continue;
            var gazeDir = Path.Combine(root, split, "gaze");
            var gazeByStem = Directory.Exists(gazeDir)
                ? Directory.EnumerateFiles(gazeDir).Where(IsImageFile).ToDictionary(f => Path.GetFileNameWithoutExtension(f), StringComparer.Ordinal)
                : new Dictionary<string, string>(StringComparer.Ordinal);
            var images = Directory.EnumerateFiles(imgDir).Where(IsImageFile).Order(StringComparer.Ordinal).ToList();
            foreach (var img in images)
            {
                var stem = Path.GetFileNameWithoutExtension(img);
                if (!labels.TryGetValue(stem, out var label))
                    throw new DataFormatException($"image {img} has no row in {labelsPath} (the reference looks the label up by file stem = image_id)", labelsPath, null, "image_id");
                studies.Add(new GdVigStudy(stem, split, label, null, img, gazeByStem.GetValueOrDefault(stem)));
            }
            var stems = images.Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.Ordinal);
            var orphan = gazeByStem.Keys.Where(k => !stems.Contains(k)).Order(StringComparer.Ordinal).FirstOrDefault();
            if (orphan is not null)
                throw new DataFormatException($"gaze map {gazeByStem[orphan]} has no image of the same name in {imgDir} (the reference pairs img/ and gaze/ by sorted index, so every name must match)", gazeByStem[orphan]);
        }
        if (studies.Count == 0) throw new DataFormatException("no images in train/img or test/img", root);
        return new GdVigDataset(root, variant, "reference", studies, null, null, o.GazeSigmaFraction);
    }

    private static bool IsImageFile(string f) => Path.GetExtension(f).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg" or ".dcm";

    private static string FindLabels(string root, GdVigVariant variant)
    {
        var name = variant == GdVigVariant.SiimAcr ? "siim_pneumothorax.csv" : "mimic_part.csv";
        foreach (var dir in new[] { root, Path.GetDirectoryName(root) ?? root })
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"{name} not found in {root} or its parent; pass the labels table with --labels", name);
    }

    /// <summary>
    /// Reads a study's image (8-bit grey) and gaze map. A gaze PNG must be 8-bit grey and the image's size; a study
    /// without any fixation on the image, without a gaze file, or whose map is all zero has <see cref="GdVigPixels.Gaze"/> null.
    /// </summary>
    /// <exception cref="ImageFormatException">A colour or 16-bit image, or a gaze map of another size than its image (both files named).</exception>
    public GdVigPixels Read(GdVigStudy study)
    {
        var img = GdVigPredictor.ReadGrey8(study.ImagePath);
        byte[]? gaze = null;
        if (study.GazePath is { } gp)
        {
            var g = GdVigPredictor.ReadGrey8(gp);
            if (g.Width != img.Width || g.Height != img.Height)
                throw new ImageFormatException($"a gaze map of {g.Width}x{g.Height} for the {img.Width}x{img.Height} image {study.ImagePath} (the reference augments them together, so the sizes must match)", gp, field: "size");
            gaze = g.Pixels.ToArray();
        }
        else if (_fixations is not null && _fixations.TryGetValue(study.Id, out var pts))
        {
            var map = GazeMaps.EgdCxr(pts, img.Width, img.Height, _sigmaFraction * img.Height, GazeMapNormalization.MinMax);
            if (map.PointsUsed > 0)
            {
                gaze = new byte[map.Data.Length];
                for (var i = 0; i < gaze.Length; i++) gaze[i] = (byte)Math.Clamp(MathF.Round(map.Data[i] * 255f), 0f, 255f);
            }
        }
        if (gaze is not null && Array.TrueForAll(gaze, v => v == 0)) gaze = null;
        return new GdVigPixels(img.Width, img.Height, img.Pixels.ToArray(), gaze);
    }

    /// <summary>Whether the folder has the region masks of <see cref="Regions"/> (a synth folder with
    /// <c>masks/pneumothorax</c> and <c>masks/chest-tube</c>; older synth folders lack the latter).</summary>
    public bool HasRegionMasks => Layout == "synth" && Directory.Exists(Path.Combine(Root, "masks", "pneumothorax")) && Directory.Exists(Path.Combine(Root, "masks", "chest-tube"));

    /// <summary>
    /// The study's pneumothorax and chest-tube regions at <paramref name="size"/> x <paramref name="size"/> as soft masks
    /// (the 0/255 masks resized by pixel-area averaging, then /255), each null when empty; null when the folder has no
    /// region masks (<see cref="HasRegionMasks"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">A mask of the study is missing (file named).</exception>
    /// <exception cref="ImageFormatException">A mask is not 8-bit grey or not the image's size (file named).</exception>
    public GdVigRegions? Regions(GdVigStudy study, int size)
    {
        if (!HasRegionMasks) return null;
        float[]? Load(string folder)
        {
            var path = Path.Combine(Root, "masks", folder, study.Id + ".png");
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: the {folder} mask of study '{study.Id}' is missing", path);
            var m = GdVigPredictor.ReadGrey8(path);
            if (!m.Pixels.ContainsAnyExcept((byte)0)) return null;
            var r = m.Width == size && m.Height == size ? m : Thorax.Imaging.Ops.Resampling.Resize(m, size, size, Thorax.Imaging.Ops.Interpolation.Area);
            var o = new float[size * size];
            var px = r.Pixels;
            for (var i = 0; i < o.Length; i++) o[i] = px[i] / 255f;
            return o;
        }
        return new GdVigRegions(Load("pneumothorax"), Load("chest-tube"));
    }

    /// <summary>Where a study's gaze should come from, for messages.</summary>
    public string GazeSource(GdVigStudy study) =>
        study.GazePath ?? (Layout == "reference" ? Path.Combine(Root, study.Split, "gaze", study.Id + ".png") : $"{_fixationsPath} (DICOM_ID {study.Id})");
}

/// <summary>Options for reading a GD-ViG dataset.</summary>
public sealed record GdVigDataOptions
{
    /// <summary>Labels table for the authors' layout (default: siim_pneumothorax.csv / mimic_part.csv in the folder or its parent).</summary>
    public string? LabelsCsv { get; init; }

    /// <summary>Gaze Gaussian sigma as a fraction of the image height for fixation-built maps (synth folders). Default 150/3056.</summary>
    public double GazeSigmaFraction { get; init; } = GdVigDataset.DefaultGazeSigmaFraction;
}
