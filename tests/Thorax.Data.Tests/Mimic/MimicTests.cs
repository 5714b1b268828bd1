using Thorax.Data.Mimic;

namespace Thorax.Data.Tests.Mimic;

public class MimicTests
{
    private const string Dicom = "02aa804e-bde0afdd-112c0b34-7bc16630-4e384014";

    [Fact]
    public void Build_Parse_RoundTrip()
    {
        string p = MimicCxrPath.Build(10000032, 50414267, Dicom);
        Assert.Equal($"files/p10/p10000032/s50414267/{Dicom}.jpg", p);
        Assert.Equal((10000032L, 50414267L, Dicom), MimicCxrPath.Parse("/data/mimic/" + p));
        Assert.Throws<DataFormatException>(() => MimicCxrPath.Parse($"files/p11/p10000032/s5/{Dicom}.jpg"));
    }

    [Theory]
    [InlineData("1.0", 1f)]
    [InlineData("0", 0f)]
    public void Map_Definite_Values(string cell, float expected) => Assert.Equal(expected, ChexpertLabels.Map(cell, UncertaintyPolicy.Default));

    [Fact]
    public void Map_UncertainAndBlank_FollowPolicy()
    {
        Assert.True(float.IsNaN(ChexpertLabels.Map("-1.0", UncertaintyPolicy.Default)));
        Assert.True(float.IsNaN(ChexpertLabels.Map("", UncertaintyPolicy.Default)));
        Assert.Equal(1f, ChexpertLabels.Map("-1", UncertaintyPolicy.CxlSeg));
        Assert.Equal(0f, ChexpertLabels.Map(" ", UncertaintyPolicy.CxlSeg));
        Assert.Throws<FormatException>(() => ChexpertLabels.Map("2", UncertaintyPolicy.Default));
    }

    [Fact]
    public void Read_CxlSegGzipCsv_RecordsAndLabels()
    {
        using var dir = new TempDir();
        string header = "dicom_id,subject_id,study_id,DicomPath,split," + string.Join(",", ChexpertLabels.Names);
        string row = $"{Dicom},10000032,50414267,files/p10/p10000032/s50414267/{Dicom}.jpg,train," + string.Join(",", Enumerable.Range(0, 14).Select(i => i switch { 0 => "1.0", 1 => "-1.0", 2 => "", _ => "0.0" }));
        string p = dir.File("CXLSeg-split.csv.gz");
        Thorax.Data.IO.DataFile.WriteAtomic(p, w => { w.WriteLine(header); w.WriteLine(row); });
        var rec = Assert.Single(MimicRecord.Read(p));
        Assert.Equal(("train", 10000032L), (rec.Split, rec.SubjectId));
        var labels = ChexpertLabels.Read(p, UncertaintyPolicy.CxlSeg)[Dicom];
        Assert.Equal(new[] { 1f, 1f, 0f, 0f }, labels[..4]);

        File.WriteAllText(dir.File("bad.csv"), header + "\n" + row.Replace("s50414267/", "s50414268/") + "\n");
        var e = Assert.Throws<DataFormatException>(() => MimicRecord.Read(dir.File("bad.csv")));
        Assert.Equal((2L, "DicomPath"), (e.Line!.Value, e.Column));
    }
}
