using System.Globalization;
using Thorax.Data;
using Thorax.Data.Gaze;
using Thorax.Data.IO;
using Thorax.Imaging;

namespace Thorax.Pipelines.Saliency;

/// <summary>One prepared study: the network input and the gaze target at the geometry's output size.</summary>
/// <param name="Id">dicom_id.</param>
/// <param name="Split">train, validation or test.</param>
/// <param name="Label">0 normal, 1 heart failure (CHF), 2 pneumonia.</param>
/// <param name="Image">[H x W] row-major, divided by its maximum.</param>
/// <param name="Gaze">[H x W] row-major gaze map, min-max scaled to [0, 1] (the reference's saved <c>gaze</c>).</param>
/// <param name="GazeSamples">Gaze samples (rows) that fell inside the image.</param>
/// <param name="ImagePath">The image file.</param>
public sealed record SaliencyStudy(string Id, string Split, int Label, float[] Image, float[] Gaze, int GazeSamples, string ImagePath);

/// <summary>How studies are assigned to train / validation / test.</summary>
public enum SaliencySplitMode
{
    /// <summary>The master sheet's <c>split</c> column when it has one (synthetic studies: grouped by background), else <see cref="Reference"/>.</summary>
    Auto,

    /// <summary>The reference's class-stratified counter split (seed-specs 2.4 <c>save_all</c>): per class a running
    /// counter c from 1; c % 10 ∈ {0, 1} → test, 2 → validation, else train (70/10/20 in each class), over the master
    /// sheet's order (the reference first permutes with torch's <c>random_split</c>, seed 0, which is not reproduced).</summary>
    Reference,
}

/// <summary>
/// EGD-CXR-style studies for the joint diagnosis + gaze saliency method, prepared exactly as the reference's
/// <c>Data/hzhu_data_raw.py</c> (seed-specs 2.4) at a <see cref="SaliencyGeometry"/>: labels from the master sheet's
/// one-hot Normal / CHF / pneumonia (any other combination is an error, as the reference's assert), gaze maps from the
/// gaze table's <c>X_ORIGINAL</c>/<c>Y_ORIGINAL</c> counted per pixel and blurred (<see cref="SaliencyGeometry.GazeTarget"/>).
/// </summary>
/// <remarks>
/// Layouts: a <c>thorax synth</c> folder (<c>egd-cxr/master_sheet.csv</c>, <c>egd-cxr/fixations.csv</c>,
/// <c>images/&lt;id&gt;.png</c>) or an EGD-CXR folder (<c>master_sheet.csv</c> + <c>eye_gaze.csv</c> or
/// <c>fixations.csv</c>) with images at <c>&lt;imageRoot&gt;/&lt;master_sheet.path&gt;</c>.
/// Gaze samples: the reference counts every raw 60 Hz sample of <c>eye_gaze.csv</c> once. When only
/// <c>fixations.csv</c> exists (the synthetic studies), each fixation counts as the raw samples it spans,
/// max(1, round(60·FPOGD)), at its point (deviation, stated: fixations are what the studies carry). The reference's int8
/// cast of the counts (wrapping at 128 samples on one pixel) is not reproduced.
/// </remarks>
public sealed class SaliencyStudies
{
    /// <summary>Class names in the reference's order.</summary>
    public static IReadOnlyList<string> ClassNames => SaliencyPredictor.ClassNames;

    private SaliencyStudies(string root, SaliencyGeometry geometry, IReadOnlyList<SaliencyStudy> studies, string gazeFile, string note)
    {
        Root = root;
        Geometry = geometry;
        Studies = studies;
        GazeFile = gazeFile;
        GazeNote = note;
    }

    /// <summary>The dataset folder.</summary>
    public string Root { get; }

    /// <summary>The geometry the studies were prepared at.</summary>
    public SaliencyGeometry Geometry { get; }

    /// <summary>Every study, in master-sheet order.</summary>
    public IReadOnlyList<SaliencyStudy> Studies { get; }

    /// <summary>The gaze table read.</summary>
    public string GazeFile { get; }

    /// <summary>How gaze samples were counted.</summary>
    public string GazeNote { get; }

    /// <summary>The studies of one split.</summary>
    public IReadOnlyList<SaliencyStudy> Split(string name) => Studies.Where(s => s.Split == name).ToList();

    /// <summary>
    /// Reads and prepares the studies of <paramref name="root"/>.
    /// </summary>
    /// <param name="root">A synth folder or an EGD-CXR folder.</param>
    /// <param name="geometry">The geometry; null derives it from the first image (<see cref="SaliencyGeometry.ForImageSize"/>
    /// with <paramref name="stride"/>), and then every image must have that image's size.</param>
    /// <param name="stride">Stride for a derived geometry.</param>
    /// <param name="splitMode">How studies are split.</param>
    /// <param name="imageRoot">Root of the master sheet's <c>path</c> column (default <c>root/mimic-cxr</c>) when there is no <c>images/</c> folder.</param>
    /// <param name="limit">Read at most this many studies (0 = all).</param>
    /// <param name="progress">(studies prepared, total).</param>
    /// <exception cref="FileNotFoundException">The master sheet, gaze table or an image is missing.</exception>
    /// <exception cref="DataFormatException">A column is missing, a label is not one of the three classes, a study has no gaze
    /// samples, or an image's size differs from the dataset's (file, line and field named).</exception>
    public static SaliencyStudies Load(string root, SaliencyGeometry? geometry = null, int stride = 1, SaliencySplitMode splitMode = SaliencySplitMode.Auto,
        string? imageRoot = null, int limit = 0, Action<int, int>? progress = null, (int Width, int Height)? imageSize = null)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"dataset folder not found: {root}");
        var egd = File.Exists(Path.Combine(root, "egd-cxr", "master_sheet.csv")) ? Path.Combine(root, "egd-cxr") : root;
        var master = Path.Combine(egd, "master_sheet.csv");
        if (!File.Exists(master))
            throw new FileNotFoundException($"{root}: no egd-cxr/master_sheet.csv or master_sheet.csv (a thorax synth folder or an EGD-CXR folder expected)", master);
        var raw = Path.Combine(egd, "eye_gaze.csv");
        var fix = Path.Combine(egd, "fixations.csv");
        var gazeFile = File.Exists(raw) ? raw : File.Exists(fix) ? fix : throw new FileNotFoundException($"{egd}: neither eye_gaze.csv nor fixations.csv", raw);
        var rawSamples = gazeFile == raw;
        var gaze = ReadGaze(gazeFile, rawSamples);

        var sheet = CsvTable.Read(master);
        var idCol = sheet.Require("dicom_id", "DICOM_ID");
        var pathCol = sheet.IndexOf("path");
        var splitCol = sheet.IndexOf("split");
        int[] classCols = [sheet.Require("Normal"), sheet.Require("CHF"), sheet.Require("pneumonia")];
        var imagesDir = Path.Combine(root, "images");
        var mimic = imageRoot ?? Path.Combine(root, "mimic-cxr");
        var rows = new List<(string Id, int Label, string Path, string? Split, long Line)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in sheet.Records)
        {
            var id = CsvTable.Field(r, idCol).Trim();
            if (id.Length == 0) throw sheet.Error(r, idCol, "empty dicom_id");
            if (!seen.Add(id)) throw sheet.Error(r, idCol, $"dicom_id '{id}' appears twice");
            var label = -1;
            var ones = 0;
            for (var c = 0; c < 3; c++)
            {
                var v = CsvTable.Field(r, classCols[c]).Trim();
                if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || (d != 0 && d != 1))
                    throw sheet.Error(r, classCols[c], $"'{v}' is not 0 or 1 (the one-hot Normal / CHF / pneumonia labels)");
                if (d == 1) { label = c; ones++; }
            }
            if (ones != 1)
                throw sheet.Error(r, classCols[0], $"study {id} has {ones} of Normal/CHF/pneumonia set; the reference takes exactly one (normal, heart failure or pneumonia)");
            var png = Path.Combine(imagesDir, id + ".png");
            string path;
            if (File.Exists(png)) path = png;
            else
            {
                var rel = pathCol < 0 ? "" : CsvTable.Field(r, pathCol).Trim();
                if (rel.Length == 0) throw sheet.Error(r, pathCol < 0 ? idCol : pathCol, $"no image for {id}: {png} is missing and the sheet gives no path");
                path = Path.Combine(mimic, rel.Replace('/', Path.DirectorySeparatorChar));
                if (!File.Exists(path)) throw new FileNotFoundException($"{master} line {r.Line}: image of {id} not found at {path} (and not at {png})", path);
            }
            var split = splitCol < 0 ? null : CsvTable.Field(r, splitCol).Trim();
            if (split is not null && split is not ("train" or "validation" or "test"))
                throw sheet.Error(r, splitCol, $"split '{split}' is not train, validation or test");
            rows.Add((id, label, path, split, r.Line));
            if (limit > 0 && rows.Count >= limit) break;
        }
        if (rows.Count == 0) throw new DataFormatException("the master sheet lists no study", master, 1, "dicom_id");
        var matched = rows.Count(r => gaze.ContainsKey(r.Id));
        if (matched == 0)
            throw new DataFormatException($"none of the {rows.Count} studies of {master} has gaze samples: the DICOM_ID values of the gaze file do not match the sheet's dicom_id (first gaze id '{gaze.Keys.FirstOrDefault()}', first study '{rows[0].Id}')", gazeFile, null, "DICOM_ID");
        foreach (var r in rows)
            if (!gaze.ContainsKey(r.Id))
                throw new DataFormatException($"study {r.Id} (master sheet line {r.Line}) has no gaze samples in this file", gazeFile, null, "DICOM_ID");

        var splits = splitMode == SaliencySplitMode.Auto && rows.All(r => !string.IsNullOrEmpty(r.Split))
            ? rows.Select(r => r.Split!).ToArray()
            : ReferenceSplit(rows.Select(r => r.Label).ToArray());

        // The geometry: from the first image unless given; every image must then share that size.
        Image<float> Read(string path) => XrayImage.ReadUnit(path, SaliencyPredictor.DicomReading);
        var first = Read(rows[0].Path);
        var fixedSize = geometry is null || imageSize is not null;
        var (w0, h0) = imageSize ?? (first.Width, first.Height);
        geometry ??= SaliencyGeometry.ForImageSize(w0, h0, stride);
        var g = geometry;
        var studies = new SaliencyStudy[rows.Count];
        var done = 0;
        try
        {
        Parallel.For(0, rows.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) }, i =>
        {
            var r = rows[i];
            var img = i == 0 ? first : Read(r.Path);
            if (img.Channels != 1) throw new DataFormatException($"{img.Channels} channels; a grey image expected", r.Path);
            if (fixedSize && (img.Width != w0 || img.Height != h0))
                throw new DataFormatException(imageSize is null
                    ? $"image is {img.Width}x{img.Height} but the dataset's images are {w0}x{h0} (first: {rows[0].Path}); every study must have one size for the derived geometry (or use the reference geometry for MIMIC-sized images)"
                    : $"image is {img.Width}x{img.Height} but the model was trained on {w0}x{h0} images (its geometry pads that size to {g.CanvasWidth}x{g.CanvasHeight} and subsamples by {g.Stride})", r.Path, null, "size");
            if (img.Height > g.CanvasHeight && img.Width > g.CanvasWidth)
                throw new DataFormatException($"image is {img.Width}x{img.Height}, larger on both sides than the {g.CanvasWidth}x{g.CanvasHeight} canvas", r.Path, null, "size");
            var x = g.PrepareImage(img.Pixels, img.Width, img.Height, r.Path);
            var (map, inside) = g.GazeTarget(gaze[r.Id], img.Width, img.Height, $"{gazeFile}: study {r.Id}");
            studies[i] = new SaliencyStudy(r.Id, splits[i], r.Label, x, map, inside, r.Path);
            var n = Interlocked.Increment(ref done);
            if (progress is not null && (n % 16 == 0 || n == rows.Count)) progress(n, rows.Count);
        });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // The first study's error, as a sequential read would report it.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            throw;
        }
        var note = rawSamples
            ? "eye_gaze.csv: one count per raw sample (the reference)"
            : "fixations.csv: each fixation counted as max(1, round(60*FPOGD)) raw samples at its point";
        return new SaliencyStudies(Path.GetFullPath(root), g, studies, gazeFile, note);
    }

    /// <summary>The reference's class-stratified counter split over the given order (seed-specs 2.4).</summary>
    public static string[] ReferenceSplit(IReadOnlyList<int> labels)
    {
        var counter = new Dictionary<int, int>();
        var result = new string[labels.Count];
        for (var i = 0; i < labels.Count; i++)
        {
            var c = counter[labels[i]] = counter.GetValueOrDefault(labels[i]) + 1;
            var s = c % 10;
            result[i] = s <= 1 ? "test" : s == 2 ? "validation" : "train";
        }
        return result;
    }

    /// <summary>
    /// Reads the gaze table: <c>DICOM_ID</c>, <c>X_ORIGINAL</c>, <c>Y_ORIGINAL</c> (the reference's columns) and, for
    /// fixations, <c>FPOGD</c>. Ids of length other than 44 (calibration frames) are dropped as the reference does.
    /// </summary>
    /// <exception cref="DataFormatException">A column is missing or a value is not a number (file, line and column named).</exception>
    public static Dictionary<string, List<(double X, double Y, double Weight)>> ReadGaze(string path, bool rawSamples)
    {
        var csv = CsvTable.Read(path);
        var id = csv.Require("DICOM_ID");
        var xo = csv.Require("X_ORIGINAL");
        var yo = csv.Require("Y_ORIGINAL");
        var dur = rawSamples ? -1 : csv.Require("FPOGD");
        var result = new Dictionary<string, List<(double, double, double)>>(StringComparer.Ordinal);
        double Num(CsvRecord r, int col)
        {
            var v = CsvTable.Field(r, col).Trim();
            if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || double.IsNaN(d))
                throw csv.Error(r, col, $"'{v}' is not a number");
            return d;
        }
        foreach (var r in csv.Records)
        {
            var d = CsvTable.Field(r, id).Trim();
            if (d.Length != EgdCxrGazeRecord.DicomIdLength) continue;
            var w = 1.0;
            if (dur >= 0)
            {
                var s = Num(r, dur);
                if (s < 0) throw csv.Error(r, dur, $"negative fixation duration {s}");
                w = Math.Max(1, Math.Round(60 * s, MidpointRounding.AwayFromZero));
            }
            if (!result.TryGetValue(d, out var list)) result[d] = list = [];
            list.Add((Num(r, xo), Num(r, yo), w));
        }
        return result;
    }
}
