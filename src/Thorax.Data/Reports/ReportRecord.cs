using Thorax.Data.IO;

namespace Thorax.Data.Reports;

/// <summary>An image with its report text and optional absolute RLE mask (CANDID-PTX style:
/// <c>image_id,text,label</c>, label = standard 1-based row-major RLE or "-1").</summary>
/// <param name="ImageId">Image file name / id.</param>
/// <param name="Text">Report text.</param>
/// <param name="Rle">Absolute RLE ("-1" when empty), or null when the file has no label column.</param>
/// <param name="Line">1-based source line.</param>
public sealed record ReportRecord(string ImageId, string Text, string? Rle, long Line)
{
    /// <summary>Reads a CANDID-PTX style CSV (<c>image_id,text,label</c>; also <c>report</c>/<c>rle</c>/<c>EncodedPixels</c>).
    /// When width/height are given each label is validated as absolute RLE.</summary>
    /// <exception cref="DataFormatException">Missing columns, empty id, or malformed RLE (file, line, column).</exception>
    public static IReadOnlyList<ReportRecord> ReadCandidPtx(string path, int? width = 1024, int? height = 1024)
    {
        var csv = CsvTable.Read(path);
        int id = csv.Require("image_id", "ImageId", "dicom_id");
        int text = csv.Require("text", "report");
        int label = csv.IndexOf("label", "rle", "EncodedPixels");
        var result = new List<ReportRecord>(csv.Records.Count);
        foreach (var r in csv.Records)
        {
            string imageId = CsvTable.Field(r, id).Trim();
            if (imageId.Length == 0) throw csv.Error(r, id, "empty image id");
            string? rle = label < 0 ? null : CsvTable.Field(r, label).Trim();
            if (rle is not null && width is { } w && height is { } h)
            {
                try { Siim.StandardRle.ParseRuns(rle, w, h); }
                catch (DataFormatException e) { throw csv.Error(r, label, e.Reason, e); }
            }
            result.Add(new ReportRecord(imageId, CsvTable.Field(r, text), rle, r.Line));
        }
        return result;
    }
}
