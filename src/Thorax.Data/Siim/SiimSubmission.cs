using Thorax.Data.IO;

namespace Thorax.Data.Siim;

/// <summary>Writing and validating SIIM-ACR submission files (<c>ImageId,EncodedPixels</c>, one row per test image).</summary>
public static class SiimSubmission
{
    /// <summary>The header written by <see cref="Write"/>.</summary>
    public const string Header = "ImageId,EncodedPixels";

    /// <summary>
    /// Writes a submission atomically (temporary file + rename): every entry's RLE is validated first,
    /// so a malformed entry leaves any existing file untouched. Empty masks should be "-1".
    /// </summary>
    /// <param name="path">Destination (<c>.gz</c> compresses).</param>
    /// <param name="entries">(image id, RLE) pairs in output order.</param>
    /// <param name="width">Image width for validation (default 1024).</param>
    /// <param name="height">Image height for validation (default 1024).</param>
    /// <param name="format">RLE dialect of the strings (default SIIM relative).</param>
    /// <exception cref="DataFormatException">An id is empty/contains a comma or an RLE is malformed (column and 1-based entry index).</exception>
    public static void Write(string path, IEnumerable<(string ImageId, string Rle)> entries,
        int width = 1024, int height = 1024, RleFormat format = RleFormat.SiimRelative)
    {
        var list = entries.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            var (id, rle) = list[i];
            long line = i + 2;
            if (string.IsNullOrWhiteSpace(id) || id.Contains(',') || id.Contains('\n'))
                throw new DataFormatException($"invalid image id '{id}'", path, line, "ImageId");
            try { ParseRuns(rle, width, height, format); }
            catch (DataFormatException e) { throw e.WithContext(path, line, "EncodedPixels"); }
        }
        DataFile.WriteAtomic(path, w =>
        {
            w.WriteLine(Header);
            foreach (var (id, rle) in list)
            {
                w.Write(id.Trim());
                w.Write(',');
                w.WriteLine(RleCore.IsEmpty(rle) ? SiimRle.EmptyMarker : rle.Trim());
            }
        });
    }

    /// <summary>
    /// Validates a submission: header present; every expected id present exactly once; no unknown ids;
    /// every RLE parses, is within the image, and its runs are sorted and non-overlapping.
    /// Never throws for content problems; they are returned as errors naming line and column.
    /// </summary>
    /// <param name="path">Submission CSV (or CSV.gz).</param>
    /// <param name="expectedIds">The test-set image ids.</param>
    /// <param name="options">Size/format options (default 1024x1024 SIIM relative).</param>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SubmissionValidationResult Validate(string path, IEnumerable<string> expectedIds,
        SubmissionValidationOptions? options = null)
    {
        options ??= SubmissionValidationOptions.Default;
        var errors = new List<SubmissionError>();
        bool truncated = false;
        void Add(long? line, string column, string message)
        {
            if (errors.Count >= options.MaxErrors) { truncated = true; return; }
            errors.Add(new SubmissionError(line, column, message));
        }

        CsvTable csv;
        try { csv = CsvTable.Read(path); }
        catch (DataFormatException e)
        {
            Add(e.Line, "(file)", e.Reason);
            return new SubmissionValidationResult(path, 0, errors, truncated);
        }
        int idCol = csv.IndexOf([.. SiimRleTable.IdColumnNames]);
        int rleCol = csv.IndexOf([.. SiimRleTable.RleColumnNames]);
        if (idCol < 0) Add(1, "ImageId", $"header lacks an ImageId column (header: {string.Join(",", csv.Header)})");
        if (rleCol < 0) Add(1, "EncodedPixels", $"header lacks an EncodedPixels column (header: {string.Join(",", csv.Header)})");
        if (idCol < 0 || rleCol < 0) return new SubmissionValidationResult(path, csv.Records.Count, errors, truncated);

        var expected = new HashSet<string>(expectedIds, StringComparer.Ordinal);
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        string idName = csv.ColumnName(idCol), rleName = csv.ColumnName(rleCol);
        foreach (var rec in csv.Records)
        {
            if (rec.Fields.Length != csv.Header.Count)
                Add(rec.Line, "(row)", $"row has {rec.Fields.Length} fields, header has {csv.Header.Count}");
            string id = CsvTable.Field(rec, idCol).Trim();
            if (id.Length == 0) { Add(rec.Line, idName, "empty image id"); continue; }
            if (seen.TryGetValue(id, out long first))
                Add(rec.Line, idName, $"image id '{id}' appears again (first on line {first}); each test id must appear exactly once");
            else
            {
                seen[id] = rec.Line;
                if (!expected.Contains(id)) Add(rec.Line, idName, $"image id '{id}' is not in the test set");
            }
            string rle = CsvTable.Field(rec, rleCol);
            if (rle.Trim().Length == 0) { Add(rec.Line, rleName, "empty EncodedPixels (use -1 for an empty mask)"); continue; }
            try { ParseRuns(rle, options.Width, options.Height, options.Format); }
            catch (DataFormatException e) { Add(rec.Line, rleName, e.Reason); }
        }
        foreach (var id in expected.Order(StringComparer.Ordinal))
            if (!seen.ContainsKey(id)) Add(null, idName, $"test image id '{id}' is missing");
        return new SubmissionValidationResult(path, csv.Records.Count, errors, truncated);
    }

    private static RleRun[] ParseRuns(string rle, int width, int height, RleFormat format) => format switch
    {
        RleFormat.SiimRelative => SiimRle.ParseRuns(rle, width, height),
        RleFormat.StandardAbsolute => StandardRle.ParseRuns(rle, width, height),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };
}
