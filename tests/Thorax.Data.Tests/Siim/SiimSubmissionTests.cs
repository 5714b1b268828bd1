using Thorax.Data.Siim;

namespace Thorax.Data.Tests.Siim;

public class SiimSubmissionTests
{
    private static readonly SubmissionValidationOptions Small = new() { Width = 4, Height = 4 };

    [Fact]
    public void WriteThenValidate_ValidEntries_IsValid()
    {
        using var dir = new TempDir();
        string p = dir.File("sub.csv");
        SiimSubmission.Write(p, [("a", "0 3"), ("b", "-1"), ("c", "")], 4, 4);
        Assert.Equal("ImageId,EncodedPixels\na,0 3\nb,-1\nc,-1\n", File.ReadAllText(p));
        var r = SiimSubmission.Validate(p, ["a", "b", "c"], Small);
        Assert.True(r.IsValid, r.ToText());
        Assert.Equal(3, r.Rows);
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Write_MalformedRle_ThrowsAndKeepsExistingFile()
    {
        using var dir = new TempDir();
        string p = dir.File("sub.csv");
        File.WriteAllText(p, "old");
        var e = Assert.Throws<DataFormatException>(() => SiimSubmission.Write(p, [("a", "0 3"), ("b", "1 2 3")], 4, 4));
        Assert.Equal((3L, "EncodedPixels"), (e.Line!.Value, e.Column));
        Assert.Equal("old", File.ReadAllText(p));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Validate_ProblemFile_ListsEveryErrorWithLineAndColumn()
    {
        using var dir = new TempDir();
        string p = dir.File("bad.csv");
        File.WriteAllText(p, "ImageId,EncodedPixels\na,0 3\na,-1\nzz,-1\nb,0 20\nc,5 1 0 x\n");
        var r = SiimSubmission.Validate(p, ["a", "b", "c", "d"], Small);
        Assert.False(r.IsValid);
        var lines = r.Errors.Select(e => (e.Line, e.Column)).ToList();
        Assert.Equal(new (long?, string)[]
        {
            (3, "ImageId"),        // duplicate a
            (4, "ImageId"),        // unknown zz
            (5, "EncodedPixels"),  // past the image
            (6, "EncodedPixels"),  // non-numeric
            (null, "ImageId"),     // d missing
        }, lines);
        Assert.Contains("first on line 2", r.Errors[0].Message);
        Assert.Contains("line 5, column 'EncodedPixels'", r.ToText());
    }

    [Fact]
    public void Validate_AbsoluteFormatOverlap_Reported()
    {
        using var dir = new TempDir();
        string p = dir.File("abs.csv");
        File.WriteAllText(p, "ImageId,EncodedPixels\na,5 3 6 1\n");
        var r = SiimSubmission.Validate(p, ["a"], Small with { Format = RleFormat.StandardAbsolute });
        Assert.Contains("sorted and non-overlapping", Assert.Single(r.Errors).Message);
    }

    [Fact]
    public void Validate_MissingHeaderColumn_ReportsLineOne()
    {
        using var dir = new TempDir();
        string p = dir.File("h.csv");
        File.WriteAllText(p, "id,pixels\na,-1\n");
        var r = SiimSubmission.Validate(p, ["a"], Small);
        Assert.All(r.Errors, e => Assert.Equal(1, e.Line));
        Assert.Equal(2, r.Errors.Count);
    }

    [SkippableFact]
    public void Validate_KaggleStage2SampleSubmission_IsValidAgainstItsOwnIds()
    {
        string p = TestData.RequireShared("siim/csv/stage_2_sample_submission.csv");
        var ids = SiimRleTable.Read(p).ImageIds;
        var r = SiimSubmission.Validate(p, ids);
        Assert.True(r.IsValid, r.ToText());
        Assert.Equal(3205, r.Rows);
    }
}
