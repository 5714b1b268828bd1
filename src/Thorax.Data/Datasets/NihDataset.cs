using Thorax.Data.Annotations;
using Thorax.Data.IO;

namespace Thorax.Data.Datasets;

/// <summary>
/// NIH ChestX-ray14: a folder of PNGs plus <c>BBox_List_2017.csv</c> (and optionally <c>Data_Entry_2017.csv</c>).
/// Label vector over the 14 NIH findings (<see cref="Findings"/>): from Data_Entry's pipe-separated
/// <c>Finding Labels</c> when given (1/0), else from the box list (1 where the image has a box of that finding,
/// NaN = unknown otherwise). One mask per sample: the union of the image's boxes (or of
/// of one finding's boxes only), filled rectangles in native pixels.
/// </summary>
public sealed class NihDataset : ImageDataset
{
    /// <summary>The 14 ChestX-ray14 finding names, in the usual order.</summary>
    public static IReadOnlyList<string> Findings { get; } =
    [
        "Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule", "Pneumonia", "Pneumothorax",
        "Consolidation", "Edema", "Emphysema", "Fibrosis", "Pleural_Thickening", "Hernia",
    ];

    private readonly string[] _paths;
    private readonly Dictionary<string, List<NihBox>> _boxes;
    private readonly Dictionary<string, float[]>? _entries;
    private readonly string? _maskFinding;

    /// <summary>Indexes the PNGs of <paramref name="imageFolder"/> (sorted by name) and reads the annotations.</summary>
    /// <param name="imageFolder">Folder of <c>&lt;Image Index&gt;</c> PNG files.</param>
    /// <param name="boxListCsv">BBox_List_2017.csv (gzip accepted).</param>
    /// <param name="options">Decoding options.</param>
    /// <param name="dataEntryCsv">Optional Data_Entry_2017.csv for image-level labels.</param>
    /// <param name="maskFinding">Only boxes of this finding form the mask (box-list spelling, e.g. "Pneumothorax"); null = all.</param>
    /// <exception cref="DataFormatException">Malformed CSV or an unknown finding name in Data_Entry.</exception>
    public NihDataset(string imageFolder, string boxListCsv, DatasetOptions? options = null, string? dataEntryCsv = null,
        string? maskFinding = null) : base(options)
    {
        if (!Directory.Exists(imageFolder)) throw new DirectoryNotFoundException($"NIH image folder not found: {imageFolder}");
        _paths = Directory.EnumerateFiles(imageFolder, "*.png").Order(StringComparer.Ordinal).ToArray();
        _boxes = NihBox.Read(boxListCsv).GroupBy(b => b.ImageIndex).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        _maskFinding = maskFinding;
        if (dataEntryCsv is not null) _entries = ReadEntries(dataEntryCsv);
    }

    /// <summary>Boxes of the image with file name <paramref name="imageIndex"/> (e.g. 00000013_005.png).</summary>
    public IReadOnlyList<NihBox> BoxesOf(string imageIndex) => _boxes.TryGetValue(imageIndex, out var b) ? b : [];

    /// <inheritdoc />
    public override int Count => _paths.Length;

    /// <inheritdoc />
    public override IReadOnlyList<string> LabelNames => Findings;

    /// <inheritdoc />
    public override string IdOf(int index) => Path.GetFileName(_paths[index]);

    /// <inheritdoc />
    public override float[] LabelsOf(int index)
    {
        string id = IdOf(index);
        if (_entries is not null)
            return _entries.TryGetValue(id, out var e) ? (float[])e.Clone() : Enumerable.Repeat(float.NaN, Findings.Count).ToArray();
        var labels = Enumerable.Repeat(float.NaN, Findings.Count).ToArray();
        foreach (var b in BoxesOf(id))
        {
            int k = FindingIndex(b.FindingLabel);
            if (k >= 0) labels[k] = 1f;
        }
        return labels;
    }

    /// <inheritdoc />
    public override Sample Get(int index)
    {
        CheckIndex(index);
        string path = _paths[index], id = IdOf(index);
        var image = LoadImage(path);
        var (w, h) = NativeSize(path, image);
        var mask = new byte[w * h];
        foreach (var b in BoxesOf(id))
        {
            if (_maskFinding is not null && !string.Equals(b.FindingLabel, _maskFinding, StringComparison.OrdinalIgnoreCase)) continue;
            int x0 = Math.Clamp((int)Math.Floor(b.X), 0, w), y0 = Math.Clamp((int)Math.Floor(b.Y), 0, h);
            int x1 = Math.Clamp((int)Math.Ceiling(b.X + b.W), 0, w), y1 = Math.Clamp((int)Math.Ceiling(b.Y + b.H), 0, h);
            for (int y = y0; y < y1; y++) mask.AsSpan(y * w + x0, Math.Max(0, x1 - x0)).Fill(1);
        }
        return Build(id, image, [FitMask(mask, w, h, image, path)], labels: LabelsOf(index),
            metadata: new Dictionary<string, string> { ["path"] = path, ["boxes"] = BoxesOf(id).Count.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    /// <summary>Index of a finding in <see cref="Findings"/> (accepts the box list's "Infiltrate"), or -1.</summary>
    public static int FindingIndex(string name)
    {
        if (string.Equals(name, "Infiltrate", StringComparison.OrdinalIgnoreCase)) name = "Infiltration";
        for (int i = 0; i < Findings.Count; i++)
            if (string.Equals(Findings[i], name.Replace(' ', '_'), StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    private static Dictionary<string, float[]> ReadEntries(string path)
    {
        var csv = CsvTable.Read(path);
        int img = csv.Require("Image Index"), lab = csv.Require("Finding Labels");
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var r in csv.Records)
        {
            var v = new float[Findings.Count];
            foreach (var part in CsvTable.Field(r, lab).Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (string.Equals(part, "No Finding", StringComparison.OrdinalIgnoreCase)) continue;
                int k = FindingIndex(part);
                if (k < 0) throw csv.Error(r, lab, $"unknown finding '{part}'");
                v[k] = 1f;
            }
            result[CsvTable.Field(r, img).Trim()] = v;
        }
        return result;
    }
}
