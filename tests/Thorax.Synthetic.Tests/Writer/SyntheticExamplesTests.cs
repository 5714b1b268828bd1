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

    [Fact]
    public void WriteAll_WritesFourFilesWithGazeSheetOfFourCategories()
    {
        string dir = TestUtil.TempDir();
        try
        {
            var paths = SyntheticExamples.WriteAll(TestUtil.Small(count: 4, size: 128), dir, tileSize: 64);
            Assert.Equal(new[] { "synth-examples.png", "synth-truth.png", "synth-gaze.png", "synth-reports.md" }, paths.Select(Path.GetFileName));
            Assert.All(paths, p => Assert.True(File.Exists(p), p));
            var gaze = Thorax.Imaging.Codecs.Png.Read(paths[2]).AsByte();
            Assert.Equal((256, 64, 3), (gaze.Width, gaze.Height, gaze.Channels));
            // Coloured (non-grey) pixels exist: the heat map is drawn.
            int coloured = 0;
            for (int i = 0; i < gaze.Data.Length; i += 3)
                if (gaze.Data[i] != gaze.Data[i + 1] || gaze.Data[i + 1] != gaze.Data[i + 2]) coloured++;
            Assert.InRange(coloured, 64 * 64 / 10, 256 * 64 * 9 / 10);
            string md = File.ReadAllText(paths[3]);
            Assert.Contains("> FINDINGS:", md);
            Assert.Contains("> IMPRESSION:", md);
            Assert.Contains("pneumothorax", md);
            Assert.Equal(4, md.Split("**Study ").Length - 1);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void WriteGazeSheet_PicksNormalPneumothoraxHeartFailurePneumonia()
    {
        string path = Path.Combine(TestUtil.TempDir(), "gaze.png");
        try
        {
            var studies = SyntheticExamples.WriteGazeSheet(TestUtil.Small(count: 2, size: 96), path, tileSize: 32);
            Assert.Equal(4, studies.Count);
            Assert.True(studies[0].Class == FindingClass.Normal && studies[0].Pneumothorax is null);
            Assert.NotNull(studies[1].Pneumothorax);
            Assert.Equal(FindingClass.HeartFailure, studies[2].Class);
            Assert.Equal(FindingClass.Pneumonia, studies[3].Class);
            Assert.Equal(4, studies.Select(s => s.Index).Distinct().Count());
        }
        finally
        {
            if (Directory.Exists(Path.GetDirectoryName(path))) Directory.Delete(Path.GetDirectoryName(path)!, true);
        }
    }

    [Fact]
    public void GazeMapOf_SumsToOneAndPeaksNearLongestDwell()
    {
        var study = new StudyGenerator(TestUtil.Small(count: 3, size: 128)).Generate(1);
        var map = SyntheticExamples.GazeMapOf(study);
        Assert.Equal(1.0, map.Data.Sum(v => (double)v), 3);
        Assert.Equal(study.Fixations.Count, map.PointsUsed + map.PointsSkipped);
        // The map's maximum lies within two sigma (sigma = 43 * 128 / 1080 px) of some fixation.
        int peak = Array.IndexOf(map.Data, map.Data.Max());
        double px = peak % 128, py = peak / 128, sigma = 43.0 * 128 / 1080;
        Assert.Contains(study.Fixations, f => Math.Sqrt((f.X - px) * (f.X - px) + (f.Y - py) * (f.Y - py)) < 2 * sigma);
    }
}
