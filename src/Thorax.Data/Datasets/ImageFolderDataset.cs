using System.Globalization;
using Thorax.Data.IO;

namespace Thorax.Data.Datasets;

/// <summary>
/// A generic dataset: a root folder of images plus a CSV with one row per image (path relative to the root,
/// optional mask path, numeric label columns). Other text columns become metadata.
/// </summary>
public sealed class ImageFolderDataset : ImageDataset
{
    private static readonly string[] ImageColumnNames = ["image", "path", "file", "filename", "image_id", "Image Index"];
    private readonly string[] _images;
    private readonly string?[] _masks;
    private readonly float[][] _labels;
    private readonly Dictionary<string, string>[] _meta;
    private readonly string[] _labelNames;

    /// <summary>Reads <paramref name="csv"/>; images are decoded lazily.</summary>
    /// <param name="root">Folder the paths are relative to.</param>
    /// <param name="csv">Label table (gzip accepted).</param>
    /// <param name="columns">Column choices.</param>
    /// <param name="options">Decoding options.</param>
    /// <exception cref="DataFormatException">A missing column, an empty path, or a non-numeric label (file, line, column).</exception>
    public ImageFolderDataset(string root, string csv, ImageFolderOptions? columns = null, DatasetOptions? options = null) : base(options)
    {
        columns ??= ImageFolderOptions.Default;
        var table = CsvTable.Read(csv);
        int img = columns.ImageColumn is { } ic ? table.Require(ic) : table.Require(ImageColumnNames);
        int mask = columns.MaskColumn is { } mc ? table.Require(mc) : table.IndexOf("mask", "mask_path");
        int[] labelCols;
        if (columns.LabelColumns is { } names) labelCols = names.Select(n => table.Require(n)).ToArray();
        else
            labelCols = Enumerable.Range(0, table.Header.Count)
                .Where(c => c != img && c != mask && table.Records.All(r => CsvTable.Field(r, c).Trim() is var v && (v.Length == 0 || IsNumber(v))))
                .ToArray();
        _labelNames = labelCols.Select(table.ColumnName).ToArray();
        int n = table.Records.Count;
        _images = new string[n];
        _masks = new string?[n];
        _labels = new float[n][];
        _meta = new Dictionary<string, string>[n];
        for (int i = 0; i < n; i++)
        {
            var r = table.Records[i];
            string p = CsvTable.Field(r, img).Trim();
            if (p.Length == 0) throw table.Error(r, img, "empty image path");
            _images[i] = Path.Combine(root, p);
            if (mask >= 0 && CsvTable.Field(r, mask).Trim() is { Length: > 0 } m) _masks[i] = Path.Combine(root, m);
            var lab = new float[labelCols.Length];
            for (int k = 0; k < labelCols.Length; k++)
            {
                string v = CsvTable.Field(r, labelCols[k]).Trim();
                if (v.Length == 0) lab[k] = float.NaN;
                else if (!float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out lab[k]))
                    throw table.Error(r, labelCols[k], $"label '{v}' is not a number");
            }
            _labels[i] = lab;
            var meta = new Dictionary<string, string> { ["path"] = _images[i] };
            for (int c = 0; c < table.Header.Count; c++)
                if (c != img && c != mask && Array.IndexOf(labelCols, c) < 0) meta[table.ColumnName(c)] = CsvTable.Field(r, c);
            _meta[i] = meta;
        }
    }

    /// <inheritdoc />
    public override int Count => _images.Length;

    /// <inheritdoc />
    public override IReadOnlyList<string> LabelNames => _labelNames;

    /// <inheritdoc />
    public override string IdOf(int index) => Path.GetFileNameWithoutExtension(_images[index]);

    /// <inheritdoc />
    public override float[] LabelsOf(int index) => (float[])_labels[index].Clone();

    /// <inheritdoc />
    public override Sample Get(int index)
    {
        CheckIndex(index);
        var image = LoadImage(_images[index]);
        IReadOnlyList<byte[]> masks = [];
        if (_masks[index] is { } mp)
        {
            var (w, h, m) = ImageFiles.ReadMask(mp);
            masks = [FitMask(m, w, h, image, mp)];
        }
        return Build(IdOf(index), image, masks, labels: LabelsOf(index), metadata: _meta[index]);
    }

    private static bool IsNumber(string v) => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}
