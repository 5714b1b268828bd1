using Thorax.Data;
using Thorax.Data.Datasets;
using Thorax.Data.IO;
using Thorax.Imaging;
using Thorax.Imaging.Ops;

namespace Thorax.Pipelines.Classification;

/// <summary>One study of a classification dataset: its id, split, binary label and the subgroup attributes the
/// difficulty audit reports on.</summary>
/// <param name="Id">Study id (the image is <c>images/{Id}.png</c>).</param>
/// <param name="Split">train, validation or test (from <c>splits/*.txt</c>).</param>
/// <param name="Label">0 or 1.</param>
/// <param name="PtxSize">small, moderate or large for a pneumothorax, else empty.</param>
/// <param name="PtxLocation">apical, lateral or basal for a pneumothorax, else empty.</param>
/// <param name="ShortcutCue">Whether the study carries the dataset's shortcut cue; null when studies.csv has no <c>shortcut_cue</c> column or leaves it empty (unknown).</param>
public sealed record ClassificationStudy(string Id, string Split, int Label, string PtxSize, string PtxLocation, bool? ShortcutCue);

/// <summary>
/// A dataset folder as <c>thorax synth</c> writes it, read for binary classification: <c>studies.csv</c> (one row per
/// study: <c>id</c>, the label column, optional <c>ptx_size</c>, <c>ptx_location</c>, <c>shortcut_cue</c>),
/// <c>splits/{train,validation,test}.txt</c> (study ids, one per line) and <c>images/{id}.png</c> (8-bit grey).
/// </summary>
public sealed class ClassificationDataset
{
    /// <summary>The split names, in file order.</summary>
    public static IReadOnlyList<string> SplitNames { get; } = ["train", "validation", "test"];

    private ClassificationDataset(string root, ClassificationLabel label, IReadOnlyList<ClassificationStudy> studies)
    {
        Root = root;
        Label = label;
        Studies = studies;
    }

    /// <summary>The dataset folder.</summary>
    public string Root { get; }

    /// <summary>The label read.</summary>
    public ClassificationLabel Label { get; }

    /// <summary>Every study listed in a split file, in split order (train, validation, test), each in its file's order.</summary>
    public IReadOnlyList<ClassificationStudy> Studies { get; }

    /// <summary>The studies of one split, in file order.</summary>
    public IReadOnlyList<ClassificationStudy> Split(string name) => Studies.Where(s => s.Split == name).ToList();

    /// <summary>Path of a study's image.</summary>
    public string ImagePath(string id) => Path.Combine(Root, "images", id + ".png");

    /// <summary>
    /// Reads <c>studies.csv</c> and the split files of <paramref name="root"/>. Studies in no split file are ignored;
    /// a split id absent from studies.csv, an id in two splits, a missing split file or a bad label value is an error
    /// naming the file and line (and the column for studies.csv).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">studies.csv or a split file is missing.</exception>
    /// <exception cref="DataFormatException">A column or value is missing or malformed.</exception>
    public static ClassificationDataset Load(string root, ClassificationLabel label)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"dataset folder not found: {root}");
        var csvPath = Path.Combine(root, "studies.csv");
        if (!File.Exists(csvPath)) throw new FileNotFoundException($"{csvPath} not found; expected a dataset folder written by thorax synth", csvPath);
        var table = CsvTable.Read(csvPath);
        var idCol = table.Require("id");
        var labels = label.Read(table);
        var sizeCol = table.IndexOf("ptx_size");
        var locationCol = table.IndexOf("ptx_location");
        var cueCol = table.IndexOf("shortcut_cue");
        var byId = new Dictionary<string, (CsvRecord Record, int Label)>(StringComparer.Ordinal);
        for (var i = 0; i < table.Records.Count; i++)
        {
            var r = table.Records[i];
            var id = CsvTable.Field(r, idCol).Trim();
            if (id.Length == 0) throw table.Error(r, idCol, "empty id");
            if (!byId.TryAdd(id, (r, labels[i]))) throw table.Error(r, idCol, $"id '{id}' appears twice (first on line {byId[id].Record.Line})");
            // Empty = unknown (e.g. the real-ptx evaluation set, whose images carry no planted cue).
            if (cueCol >= 0 && CsvTable.Field(r, cueCol).Trim() is not ("0" or "1" or ""))
                throw table.Error(r, cueCol, $"shortcut_cue needs 0, 1 or empty, found '{CsvTable.Field(r, cueCol).Trim()}'");
        }
        var studies = new List<ClassificationStudy>();
        var splitOf = new Dictionary<string, (string Split, string File, int Line)>(StringComparer.Ordinal);
        foreach (var split in SplitNames)
        {
            var file = Path.Combine(root, "splits", split + ".txt");
            if (!File.Exists(file)) throw new FileNotFoundException($"split file {file} not found (a thorax synth folder has splits/train.txt, validation.txt, test.txt)", file);
            var lines = File.ReadAllLines(file);
            for (var n = 0; n < lines.Length; n++)
            {
                var id = lines[n].Trim();
                if (id.Length == 0) continue;
                if (!byId.TryGetValue(id, out var row)) throw new DataFormatException($"study '{id}' is not in {csvPath}", file, n + 1);
                if (!splitOf.TryAdd(id, (split, file, n + 1)))
                    throw new DataFormatException($"study '{id}' is already in {splitOf[id].File} line {splitOf[id].Line}", file, n + 1);
                var r = row.Record;
                studies.Add(new ClassificationStudy(id, split, row.Label,
                    sizeCol < 0 ? "" : CsvTable.Field(r, sizeCol).Trim(), locationCol < 0 ? "" : CsvTable.Field(r, locationCol).Trim(),
                    cueCol < 0 || CsvTable.Field(r, cueCol).Trim().Length == 0 ? null : CsvTable.Field(r, cueCol).Trim() == "1"));
            }
        }
        return new ClassificationDataset(Path.GetFullPath(root), label, studies);
    }

    /// <summary>
    /// Reads a study's image as grey float32 [0, 1], resized (bilinear) to <paramref name="size"/> x <paramref name="size"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">The image is missing (its path named).</exception>
    public float[] LoadImage(string id, int size)
    {
        var grey = ImageFiles.ReadGrey(ImagePath(id));
        if (grey.Width == size && grey.Height == size) return grey.Pixels;
        return Resampling.Resize(new Image<float>(grey.Width, grey.Height, 1, grey.Pixels), size, size, Interpolation.Linear).Data;
    }
}
