using Thorax.Data.IO;

namespace Thorax.Data.Siim;

/// <summary>
/// A SIIM RLE CSV (training labels or a submission), rows grouped by image. Accepted header spellings:
/// <c>ImageId, EncodedPixels</c> (with the stage-1 leading space), <c>ImageId,EncodedPixels</c>, and
/// <c>fname,mask</c> (with or without a UTF-8 BOM); values are trimmed. <c>.csv.gz</c> is read transparently.
/// Several rows for one image are instances whose masks are unioned.
/// </summary>
public sealed class SiimRleTable
{
    /// <summary>Accepted spellings of the id column.</summary>
    public static readonly IReadOnlyList<string> IdColumnNames = ["ImageId", "fname", "image_id", "ImageID"];

    /// <summary>Accepted spellings of the RLE column.</summary>
    public static readonly IReadOnlyList<string> RleColumnNames = ["EncodedPixels", "mask", "rle", "encoded_pixels"];

    private readonly Dictionary<string, List<SiimRleRow>> _byImage;

    private SiimRleTable(string? source, string idColumn, string rleColumn, List<SiimRleRow> rows)
    {
        Source = source;
        IdColumn = idColumn;
        RleColumn = rleColumn;
        Rows = rows;
        _byImage = new Dictionary<string, List<SiimRleRow>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var row in rows)
        {
            if (!_byImage.TryGetValue(row.ImageId, out var list))
            {
                _byImage[row.ImageId] = list = [];
                order.Add(row.ImageId);
            }
            list.Add(row);
        }
        ImageIds = order;
    }

    /// <summary>File the table was read from, or null.</summary>
    public string? Source { get; }

    /// <summary>Header name of the id column as spelled in the file (trimmed).</summary>
    public string IdColumn { get; }

    /// <summary>Header name of the RLE column as spelled in the file (trimmed).</summary>
    public string RleColumn { get; }

    /// <summary>All rows in file order.</summary>
    public IReadOnlyList<SiimRleRow> Rows { get; }

    /// <summary>Distinct image ids in order of first appearance.</summary>
    public IReadOnlyList<string> ImageIds { get; }

    /// <summary>Reads a SIIM RLE CSV (plain or gzip).</summary>
    /// <exception cref="DataFormatException">Missing id/RLE column or an empty id, naming file and line.</exception>
    public static SiimRleTable Read(string path) => FromCsv(CsvTable.Read(path));

    /// <summary>Parses SIIM RLE CSV text; <paramref name="source"/> names it in errors.</summary>
    public static SiimRleTable Parse(string text, string? source = null) => FromCsv(CsvTable.Parse(text, source));

    private static SiimRleTable FromCsv(CsvTable csv)
    {
        int idCol = csv.Require([.. IdColumnNames]);
        int rleCol = csv.Require([.. RleColumnNames]);
        var rows = new List<SiimRleRow>(csv.Records.Count);
        foreach (var rec in csv.Records)
        {
            string id = CsvTable.Field(rec, idCol).Trim();
            if (id.Length == 0) throw csv.Error(rec, idCol, "empty image id");
            rows.Add(new SiimRleRow(id, CsvTable.Field(rec, rleCol).Trim(), rec.Line));
        }
        return new SiimRleTable(csv.Source, csv.ColumnName(idCol), csv.ColumnName(rleCol), rows);
    }

    /// <summary>Rows (instances) of one image in file order; empty when the id is unknown.</summary>
    public IReadOnlyList<SiimRleRow> RowsFor(string imageId) =>
        _byImage.TryGetValue(imageId, out var list) ? list : [];

    /// <summary>True when the id occurs in the table.</summary>
    public bool Contains(string imageId) => _byImage.ContainsKey(imageId);

    /// <summary>Parses the runs of one row, adding file/line/column context to any error.</summary>
    /// <exception cref="DataFormatException">Malformed RLE, naming file, line and column.</exception>
    public RleRun[] ParseRuns(SiimRleRow row, int width = 1024, int height = 1024)
    {
        try
        {
            return SiimRle.ParseRuns(row.EncodedPixels, width, height);
        }
        catch (DataFormatException e)
        {
            throw e.WithContext(Source, row.Line, RleColumn);
        }
    }

    /// <summary>Decodes the union of all instances of <paramref name="imageId"/> into <paramref name="mask"/>
    /// (row-major, width*height; cleared first; pixels become 0 or 1).</summary>
    /// <returns>Number of foreground pixels of the union.</returns>
    /// <exception cref="KeyNotFoundException">Unknown image id.</exception>
    /// <exception cref="DataFormatException">Malformed RLE, naming file, line and column.</exception>
    public int DecodeUnion(string imageId, Span<byte> mask, int width = 1024, int height = 1024)
    {
        if (!_byImage.TryGetValue(imageId, out var rows))
            throw new KeyNotFoundException($"image id '{imageId}' is not in {Source ?? "the table"}");
        RleCore.CheckSize(width, height, mask.Length);
        mask.Clear();
        if (rows.Count == 1)
            return (int)RleCore.Paint(ParseRuns(rows[0], width, height), mask, width, height, RleOrder.ColumnMajor, 1);
        var all = new List<RleRun>();
        foreach (var row in rows) all.AddRange(ParseRuns(row, width, height));
        var union = RleRun.Union(all);
        RleCore.Paint(union.ToArray(), mask, width, height, RleOrder.ColumnMajor, 1);
        return union.Sum(r => r.Length);
    }

    /// <summary>Decodes the union mask of one image into a new <see cref="Masks.BinaryMask"/>.</summary>
    public Masks.BinaryMask DecodeUnion(string imageId, int width = 1024, int height = 1024)
    {
        var mask = new Masks.BinaryMask(width, height);
        DecodeUnion(imageId, mask.Data, width, height);
        return mask;
    }
}
