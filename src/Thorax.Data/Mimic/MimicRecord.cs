using Thorax.Data.IO;

namespace Thorax.Data.Mimic;

/// <summary>One MIMIC-CXR / CXLSeg image row: ids, relative image path, optional split and mask path.</summary>
/// <param name="DicomId">dicom_id.</param>
/// <param name="SubjectId">subject_id.</param>
/// <param name="StudyId">study_id.</param>
/// <param name="ImagePath">Relative image path (CXLSeg <c>DicomPath</c>, else built as files/pNN/.../&lt;dicom_id&gt;.jpg).</param>
/// <param name="Split">train / validate / test, or null.</param>
/// <param name="MaskPath">CXLSeg <c>DicomPathMask</c>, or null.</param>
/// <param name="ViewPosition">ViewPosition (PA, AP, LATERAL ...), or null.</param>
public sealed record MimicRecord(string DicomId, long SubjectId, long StudyId, string ImagePath, string? Split, string? MaskPath, string? ViewPosition)
{
    /// <summary>Reads MIMIC-CXR metadata/split CSVs or CXLSeg-segmented/-split/-mask CSVs (gzip accepted).
    /// Requires dicom_id, subject_id, study_id; uses DicomPath/DicomPathMask/split/ViewPosition when present.</summary>
    /// <exception cref="DataFormatException">Missing column, non-integer id, or a path whose ids disagree with the row (file, line, column).</exception>
    public static IReadOnlyList<MimicRecord> Read(string path)
    {
        var csv = CsvTable.Read(path);
        int d = csv.Require("dicom_id"), sub = csv.Require("subject_id"), st = csv.Require("study_id");
        int p = csv.IndexOf("DicomPath", "path"), sp = csv.IndexOf("split"), mk = csv.IndexOf("DicomPathMask"), vp = csv.IndexOf("ViewPosition");
        var result = new List<MimicRecord>(csv.Records.Count);
        foreach (var r in csv.Records)
        {
            string dicom = CsvTable.Field(r, d).Trim();
            if (!long.TryParse(CsvTable.Field(r, sub).Trim(), out long subject)) throw csv.Error(r, sub, "subject_id is not an integer");
            if (!long.TryParse(CsvTable.Field(r, st).Trim(), out long study)) throw csv.Error(r, st, "study_id is not an integer");
            string image = p >= 0 ? CsvTable.Field(r, p).Trim() : MimicCxrPath.Build(subject, study, dicom);
            if (p >= 0)
            {
                (long S, long T, string D) ids;
                try { ids = MimicCxrPath.Parse(image); }
                catch (DataFormatException e) { throw csv.Error(r, p, e.Reason, e); }
                if (ids.S != subject || ids.T != study || ids.D != dicom)
                    throw csv.Error(r, p, $"path ids (p{ids.S}, s{ids.T}, {ids.D}) disagree with the row");
            }
            string? Opt(int c) => c < 0 ? null : CsvTable.Field(r, c).Trim() is { Length: > 0 } s ? s : null;
            result.Add(new MimicRecord(dicom, subject, study, image, Opt(sp), Opt(mk), Opt(vp)));
        }
        return result;
    }
}
