using System.Globalization;
using Thorax.Data.IO;
using Thorax.Data.Mimic;

namespace Thorax.Pipelines.Lungs;

/// <summary>
/// The four gzip CSVs of a CXLSeg release, written atomically in the catalog's order (relative path, ordinal), so the
/// same set of images always gives the same text:
/// <list type="bullet">
/// <item><c>CXLSeg-metadata.csv.gz</c>: the MIMIC metadata header and rows of the images, verbatim.</item>
/// <item><c>CXLSeg-segmented.csv.gz</c>: dicom_id, subject_id, study_id, DicomPath, then the 14 CheXpert columns
/// ("1.0", "0.0", "-1.0" or blank, as MIMIC).</item>
/// <item><c>CXLSeg-split.csv.gz</c>: dicom_id, subject_id, study_id, DicomPath, split (train / validate / test).</item>
/// <item><c>CXLSeg-mask.csv.gz</c>: dicom_id, subject_id, study_id, DicomPathMask.</item>
/// </list>
/// Paths are relative to the output root (<c>files/p10/p10000032/s50414267/ID.jpg</c>, masks <c>ID-mask.jpg</c>);
/// <see cref="MimicRecord.Read"/> and <see cref="ChexpertLabels.Read"/> read all four.
/// </summary>
public static class CxlSegCsv
{
    /// <summary>File name of the metadata CSV.</summary>
    public const string MetadataFile = "CXLSeg-metadata.csv.gz";

    /// <summary>File name of the image + labels CSV.</summary>
    public const string SegmentedFile = "CXLSeg-segmented.csv.gz";

    /// <summary>File name of the split CSV.</summary>
    public const string SplitFile = "CXLSeg-split.csv.gz";

    /// <summary>File name of the mask CSV.</summary>
    public const string MaskFile = "CXLSeg-mask.csv.gz";

    /// <summary>Writes the four CSVs for <paramref name="images"/> into <paramref name="outDir"/>.</summary>
    /// <param name="outDir">Output root.</param>
    /// <param name="metadataHeader">Header of the MIMIC metadata CSV (<see cref="CxlSegCatalog.MetadataHeader"/>).</param>
    /// <param name="images">Images to list, in the order to write (the builder passes catalog order).</param>
    /// <param name="splitSeed">Seed of <see cref="CxlSegSplit.Assign"/>.</param>
    /// <returns>Images per split name.</returns>
    public static IReadOnlyDictionary<string, int> Write(string outDir, IReadOnlyList<string> metadataHeader, IReadOnlyList<CxlSegImage> images, ulong splitSeed)
    {
        var inv = CultureInfo.InvariantCulture;
        DataFile.WriteAtomic(Path.Combine(outDir, MetadataFile), w =>
        {
            w.Write(CsvText.Join(metadataHeader.ToArray()));
            w.Write('\n');
            foreach (var i in images)
            {
                w.Write(CsvText.Join(i.MetadataFields.ToArray()));
                w.Write('\n');
            }
        });
        DataFile.WriteAtomic(Path.Combine(outDir, SegmentedFile), w =>
        {
            w.Write(CsvText.Join(["dicom_id", "subject_id", "study_id", "DicomPath", .. ChexpertLabels.Names]));
            w.Write('\n');
            foreach (var i in images)
            {
                w.Write(CsvText.Join([i.DicomId, i.SubjectId.ToString(inv), i.StudyId.ToString(inv), i.ImagePath, .. i.Labels]));
                w.Write('\n');
            }
        });
        var counts = CxlSegSplit.Names.ToDictionary(n => n, _ => 0, StringComparer.Ordinal);
        DataFile.WriteAtomic(Path.Combine(outDir, SplitFile), w =>
        {
            w.Write("dicom_id,subject_id,study_id,DicomPath,split\n");
            foreach (var i in images)
            {
                var split = CxlSegSplit.Assign(i.SubjectId, splitSeed);
                counts[split]++;
                w.Write(CsvText.Join(i.DicomId, i.SubjectId.ToString(inv), i.StudyId.ToString(inv), i.ImagePath, split));
                w.Write('\n');
            }
        });
        DataFile.WriteAtomic(Path.Combine(outDir, MaskFile), w =>
        {
            w.Write("dicom_id,subject_id,study_id,DicomPathMask\n");
            foreach (var i in images)
            {
                w.Write(CsvText.Join(i.DicomId, i.SubjectId.ToString(inv), i.StudyId.ToString(inv), i.MaskPath));
                w.Write('\n');
            }
        });
        return counts;
    }
}
