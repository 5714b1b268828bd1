using System.Globalization;
using Thorax.Data;
using Thorax.Data.IO;
using Thorax.Data.Mimic;

namespace Thorax.Pipelines.Lungs;

/// <summary>
/// The CXLSeg image list derived from MIMIC-CXR-JPG's CSVs: every image whose <c>ViewPosition</c> is exactly PA or AP
/// (243,334 in MIMIC-CXR-JPG 2.0.0) and, by default, whose study has a CheXpert label row (CXLSeg dropped the ten
/// frontal images of studies without a report, leaving 243,324). Images are sorted by relative path (ordinal), which is
/// the order of every CSV the builder writes.
/// </summary>
public sealed class CxlSegCatalog
{
    /// <summary>Metadata CSV stem inside the MIMIC-CXR-JPG root (<c>.csv.gz</c> or <c>.csv</c>).</summary>
    public const string MetadataStem = "mimic-cxr-2.0.0-metadata";

    /// <summary>CheXpert label CSV stem inside the MIMIC-CXR-JPG root (<c>.csv.gz</c> or <c>.csv</c>).</summary>
    public const string ChexpertStem = "mimic-cxr-2.0.0-chexpert";

    private static readonly UncertaintyPolicy RawLabels = new() { Uncertain = -1f, Blank = float.NaN };

    private CxlSegCatalog(IReadOnlyList<string> header, IReadOnlyList<CxlSegImage> images, int metadataRows, int frontalRows, int unlabelled)
    {
        MetadataHeader = header;
        Images = images;
        MetadataRows = metadataRows;
        FrontalRows = frontalRows;
        UnlabelledFrontal = unlabelled;
    }

    /// <summary>Header of the MIMIC metadata CSV (written unchanged as CXLSeg-metadata's header).</summary>
    public IReadOnlyList<string> MetadataHeader { get; }

    /// <summary>Selected images, sorted by <see cref="CxlSegImage.ImagePath"/> (ordinal).</summary>
    public IReadOnlyList<CxlSegImage> Images { get; }

    /// <summary>Data rows of the metadata CSV.</summary>
    public int MetadataRows { get; }

    /// <summary>Rows whose ViewPosition is PA or AP.</summary>
    public int FrontalRows { get; }

    /// <summary>Frontal rows whose study has no CheXpert row (dropped when labels are required, else kept with blank labels).</summary>
    public int UnlabelledFrontal { get; }

    /// <summary>Finds <c>STEM.csv.gz</c> or <c>STEM.csv</c> in <paramref name="dir"/>.</summary>
    /// <exception cref="FileNotFoundException">Neither exists (the message names both).</exception>
    public static string FindCsv(string dir, string stem)
    {
        foreach (var ext in new[] { ".csv.gz", ".csv" })
        {
            var p = Path.Combine(dir, stem + ext);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"{Path.Combine(dir, stem)}.csv.gz (or .csv) not found: expected in the MIMIC-CXR-JPG root", Path.Combine(dir, stem + ".csv.gz"));
    }

    /// <summary>True for the frontal view positions CXLSeg keeps: exactly "PA" or "AP" (case-insensitive, trimmed);
    /// "AP AXIAL", "PA LLD", "LATERAL", "LL" and blanks are not frontal.</summary>
    public static bool IsFrontal(string viewPosition)
    {
        var v = viewPosition.Trim();
        return v.Equals("PA", StringComparison.OrdinalIgnoreCase) || v.Equals("AP", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Reads the metadata and CheXpert CSVs (plain or gzip) and selects the frontal images.</summary>
    /// <param name="metadataCsv">MIMIC <c>mimic-cxr-2.0.0-metadata.csv[.gz]</c>: needs dicom_id, subject_id, study_id, ViewPosition.</param>
    /// <param name="chexpertCsv">MIMIC <c>mimic-cxr-2.0.0-chexpert.csv[.gz]</c>: study_id + the 14 CheXpert columns.</param>
    /// <param name="requireLabels">Drop frontal images whose study has no CheXpert row (CXLSeg's choice).</param>
    /// <exception cref="DataFormatException">A missing column, a non-integer id, a bad label or a duplicate dicom_id (file, line, column).</exception>
    public static CxlSegCatalog Load(string metadataCsv, string chexpertCsv, bool requireLabels = true)
    {
        var labels = ChexpertLabels.Read(chexpertCsv, RawLabels);
        var csv = CsvTable.Read(metadataCsv);
        int d = csv.Require("dicom_id"), sub = csv.Require("subject_id"), st = csv.Require("study_id"), vp = csv.Require("ViewPosition");
        var blank = Enumerable.Repeat("", ChexpertLabels.Names.Count).ToArray();
        var images = new List<CxlSegImage>(csv.Records.Count * 2 / 3);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int frontal = 0, unlabelled = 0;
        foreach (var r in csv.Records)
        {
            var view = CsvTable.Field(r, vp).Trim();
            if (!IsFrontal(view)) continue;
            frontal++;
            var dicom = CsvTable.Field(r, d).Trim();
            if (dicom.Length == 0 || dicom.IndexOfAny(['/', '\\']) >= 0) throw csv.Error(r, d, $"'{dicom}' is not a dicom_id");
            if (!long.TryParse(CsvTable.Field(r, sub).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var subject) || subject < 10)
                throw csv.Error(r, sub, "subject_id is not a positive integer of at least 2 digits");
            if (!long.TryParse(CsvTable.Field(r, st).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var study))
                throw csv.Error(r, st, "study_id is not a non-negative integer");
            if (!seen.Add(dicom)) throw csv.Error(r, d, $"duplicate dicom_id '{dicom}'");
            string[] cells;
            if (labels.TryGetValue(study.ToString(CultureInfo.InvariantCulture), out var v)) cells = v.Select(FormatLabel).ToArray();
            else
            {
                unlabelled++;
                if (requireLabels) continue;
                cells = blank;
            }
            var image = MimicCxrPath.Build(subject, study, dicom);
            var mask = image[..^4] + "-mask.jpg";
            var fields = new string[csv.Header.Count];
            for (var i = 0; i < fields.Length; i++) fields[i] = CsvTable.Field(r, i);
            images.Add(new CxlSegImage(dicom, subject, study, view, image, mask, fields, cells));
        }
        images.Sort((a, b) => string.CompareOrdinal(a.ImagePath, b.ImagePath));
        return new CxlSegCatalog(csv.Header, images, csv.Records.Count, frontal, unlabelled);
    }

    /// <summary>MIMIC's spelling of a label target: 1 -&gt; "1.0", 0 -&gt; "0.0", -1 -&gt; "-1.0", NaN (blank) -&gt; "".</summary>
    private static string FormatLabel(float v) => float.IsNaN(v) ? "" : v switch { 1f => "1.0", 0f => "0.0", _ => "-1.0" };
}
