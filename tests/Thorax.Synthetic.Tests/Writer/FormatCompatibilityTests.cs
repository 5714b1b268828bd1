using Thorax.Data.Gaze;
using Thorax.Data.Siim;

namespace Thorax.Synthetic.Tests.Writer;

/// <summary>The written files are read back with the project's own readers (Thorax.Data).</summary>
public sealed class FormatCompatibilityTests : IDisposable
{
    private readonly string _dir = TestUtil.TempDir();
    private readonly SynthOptions _options;

    public FormatCompatibilityTests()
    {
        _options = TestUtil.Small(count: 5, seed: 17, size: 128) with { OutputDirectory = _dir, PneumothoraxRate = 0.6 };
        SyntheticDatasetWriter.Write(_options);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void EgdCxr_FixationsAndMasterSheet_ReadByThoraxData()
    {
        var master = EgdCxrGaze.ReadMasterSheet(Path.Combine(_dir, "egd-cxr", "master_sheet.csv"));
        var fix = EgdCxrGaze.Read(Path.Combine(_dir, "egd-cxr", "fixations.csv"));
        var g = new StudyGenerator(_options);
        Assert.Equal(5, master.Count);
        for (int i = 0; i < 5; i++)
        {
            var s = g.Generate(i);
            var m = master.Single(r => r.DicomId == s.Id);
            Assert.Equal(s.Class switch { FindingClass.HeartFailure => "CHF", FindingClass.Pneumonia => "pneumonia", _ => "Normal" }, m.Label);
            Assert.Equal(s.Fixations.Count, fix.Count(f => f.DicomId == s.Id));
        }
    }

    [Fact]
    public void Reflacx_Fixations_ReadByThoraxData()
    {
        var g = new StudyGenerator(_options);
        var s = g.Generate(2);
        var path = Path.Combine(_dir, "reflacx", "main_data", "P300R100002", "fixations.csv");
        var fix = ReflacxGaze.ReadFixations(path);
        Assert.Equal(s.Fixations.Count, fix.Count);
    }

    [Fact]
    public void SiimCsv_ReadByThoraxData_UnionMatchesMask()
    {
        var table = SiimRleTable.Read(Path.Combine(_dir, "siim", "train-rle.csv"));
        Assert.Equal(5, table.Rows.Count);
        var g = new StudyGenerator(_options);
        var s = g.Generate(0);
        var row = table.Rows.Single(r => r.ImageId == s.SopInstanceUid);
        var mask = new byte[128 * 128];
        SiimRle.Decode(row.EncodedPixels, mask, 128, 128, 255);
        Assert.Equal(s.PneumothoraxMask, mask);
    }
}
