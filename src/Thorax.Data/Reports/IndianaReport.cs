using Thorax.Data.IO;

namespace Thorax.Data.Reports;

/// <summary>One Indiana University (OpenI) report: <c>uid,MeSH,Problems,image,indication,comparison,findings,impression</c>.</summary>
public sealed record IndianaReport(string Uid, string MeSH, string Problems, string Indication, string Findings, string Impression, long Line)
{
    /// <summary>Findings and impression joined by a space (whitespace collapsed).</summary>
    public string Text => SentenceSplitter.Collapse(Findings + " " + Impression);

    /// <summary>Reads <c>indiana_reports.csv</c> or one of its subsets (quoted multi-line fields allowed).</summary>
    /// <exception cref="DataFormatException">Missing uid/findings/impression columns (file, line, column).</exception>
    public static IReadOnlyList<IndianaReport> Read(string path)
    {
        var csv = CsvTable.Read(path);
        int uid = csv.Require("uid"), f = csv.Require("findings"), imp = csv.Require("impression");
        int mesh = csv.IndexOf("MeSH"), prob = csv.IndexOf("Problems"), ind = csv.IndexOf("indication");
        return csv.Records.Select(r => new IndianaReport(CsvTable.Field(r, uid).Trim(), CsvTable.Field(r, mesh),
            CsvTable.Field(r, prob), CsvTable.Field(r, ind), CsvTable.Field(r, f), CsvTable.Field(r, imp), r.Line)).ToList();
    }
}
