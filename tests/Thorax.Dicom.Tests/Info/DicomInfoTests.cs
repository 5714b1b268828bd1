using System.Text.Json;
using Thorax.Dicom.Tests.Infrastructure;

namespace Thorax.Dicom.Tests.Info;

public class DicomInfoTests
{
    [SkippableFact]
    public void Read_SiimFiles_MatchPydicomGolden()
    {
        var dir = TestPaths.SiimDir();
        Skip.If(dir is null, TestPaths.SiimMissing);
        var golden = TestPaths.ReadJson(TestPaths.Golden("siim_info.json")).EnumerateArray().ToList();
        Assert.Equal(4, golden.Count);
        foreach (var g in golden)
        {
            var info = DicomInfo.Read(Path.Combine(dir, g.GetProperty("file").GetString()!));
            Assert.Multiple(
                () => Assert.Equal(g.GetProperty("pixel_sha256").GetString(), info.PixelSha256),
                () => Assert.Equal(g.GetProperty("min").GetInt64(), info.Min),
                () => Assert.Equal(g.GetProperty("max").GetInt64(), info.Max),
                () => Assert.Equal(g.GetProperty("mean").GetDouble(), info.Mean, 1e-9),
                () => Assert.Equal(g.GetProperty("rows").GetInt32(), info.Rows),
                () => Assert.Equal(g.GetProperty("columns").GetInt32(), info.Columns),
                () => Assert.Equal(g.GetProperty("bits_allocated").GetInt32(), info.BitsAllocated),
                () => Assert.Equal(g.GetProperty("bits_stored").GetInt32(), info.BitsStored),
                () => Assert.Equal(g.GetProperty("photometric_interpretation").GetString(), info.PhotometricInterpretation),
                () => Assert.Equal(g.GetProperty("transfer_syntax_uid").GetString(), info.TransferSyntaxUid),
                () => Assert.Equal(g.GetProperty("patient_id").GetString(), info.PatientId),
                () => Assert.Equal(g.GetProperty("study_instance_uid").GetString(), info.StudyInstanceUid),
                () => Assert.Equal(g.GetProperty("series_instance_uid").GetString(), info.SeriesInstanceUid),
                () => Assert.Equal(g.GetProperty("sop_instance_uid").GetString(), info.SopInstanceUid),
                () => Assert.Equal(g.GetProperty("sop_class_uid").GetString(), info.SopClassUid),
                () => Assert.Equal(g.GetProperty("modality").GetString(), info.Modality),
                () => Assert.Equal(g.GetProperty("view_position").GetString(), info.ViewPosition),
                () => Assert.Equal(g.GetProperty("patient_age").GetString(), info.PatientAge),
                () => Assert.Equal(g.GetProperty("pixel_spacing").EnumerateArray().Select(e => e.GetDouble()), info.PixelSpacing!));
        }
    }

    [Fact]
    public void ToJson_UsesSnakeCaseKeys()
    {
        var info = DicomInfo.Read(TestPaths.Corpus("u12_rle.dcm"));
        using var doc = JsonDocument.Parse(info.ToJson());
        var root = doc.RootElement;
        Assert.Equal(info.PixelSha256, root.GetProperty("pixel_sha256").GetString());
        Assert.Equal(16, root.GetProperty("bits_allocated").GetInt32());
        Assert.Equal("1.2.840.10008.1.2.5", root.GetProperty("transfer_syntax_uid").GetString());
        Assert.Equal("RLE Lossless", root.GetProperty("transfer_syntax_name").GetString());
        Assert.Equal(64, root.GetProperty("rows").GetInt32());
    }

    [Fact]
    public void ToText_ContainsMainFields()
    {
        var info = DicomInfo.Read(TestPaths.Corpus("u8_jpeg_baseline.dcm"));
        var text = info.ToText();
        Assert.Contains("JPEG Baseline (Process 1) [1.2.840.10008.1.2.4.50]", text);
        Assert.Contains("72 x 56 px", text);
        Assert.Contains(info.PixelSha256, text);
    }
}
