using System.Reflection;
using FsCheck;
using FsCheck.Fluent;
using Thorax.Dicom.Tests.Infrastructure;

namespace Thorax.Dicom.Tests.Vocabulary;

public class DicomTagTests
{
    [Fact]
    public void ToString_PixelData_IsUpperHexInParentheses() =>
        Assert.Equal("(7FE0,0010)", DicomTag.PixelData.ToString());

    [Theory]
    [InlineData("(0028,0010)")]
    [InlineData("0028,0010")]
    [InlineData("00280010")]
    public void Parse_AcceptedForms_ReturnRows(string text) => Assert.Equal(DicomTag.Rows, DicomTag.Parse(text));

    [Fact]
    public void Parse_Garbage_Throws() => Assert.Throws<FormatException>(() => DicomTag.Parse("(0028,XYZ1)"));

    [Fact]
    public void Property_ParseOfToString_RoundTrips() =>
        Prop.ForAll<ushort, ushort>((g, e) => DicomTag.Parse(new DicomTag(g, e).ToString()) == new DicomTag(g, e))
            .QuickCheckThrowOnFailure();

    [Fact]
    public void Property_Ordering_MatchesGroupThenElement() =>
        Prop.ForAll<(ushort, ushort), (ushort, ushort)>((t1, t2) =>
        {
            var (g1, e1) = t1;
            var (g2, e2) = t2;
            var a = new DicomTag(g1, e1);
            var b = new DicomTag(g2, e2);
            int expected = g1 != g2 ? g1.CompareTo(g2) : e1.CompareTo(e2);
            return Math.Sign(a.CompareTo(b)) == Math.Sign(expected);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void IsPrivate_OddGroup_TrueAndCreatorDetected()
    {
        Assert.True(new DicomTag(0x0009, 0x0010).IsPrivateCreator);
        Assert.True(new DicomTag(0x0009, 0x1010).IsPrivate);
        Assert.False(new DicomTag(0x0009, 0x1010).IsPrivateCreator);
        Assert.False(DicomTag.PatientID.IsPrivate);
    }

    [Fact]
    public void GeneratedTags_AgreeWithCheckedInTable()
    {
        // Arrange: parse the table that generated DicomTags.g.cs.
        var path = Path.Combine(TestPaths.RepoRoot, "src", "Thorax.Dicom", "DicomTags.tsv");
        var rows = File.ReadAllLines(path).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split('\t')).ToList();
        var fields = typeof(DicomTag).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DicomTag)).ToDictionary(f => f.Name, f => (DicomTag)f.GetValue(null)!);

        // Assert: same rows in the same order, and one static field per row with the same value.
        Assert.Equal(rows.Count, DicomTags.Known.Count);
        Assert.Equal(rows.Count, fields.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            var entry = DicomTags.Known[i];
            Assert.Equal(DicomTag.Parse(r[0]), entry.Tag);
            Assert.Equal(r[1], entry.Keyword);
            Assert.Equal(r[2], entry.VR);
            Assert.Equal(r[3], entry.VM);
            Assert.Equal(r[4], entry.Name);
            Assert.Equal(entry.Tag, fields[r[1]]);
        }
    }

    [Fact]
    public void DicomTags_KeywordOf_KnownAndUnknown()
    {
        Assert.Equal("ViewPosition", DicomTags.KeywordOf(new DicomTag(0x0018, 0x5101)));
        Assert.Null(DicomTags.KeywordOf(new DicomTag(0x0009, 0x1010)));
        Assert.True(DicomTags.TryGetEntry("ImagerPixelSpacing", out var e) && e.VR == "DS" && e.VM == "2");
    }
}
