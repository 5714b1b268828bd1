using Thorax.Data.Annotations;

namespace Thorax.Data.Datasets;

/// <summary>
/// Lung segmentation pairs from a <c>pairs.csv</c> folder (../shared/data/lungs layout: <c>image,mask,source,tb,lung_pixels</c>
/// with paths relative to the CSV). One mask per sample (lungs, 0/1); label vector <c>[tb]</c>.
/// </summary>
public sealed class LungPairsDataset : ImageDataset
{
    private static readonly string[] Names = ["tb"];

    /// <summary>Reads <paramref name="pairsCsv"/>; images are decoded lazily.</summary>
    /// <exception cref="DataFormatException">Malformed pairs.csv (file, line, column).</exception>
    public LungPairsDataset(string pairsCsv, DatasetOptions? options = null) : base(options)
    {
        Pairs = LungPair.Read(pairsCsv);
    }

    /// <summary>The pairs, in file order.</summary>
    public IReadOnlyList<LungPair> Pairs { get; }

    /// <inheritdoc />
    public override int Count => Pairs.Count;

    /// <inheritdoc />
    public override IReadOnlyList<string> LabelNames => Names;

    /// <inheritdoc />
    public override string IdOf(int index) => Path.GetFileNameWithoutExtension(Pairs[index].ImagePath);

    /// <inheritdoc />
    public override float[] LabelsOf(int index) => [Pairs[index].Tb];

    /// <inheritdoc />
    public override Sample Get(int index)
    {
        CheckIndex(index);
        var p = Pairs[index];
        var image = LoadImage(p.ImagePath);
        var (mw, mh, mask) = ImageFiles.ReadMask(p.MaskPath);
        return Build(IdOf(index), image, [FitMask(mask, mw, mh, image, p.MaskPath)], labels: LabelsOf(index),
            metadata: new Dictionary<string, string> { ["path"] = p.ImagePath, ["mask_path"] = p.MaskPath, ["source"] = p.Source });
    }
}
