using Thorax.Data.IO;

namespace Thorax.Data.Gaze;

/// <summary>Readers for EGD-CXR (Karargyris et al. 2021) gaze tables and <c>master_sheet.csv</c>.</summary>
public static class EgdCxrGaze
{
    /// <summary>Reads <c>fixations.csv</c> or <c>eye_gaze.csv</c> (same columns; gzip accepted). Required:
    /// DICOM_ID, "Time (in secs)", FPOGX, FPOGY; optional: SESSION_ID, FPOGD, X_ORIGINAL, Y_ORIGINAL.</summary>
    /// <exception cref="DataFormatException">Missing column or non-numeric value (file, line, column).</exception>
    public static IReadOnlyList<EgdCxrGazeRecord> Read(string path)
    {
        var csv = CsvTable.Read(path);
        int id = csv.Require("DICOM_ID", "dicom_id");
        int time = csv.Require("Time (in secs)", "Time");
        int fx = csv.Require("FPOGX"), fy = csv.Require("FPOGY");
        int session = csv.IndexOf("SESSION_ID"), dur = csv.IndexOf("FPOGD");
        int xo = csv.IndexOf("X_ORIGINAL"), yo = csv.IndexOf("Y_ORIGINAL");
        var rows = new List<EgdCxrGazeRecord>(csv.Records.Count);
        foreach (var r in csv.Records)
        {
            string dicom = CsvTable.Field(r, id).Trim();
            if (dicom.Length == 0) throw csv.Error(r, id, "empty DICOM_ID");
            rows.Add(new EgdCxrGazeRecord(dicom, session < 0 ? null : CsvTable.Field(r, session).Trim(),
                CsvNumbers.Double(csv, r, time), CsvNumbers.Double(csv, r, fx), CsvNumbers.Double(csv, r, fy),
                CsvNumbers.OptionalDouble(csv, r, dur), CsvNumbers.OptionalDouble(csv, r, xo),
                CsvNumbers.OptionalDouble(csv, r, yo), r.Line));
        }
        return rows;
    }

    /// <summary>Reads <c>master_sheet.csv</c>: dicom_id, path, patient_id, study_id, the four display pads
    /// (<c>image_top_pad</c> ... or <c>image_top</c> ...) and the one-hot labels Normal / CHF / pneumonia.</summary>
    /// <exception cref="DataFormatException">Missing column or non-numeric pad (file, line, column).</exception>
    public static IReadOnlyList<EgdCxrMasterRow> ReadMasterSheet(string path)
    {
        var csv = CsvTable.Read(path);
        int id = csv.Require("dicom_id", "DICOM_ID");
        int p = csv.IndexOf("path"), pat = csv.IndexOf("patient_id"), study = csv.IndexOf("study_id");
        int top = csv.Require("image_top_pad", "image_top"), bottom = csv.Require("image_bottom_pad", "image_bottom");
        int left = csv.Require("image_left_pad", "image_left"), right = csv.Require("image_right_pad", "image_right");
        int normal = csv.IndexOf("Normal"), chf = csv.IndexOf("CHF"), pneu = csv.IndexOf("pneumonia");
        var rows = new List<EgdCxrMasterRow>(csv.Records.Count);
        foreach (var r in csv.Records)
        {
            string? label = null;
            foreach (var (col, name) in new[] { (normal, "Normal"), (chf, "CHF"), (pneu, "pneumonia") })
                if (col >= 0 && CsvNumbers.OptionalDouble(csv, r, col) is 1.0)
                {
                    if (label is not null) throw csv.Error(r, col, $"more than one of Normal/CHF/pneumonia is 1 ({label}, {name})");
                    label = name;
                }
            rows.Add(new EgdCxrMasterRow(CsvTable.Field(r, id).Trim(),
                p < 0 ? null : CsvTable.Field(r, p).Trim(), pat < 0 ? null : CsvTable.Field(r, pat).Trim(),
                study < 0 ? null : CsvTable.Field(r, study).Trim(),
                new EgdCxrPadding(CsvNumbers.Double(csv, r, top), CsvNumbers.Double(csv, r, bottom),
                    CsvNumbers.Double(csv, r, left), CsvNumbers.Double(csv, r, right)), label, r.Line));
        }
        return rows;
    }
}

/// <summary>One row of EGD-CXR master_sheet.csv.</summary>
/// <param name="DicomId">dicom_id.</param>
/// <param name="Path">path relative to the MIMIC-CXR root (files/pNN/pNNNNNNNN/sNNNNNNNN/&lt;dicom_id&gt;.dcm), or null.</param>
/// <param name="PatientId">patient_id (split key), or null.</param>
/// <param name="StudyId">study_id, or null.</param>
/// <param name="Padding">Display padding in screen pixels.</param>
/// <param name="Label">"Normal", "CHF", "pneumonia", or null when none is set.</param>
/// <param name="Line">1-based source line.</param>
public sealed record EgdCxrMasterRow(string DicomId, string? Path, string? PatientId, string? StudyId,
    EgdCxrPadding Padding, string? Label, long Line);
