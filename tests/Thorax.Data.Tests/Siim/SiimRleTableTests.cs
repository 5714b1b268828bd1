using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Thorax.Data.Siim;
using Xunit.Abstractions;

namespace Thorax.Data.Tests.Siim;

public class SiimRleTableTests(ITestOutputHelper output)
{
    private const string Id301 = "1.2.276.0.7230010.3.1.4.8323329.301.1517875162.280319";
    private const string Id307 = "1.2.276.0.7230010.3.1.4.8323329.307.1517875162.311533";
    private const string Id6904 = "1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819";

    [Fact]
    public void Parse_StageOneHeaderWithSpace_FindsColumns()
    {
        var t = SiimRleTable.Parse("ImageId, EncodedPixels\na, 1 2\na,-1\nb, -1\n");
        Assert.Equal("EncodedPixels", t.RleColumn);
        Assert.Equal(new[] { "a", "b" }, t.ImageIds);
        Assert.Equal("1 2", t.RowsFor("a")[0].EncodedPixels);
        Assert.True(t.RowsFor("b")[0].IsEmpty);
    }

    [Fact]
    public void Parse_BomFnameMaskHeaderLeadingSpaces_FindsColumns()
    {
        var t = SiimRleTable.Parse("\uFEFFfname,mask\r\n  x ,  0 3\r\n");
        Assert.Equal("fname", t.IdColumn);
        Assert.Equal("x", t.Rows[0].ImageId);
        Assert.Equal(3, t.DecodeUnion("x", new byte[16], 4, 4));
    }

    [Fact]
    public void Parse_MissingRleColumn_ThrowsNamingColumn()
    {
        var e = Assert.Throws<DataFormatException>(() => SiimRleTable.Parse("ImageId,Foo\na,1\n", "f.csv"));
        Assert.Equal("f.csv", e.FilePath);
        Assert.Equal(1, e.Line);
    }

    [Fact]
    public void DecodeUnion_MalformedRow_ErrorNamesFileLineAndColumn()
    {
        var t = SiimRleTable.Parse("ImageId, EncodedPixels\na,0 2\na,1 2 3\n", "bad.csv");
        var e = Assert.Throws<DataFormatException>(() => t.DecodeUnion("a", new byte[16], 4, 4));
        Assert.Equal("bad.csv", e.FilePath);
        Assert.Equal(3, e.Line);
        Assert.Equal("EncodedPixels", e.Column);
        Assert.Contains("bad.csv:3 column 'EncodedPixels'", e.Message);
    }

    [Fact]
    public void RleStats_MalformedFile_ErrorNamesFileLineAndColumn()
    {
        using var dir = new TempDir();
        string p = dir.File("bad.csv");
        File.WriteAllText(p, "ImageId, EncodedPixels\na,0 2\nb,0 x\n");
        var e = Assert.Throws<DataFormatException>(() => RleStats.Compute(p, 4, 4));
        Assert.Equal((p, 3L, "EncodedPixels"), (e.FilePath, e.Line!.Value, e.Column));
    }

    [Fact]
    public void RleStats_SmallTable_CountsUnionAndBox()
    {
        // 4x4: instance 1 = flat 0..2 (col 0 rows 0-2); instance 2 = flat 2..5 (rows 2-3 col 0, rows 0-1 col 1)
        var t = SiimRleTable.Parse("ImageId,EncodedPixels\na,0 3\na,2 4\nb,-1\nc,13 2\n");
        var r = RleStats.Compute(t, 4, 4);
        Assert.Equal(3, r.Images.Count);
        var a = r.Find("a")!;
        Assert.Equal((2, 2, 6L), (a.Rows, a.Instances, a.UnionPixels));
        Assert.Equal(new[] { 0, 0, 3, 1 }, a.BoundingBox!.Value.ToArray());
        Assert.Null(r.Find("b")!.BoundingBox);
        Assert.Equal(new[] { 1, 3, 2, 3 }, r.Find("c")!.BoundingBox!.Value.ToArray());
        Assert.Contains("\"bbox\":null", r.ToJson());
        Assert.Contains("\"bbox\":[0,0,3,1]", r.ToJson());
        Assert.Contains("3 (2 positive, 1 empty)", r.ToText());
    }

    [SkippableFact]
    public void RleStats_TrainingCsvGz_MatchesGoldenAndKnownCounts()
    {
        string path = TestData.RequireShared("siim/train-rle.csv.gz");
        var sw = Stopwatch.StartNew();
        var report = RleStats.Compute(path);
        output.WriteLine($"rle-stats over {report.Rows} rows: {sw.ElapsedMilliseconds} ms");
        using var golden = TestData.Golden("siim_rle_stats.json");
        var g = golden.RootElement;
        Assert.Equal(12954, report.Rows);
        Assert.Equal(12047, report.Images.Count);
        Assert.Equal(g.GetProperty("positive_images").GetInt32(), report.PositiveImages);
        Assert.Equal(10133, report.Find(Id301)!.UnionPixels);
        Assert.Equal(69274, report.Find(Id307)!.UnionPixels);
        Assert.Equal(4, report.Find(Id307)!.Instances);
        Assert.Null(report.Find(Id6904)!.BoundingBox);

        var canon = new StringBuilder();
        foreach (var s in report.Images.OrderBy(i => i.ImageId, StringComparer.Ordinal))
        {
            string box = s.BoundingBox is { } b ? $"{b.RowMin},{b.ColMin},{b.RowMax},{b.ColMax}" : "-";
            canon.Append($"{s.ImageId},{s.Rows},{s.Instances},{s.UnionPixels},{box}\n");
        }
        string sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canon.ToString())));
        Assert.Equal(g.GetProperty("canonical_sha256").GetString(), sha);
    }

    [SkippableFact]
    public void DecodeUnion_AllTrainingImages_TotalsMatchGolden()
    {
        string path = TestData.RequireShared("siim/train-rle.csv.gz");
        var sw = Stopwatch.StartNew();
        var table = SiimRleTable.Read(path);
        long readMs = sw.ElapsedMilliseconds;
        var mask = new byte[1024 * 1024];
        long total = 0;
        foreach (var id in table.ImageIds) total += table.DecodeUnion(id, mask);
        output.WriteLine($"read {table.Rows.Count} rows in {readMs} ms; decoded {table.ImageIds.Count} union masks in {sw.ElapsedMilliseconds - readMs} ms");
        using var golden = TestData.Golden("siim_rle_stats.json");
        Assert.Equal(golden.RootElement.GetProperty("total_union_pixels").GetInt64(), total);
    }

    [SkippableTheory]
    [InlineData(Id301)]
    [InlineData(Id307)]
    [InlineData(Id6904)]
    public void DecodeUnion_KnownImages_EqualsUnionMaskPng(string imageId)
    {
        string path = TestData.RequireShared("siim/train-rle.csv.gz");
        var mask = SiimRleTable.Read(path).DecodeUnion(imageId);
        using var golden = TestData.Golden("siim_rle_stats.json");
        var g = golden.RootElement.GetProperty("union_masks").GetProperty(imageId);
        Assert.Equal(g.GetProperty("pixels").GetInt32(), mask.CountNonZero());
        Assert.Equal(g.GetProperty("png_sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(mask.Data)));
    }

    [SkippableFact]
    public void EncodeDecode_SingleInstanceTrainingRows_ReproduceOriginalString()
    {
        string path = TestData.RequireShared("siim/train-rle.csv.gz");
        var table = SiimRleTable.Read(path);
        var mask = new byte[1024 * 1024];
        int checkedRows = 0;
        foreach (var id in table.ImageIds)
        {
            var rows = table.RowsFor(id);
            if (rows.Count != 1) continue;
            mask.AsSpan().Clear();
            SiimRle.Decode(rows[0].EncodedPixels, mask, 1024, 1024);
            Assert.Equal(rows[0].EncodedPixels, SiimRle.Encode(mask, 1024, 1024));
            checkedRows++;
        }
        Assert.Equal(11423, checkedRows);
    }

    [SkippableFact]
    public void Read_SampleCsvWithBom_ParsesAllRows()
    {
        string path = TestData.RequireShared("siim/csv/train-rle-sample.csv");
        var t = SiimRleTable.Read(path);
        Assert.Equal(10, t.Rows.Count);
        Assert.Equal("fname", t.IdColumn);
        var stats = RleStats.Compute(t);
        Assert.All(stats.Images, s => Assert.StartsWith("1.2.276.", s.ImageId, StringComparison.Ordinal));
        Assert.Contains(stats.Images, s => s.UnionPixels > 0);
    }
}
