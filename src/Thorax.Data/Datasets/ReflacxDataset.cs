using System.Globalization;
using Thorax.Data.Gaze;
using Thorax.Data.IO;

namespace Thorax.Data.Datasets;

/// <summary>
/// REFLACX: <c>metadata.csv</c> (id, dicom_id, image_size_x, image_size_y, split, label columns) and
/// <c>main_data/&lt;id&gt;/fixations.csv</c>; images found as <c>&lt;imageFolder&gt;/&lt;dicom_id&gt;.{png,jpg,jpeg,dcm}</c>.
/// Label vector = every metadata column other than the identifiers, sizes and split whose values are numeric or
/// blank (blank = NaN; REFLACX certainty levels are kept as numbers). Gaze map per <see cref="GazeMaps.Reflacx"/>
/// at native size (duration-weighted, sigma 1 degree, sum-normalised), then area-resized to the output size.
/// </summary>
public sealed class ReflacxDataset : ImageDataset
{
    private static readonly string[] NonLabel = ["id", "dicom_id", "subject_id", "study_id", "image_size_x", "image_size_y", "split", "image", "path"];
    private readonly List<Row> _rows = [];
    private readonly string[] _labelNames;
    private readonly string _mainData, _imageFolder;

    /// <summary>Reads metadata.csv of <paramref name="reflacxFolder"/>.</summary>
    /// <param name="reflacxFolder">Folder with metadata.csv and main_data/.</param>
    /// <param name="imageFolder">Folder of images named by dicom_id.</param>
    /// <param name="options">Decoding options.</param>
    /// <exception cref="DataFormatException">Malformed metadata (file, line, column).</exception>
    public ReflacxDataset(string reflacxFolder, string imageFolder, DatasetOptions? options = null) : base(options)
    {
        string meta = Path.Combine(reflacxFolder, "metadata.csv");
        var csv = CsvTable.Read(meta);
        int id = csv.Require("id"), dicom = csv.Require("dicom_id"), sx = csv.Require("image_size_x"), sy = csv.Require("image_size_y");
        int split = csv.IndexOf("split");
        var labelCols = Enumerable.Range(0, csv.Header.Count)
            .Where(c => !NonLabel.Contains(csv.ColumnName(c), StringComparer.OrdinalIgnoreCase))
            .Where(c => csv.Records.All(r => CsvTable.Field(r, c).Trim() is var v && (v.Length == 0 || double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _))))
            .ToArray();
        _labelNames = labelCols.Select(csv.ColumnName).ToArray();
        foreach (var r in csv.Records)
        {
            if (!int.TryParse(CsvTable.Field(r, sx).Trim(), out int w) || w < 1) throw csv.Error(r, sx, "image_size_x is not a positive integer");
            if (!int.TryParse(CsvTable.Field(r, sy).Trim(), out int h) || h < 1) throw csv.Error(r, sy, "image_size_y is not a positive integer");
            var labels = labelCols.Select(c => CsvTable.Field(r, c).Trim() is { Length: > 0 } v
                ? float.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture) : float.NaN).ToArray();
            _rows.Add(new Row(CsvTable.Field(r, id).Trim(), CsvTable.Field(r, dicom).Trim(), w, h,
                split < 0 ? null : CsvTable.Field(r, split).Trim(), labels));
        }
        _mainData = Path.Combine(reflacxFolder, "main_data");
        _imageFolder = imageFolder;
    }

    /// <inheritdoc />
    public override int Count => _rows.Count;

    /// <inheritdoc />
    public override IReadOnlyList<string> LabelNames => _labelNames;

    /// <summary>The REFLACX case id (e.g. P102R108387) of sample <paramref name="index"/>; <see cref="IdOf"/> is the dicom_id.</summary>
    public string CaseIdOf(int index) => _rows[index].CaseId;

    /// <inheritdoc />
    public override string IdOf(int index) => _rows[index].DicomId;

    /// <inheritdoc />
    public override float[] LabelsOf(int index) => (float[])_rows[index].Labels.Clone();

    /// <inheritdoc />
    /// <exception cref="FileNotFoundException">No image file for the dicom_id, or no fixations.csv for the case.</exception>
    public override Sample Get(int index)
    {
        CheckIndex(index);
        var row = _rows[index];
        string path = ImageFiles.Find(_imageFolder, row.DicomId)
            ?? throw new FileNotFoundException($"no image for dicom_id {row.DicomId} in {_imageFolder}");
        var image = LoadImage(path);
        var fixations = ReflacxGaze.ReadFixations(Path.Combine(_mainData, row.CaseId, "fixations.csv"));
        var map = GazeMaps.Reflacx(fixations, row.Width, row.Height);
        var meta = new Dictionary<string, string> { ["path"] = path, ["case_id"] = row.CaseId };
        if (row.Split is not null) meta["split"] = row.Split;
        return Build(row.DicomId, image, gaze: FitGaze(map, image), labels: LabelsOf(index), metadata: meta);
    }

    private sealed record Row(string CaseId, string DicomId, int Width, int Height, string? Split, float[] Labels);
}
