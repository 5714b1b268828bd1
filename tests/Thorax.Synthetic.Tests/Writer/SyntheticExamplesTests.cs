namespace Thorax.Synthetic.Tests.Writer;

public class SyntheticExamplesTests
{
    [Fact]
    public void WriteContactSheet_SixStudiesThreeColumns_WritesGridPng()
    {
        string dir = TestUtil.TempDir();
        try
        {
            string path = Path.Combine(dir, "sheet.png");
            var studies = SyntheticExamples.WriteContactSheet(TestUtil.Small(count: 6, size: 128), path, count: 6, columns: 3, tileSize: 64, overlayMasks: true);
            Assert.Equal(6, studies.Count);
            var png = TestUtil.DecodePng(File.ReadAllBytes(path));
            Assert.Equal((192, 128, 8), (png.Width, png.Height, png.BitDepth));
            Assert.Contains(png.Pixels, v => v > 0);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void WriteContactSheet_TileLargerThanImage_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            SyntheticExamples.WriteContactSheet(TestUtil.Small(size: 64), Path.Combine(TestUtil.TempDir(), "x.png"), tileSize: 128));
}
