using Thorax.Data.Siim;
using Thorax.Dicom;

namespace Thorax.Data.Datasets;

/// <summary>
/// SIIM-ACR Pneumothorax: a folder of images (DICOM, or PNG/JPEG exports) and the relative column-major RLE CSV
/// (<c>ImageId, EncodedPixels</c>; several rows per image are OR-ed). One mask per sample (pneumothorax, 0/1);
/// label vector <c>[pneumothorax]</c> (1 when any row is non-empty). Samples are the table's images that have a
/// file, in table order.
/// </summary>
public sealed class SiimDataset : ImageDataset
{
    private static readonly string[] Names = ["pneumothorax"];
    private static readonly string[] FileExtensions = [".dcm", ".png", ".jpg", ".jpeg"];
    private readonly List<(string Id, string Path)> _items = [];

    /// <summary>Indexes <paramref name="imageFolder"/> (recursively) and reads <paramref name="rleCsv"/>.</summary>
    /// <param name="imageFolder">Folder with <c>&lt;ImageId&gt;.dcm</c> (or .png/.jpg) files.</param>
    /// <param name="rleCsv">train-rle.csv (gzip accepted).</param>
    /// <param name="options">Decoding options.</param>
    /// <param name="key">How files are matched to ImageIds.</param>
    /// <exception cref="DataFormatException">Malformed CSV.</exception>
    /// <exception cref="DirectoryNotFoundException">The image folder does not exist.</exception>
    public SiimDataset(string imageFolder, string rleCsv, DatasetOptions? options = null, SiimImageKey key = SiimImageKey.FileStem)
        : base(options)
    {
        if (!Directory.Exists(imageFolder)) throw new DirectoryNotFoundException($"SIIM image folder not found: {imageFolder}");
        Table = SiimRleTable.Read(rleCsv);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(imageFolder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string ext = Path.GetExtension(f).ToLowerInvariant();
            if (Array.IndexOf(FileExtensions, ext) < 0) continue;
            string id = key == SiimImageKey.SopInstanceUid && ext == ".dcm"
                ? DicomFile.Open(f, new DicomReadOptions { HeaderOnly = true }).Dataset.GetString(DicomTag.SOPInstanceUID).Trim()
                : Path.GetFileNameWithoutExtension(f);
            files.TryAdd(id, f);
        }
        foreach (var id in Table.ImageIds)
            if (files.TryGetValue(id, out var path)) _items.Add((id, path));
        MissingImages = Table.ImageIds.Count - _items.Count;
    }

    /// <summary>The RLE table.</summary>
    public SiimRleTable Table { get; }

    /// <summary>Table images without a file in the folder (skipped).</summary>
    public int MissingImages { get; }

    /// <inheritdoc />
    public override int Count => _items.Count;

    /// <inheritdoc />
    public override IReadOnlyList<string> LabelNames => Names;

    /// <inheritdoc />
    public override string IdOf(int index) => _items[index].Id;

    /// <inheritdoc />
    public override float[] LabelsOf(int index) => [Table.RowsFor(_items[index].Id).Any(r => !r.IsEmpty) ? 1f : 0f];

    /// <inheritdoc />
    public override Sample Get(int index)
    {
        CheckIndex(index);
        var (id, path) = _items[index];
        var image = LoadImage(path);
        var (w, h) = NativeSize(path, image);
        var mask = Table.DecodeUnion(id, w, h);
        return Build(id, image, [FitMask(mask.Data, w, h, image, path)], labels: LabelsOf(index),
            metadata: new Dictionary<string, string> { ["path"] = path });
    }
}
