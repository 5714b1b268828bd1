using Thorax.Data.Gaze;

namespace Thorax.Data.Datasets;

/// <summary>
/// EGD-CXR (eye-gaze on MIMIC-CXR): <c>master_sheet.csv</c> + <c>fixations.csv</c> (or <c>eye_gaze.csv</c>) in one
/// folder, images at <c>&lt;imageRoot&gt;/&lt;master_sheet.path&gt;</c> (the synthetic layout writes
/// <c>egd-cxr/</c> and <c>mimic-cxr/</c>). Label vector one-hot over <c>[Normal, CHF, pneumonia]</c> (all NaN when
/// none is set); gaze map per <see cref="GazeMaps.EgdCxr"/> (one count per fixation, Gaussian sigma, min-max).
/// Metadata: path, patient_id, study_id and any <c>split</c> column.
/// </summary>
/// <remarks>Deviation: the heat map is rasterised directly on the output grid (points and sigma scaled by
/// output/native size) instead of at native resolution and then resized; for sigma = 150 px this differs by
/// less than the resampling error and is about (native/output)^3 times cheaper.</remarks>
public sealed class EgdCxrDataset : ImageDataset
{
    private static readonly string[] Names = ["Normal", "CHF", "pneumonia"];
    private readonly IReadOnlyList<EgdCxrMasterRow> _rows;
    private readonly Dictionary<string, GazePoint[]> _points;
    private readonly Dictionary<string, string> _splits;
    private readonly string _imageRoot;
    private readonly double _sigma;

    /// <summary>Reads the tables of <paramref name="egdFolder"/>.</summary>
    /// <param name="egdFolder">Folder with master_sheet.csv and fixations.csv (or eye_gaze.csv).</param>
    /// <param name="imageRoot">Root the master sheet's <c>path</c> column is relative to (MIMIC-CXR 2.0.0 root).</param>
    /// <param name="options">Decoding options.</param>
    /// <param name="gazeSigma">Gaussian sigma in native image pixels (default 150, the official heat maps).</param>
    /// <exception cref="DataFormatException">Malformed tables or a master-sheet row without a path.</exception>
    /// <exception cref="FileNotFoundException">A table is missing.</exception>
    public EgdCxrDataset(string egdFolder, string imageRoot, DatasetOptions? options = null, double gazeSigma = 150) : base(options)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(gazeSigma);
        string master = Path.Combine(egdFolder, "master_sheet.csv");
        string fixations = Path.Combine(egdFolder, "fixations.csv");
        if (!File.Exists(fixations)) fixations = Path.Combine(egdFolder, "eye_gaze.csv");
        if (!File.Exists(master)) throw new FileNotFoundException($"EGD-CXR master sheet not found: {master}", master);
        if (!File.Exists(fixations)) throw new FileNotFoundException($"EGD-CXR fixations.csv / eye_gaze.csv not found in {egdFolder}", fixations);
        _rows = EgdCxrGaze.ReadMasterSheet(master);
        foreach (var r in _rows)
            if (string.IsNullOrEmpty(r.Path)) throw new DataFormatException("master sheet row has no image path", master, r.Line, "path");
        var ids = _rows.Select(r => r.DicomId).ToHashSet(StringComparer.Ordinal); // calibration frames are not in the sheet
        _points = EgdCxrGaze.Read(fixations).Where(g => ids.Contains(g.DicomId))
            .GroupBy(g => g.DicomId).ToDictionary(g => g.Key, g => g.Select(x => x.ToImagePoint()).ToArray(), StringComparer.Ordinal);
        var csv = IO.CsvTable.Read(master);
        int split = csv.IndexOf("split"), id = csv.Require("dicom_id", "DICOM_ID");
        _splits = split < 0 ? [] : csv.Records.ToDictionary(r => IO.CsvTable.Field(r, id).Trim(), r => IO.CsvTable.Field(r, split).Trim(), StringComparer.Ordinal);
        _imageRoot = imageRoot;
        _sigma = gazeSigma;
    }

    /// <inheritdoc />
    public override int Count => _rows.Count;

    /// <inheritdoc />
    public override IReadOnlyList<string> LabelNames => Names;

    /// <inheritdoc />
    public override string IdOf(int index) => _rows[index].DicomId;

    /// <inheritdoc />
    public override float[] LabelsOf(int index)
    {
        string? label = _rows[index].Label;
        if (label is null) return [float.NaN, float.NaN, float.NaN];
        return Names.Select(n => n == label ? 1f : 0f).ToArray();
    }

    /// <summary>Image path of sample <paramref name="index"/>.</summary>
    public string ImagePathOf(int index) => Path.Combine(_imageRoot, _rows[index].Path!.Replace('/', Path.DirectorySeparatorChar));

    /// <inheritdoc />
    public override Sample Get(int index)
    {
        CheckIndex(index);
        var row = _rows[index];
        string path = ImagePathOf(index);
        var image = LoadImage(path);
        var (w, h) = NativeSize(path, image);
        double sx = (double)image.Width / w, sy = (double)image.Height / h;
        var pts = _points.TryGetValue(row.DicomId, out var p) ? p : [];
        var scaled = pts.Select(g => g.X < 0 || g.Y < 0 ? g : g with { X = g.X * sx, Y = g.Y * sy });
        var gaze = GazeMaps.EgdCxr(scaled, image.Width, image.Height, _sigma * 0.5 * (sx + sy));
        var meta = new Dictionary<string, string> { ["path"] = path, ["fixations"] = pts.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (row.PatientId is not null) meta["patient_id"] = row.PatientId;
        if (row.StudyId is not null) meta["study_id"] = row.StudyId;
        if (_splits.TryGetValue(row.DicomId, out var s)) meta["split"] = s;
        return Build(row.DicomId, image, gaze: gaze.Data, labels: LabelsOf(index), metadata: meta);
    }
}
