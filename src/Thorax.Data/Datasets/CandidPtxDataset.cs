using Thorax.Data.Reports;
using Thorax.Data.Siim;

namespace Thorax.Data.Datasets;

/// <summary>
/// CANDID-PTX / ConTEXTual Net layout: a CSV <c>image_id,text,label</c> (label = standard 1-based row-major RLE at
/// the image's native size, or "-1") and a folder of images named by <c>image_id</c>. One mask per sample
/// (pneumothorax, 0/1), the report text, label vector <c>[pneumothorax]</c>.
/// </summary>
public sealed class CandidPtxDataset : ImageDataset
{
    private static readonly string[] Names = ["pneumothorax"];
    private readonly string _imageFolder;

    /// <summary>Reads the CSV (RLE validated lazily, against each image's size).</summary>
    /// <param name="csv">image_name_text_label.csv (or Pneumothorax_reports.csv style with image_id/text/label columns).</param>
    /// <param name="imageFolder">Folder holding the image files named in <c>image_id</c>.</param>
    /// <param name="options">Decoding options.</param>
    /// <exception cref="DataFormatException">Missing columns or an empty id (file, line, column).</exception>
    public CandidPtxDataset(string csv, string imageFolder, DatasetOptions? options = null) : base(options)
    {
        Records = ReportRecord.ReadCandidPtx(csv, width: null, height: null);
        Source = csv;
        _imageFolder = imageFolder;
    }

    /// <summary>The rows, in file order.</summary>
    public IReadOnlyList<ReportRecord> Records { get; }

    /// <summary>The CSV path.</summary>
    public string Source { get; }

    /// <inheritdoc />
    public override int Count => Records.Count;

    /// <inheritdoc />
    public override IReadOnlyList<string> LabelNames => Names;

    /// <inheritdoc />
    public override string IdOf(int index) => Records[index].ImageId;

    /// <inheritdoc />
    public override float[] LabelsOf(int index) => [Records[index].Rle is { } r && !SiimRle.IsEmpty(r) ? 1f : 0f];

    /// <inheritdoc />
    /// <exception cref="DataFormatException">The RLE does not fit the image (file, line, column label).</exception>
    public override Sample Get(int index)
    {
        CheckIndex(index);
        var rec = Records[index];
        string path = Path.Combine(_imageFolder, rec.ImageId);
        if (!File.Exists(path) && ImageFiles.Find(_imageFolder, Path.GetFileNameWithoutExtension(rec.ImageId)) is { } found) path = found;
        var image = LoadImage(path);
        var (w, h) = NativeSize(path, image);
        IReadOnlyList<byte[]> masks = [];
        if (rec.Rle is { } rle)
        {
            try { masks = [FitMask(StandardRle.ToMask(rle, w, h).Data, w, h, image, path)]; }
            catch (DataFormatException e) { throw e.WithContext(Source, rec.Line, "label"); }
        }
        return Build(rec.ImageId, image, masks, report: rec.Text, labels: LabelsOf(index),
            metadata: new Dictionary<string, string> { ["path"] = path });
    }
}
