using Thorax.Data;
using Thorax.Pipelines.Classification;

namespace Thorax.Pipelines.Tests.Classification;

public class ClassificationDatasetTests
{
    [Fact]
    public void Load_ReadsSplitsLabelsAndSubgroupColumns()
    {
        var dir = ClassificationFixture.Write();
        var d = ClassificationDataset.Load(dir, ClassificationLabel.Parse("pneumothorax"));
        Assert.Equal(14, d.Split("train").Count);
        Assert.Equal(5, d.Split("validation").Count);
        Assert.Equal(5, d.Split("test").Count);
        var s0 = d.Studies[0];
        Assert.Equal(("s00", "train", 1, "small", "apical", (bool?)true), (s0.Id, s0.Split, s0.Label, s0.PtxSize, s0.PtxLocation, s0.ShortcutCue));
        Assert.Equal(32 * 32, d.LoadImage("s00", 32).Length);
        Assert.Equal(16 * 16, d.LoadImage("s00", 16).Length);
        Directory.Delete(dir, true);
    }

    [Theory]
    [InlineData("chest_tube", new[] { 1, 0, 0, 0, 0, 1 })]
    [InlineData("class=CHF", new[] { 1, 0, 0, 1, 0, 0 })]
    [InlineData(" class = Normal ", new[] { 0, 1, 1, 0, 1, 1 })]
    public void OtherLabels_ZeroOneColumnsAndOneVsRest(string spec, int[] firstSix)
    {
        var dir = ClassificationFixture.Write();
        var d = ClassificationDataset.Load(dir, ClassificationLabel.Parse(spec));
        Assert.Equal(firstSix, d.Studies.Take(6).Select(s => s.Label));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void LabelSpec_Parses()
    {
        var l = ClassificationLabel.Parse("class=CHF");
        Assert.Equal(("class", "CHF"), (l.Column, l.PositiveValue));
        Assert.Null(ClassificationLabel.Parse("pneumothorax").PositiveValue);
        Assert.Throws<ArgumentException>(() => ClassificationLabel.Parse(" "));
        Assert.Contains("COLUMN=VALUE", Assert.Throws<ArgumentException>(() => ClassificationLabel.Parse("class=")).Message);
    }

    [Fact]
    public void UnknownLabel_NamesTheFileAndListsTheZeroOneColumns()
    {
        var dir = ClassificationFixture.Write();
        var e = Assert.Throws<DataFormatException>(() => ClassificationDataset.Load(dir, ClassificationLabel.Parse("effusion")));
        Assert.Contains("studies.csv", e.Message);
        Assert.Contains("'effusion'", e.Message);
        Assert.Contains("pneumothorax, chest_tube, shortcut_cue", e.Message);
        var e2 = Assert.Throws<DataFormatException>(() => ClassificationDataset.Load(dir, ClassificationLabel.Parse("class=asthma")));
        Assert.Contains("CHF, Normal", e2.Message);
        var e3 = Assert.Throws<DataFormatException>(() => ClassificationDataset.Load(dir, ClassificationLabel.Parse("ptx_size")));
        Assert.Contains("studies.csv:2 column 'ptx_size'", e3.Message);
        Assert.Contains("needs 0 or 1, found 'small'", e3.Message);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void MissingIdColumn_BadLabelValue_AndUnknownSplitId_NameFileLineAndColumn()
    {
        var noId = ClassificationFixture.Write(header: ClassificationFixture.Header.Replace("id,", "study,"));
        var e = Assert.Throws<DataFormatException>(() => ClassificationDataset.Load(noId, ClassificationLabel.Parse("pneumothorax")));
        Assert.Contains(Path.Combine(noId, "studies.csv") + ":1 column 'id'", e.Message);
        // Row 3 starts on line 6 (header, then two rows whose quoted reports span two lines each) has pneumothorax = "yes".
        var bad = ClassificationFixture.Write(overrideLine: i => i == 2 ? "s02,train,CHF,yes,,,,0,0,x" : null);
        var e2 = Assert.Throws<DataFormatException>(() => ClassificationDataset.Load(bad, ClassificationLabel.Parse("pneumothorax")));
        Assert.Contains("studies.csv:6 column 'pneumothorax'", e2.Message);
        Assert.Contains("'yes'", e2.Message);
        var ghost = ClassificationFixture.Write();
        File.AppendAllText(Path.Combine(ghost, "splits", "test.txt"), "nobody\n");
        var e3 = Assert.Throws<DataFormatException>(() => ClassificationDataset.Load(ghost, ClassificationLabel.Parse("pneumothorax")));
        Assert.Contains(Path.Combine("splits", "test.txt") + ":6", e3.Message);
        Assert.Contains("'nobody'", e3.Message);
        File.Delete(Path.Combine(ghost, "splits", "validation.txt"));
        Assert.Contains("validation.txt", Assert.Throws<FileNotFoundException>(() => ClassificationDataset.Load(ghost, ClassificationLabel.Parse("pneumothorax"))).Message);
        foreach (var d in new[] { noId, bad, ghost }) Directory.Delete(d, true);
    }
}
