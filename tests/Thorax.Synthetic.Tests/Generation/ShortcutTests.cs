namespace Thorax.Synthetic.Tests.Generation;

public class ShortcutTests
{
    private static double Agreement(StudyGenerator g, DatasetSplit split)
    {
        var plans = Enumerable.Range(0, g.Options.Count).Select(g.Plan).Where(p => p.Split == split).ToList();
        return plans.Count(p => p.ShortcutCue == (p.Pneumothorax is not null)) / (double)plans.Count;
    }

    [Fact]
    public void Plan_RateOne_CueEqualsLabelInTrainOnly()
    {
        var g = new StudyGenerator(new SynthOptions { Count = 2000, Seed = 1, Shortcut = ShortcutKind.CornerMarker, ShortcutRate = 1.0 });
        Assert.Equal(1.0, Agreement(g, DatasetSplit.Train));
        Assert.InRange(Agreement(g, DatasetSplit.Test), 0.42, 0.58);
        Assert.InRange(Agreement(g, DatasetSplit.Validation), 0.38, 0.62);
    }

    [Fact]
    public void Plan_RateZero_TrainDecorrelated()
    {
        var g = new StudyGenerator(new SynthOptions { Count = 2000, Seed = 2, Shortcut = ShortcutKind.TextToken, ShortcutRate = 0.0 });
        Assert.InRange(Agreement(g, DatasetSplit.Train), 0.45, 0.55);
    }

    [Fact]
    public void Plan_NoShortcut_NoCue()
    {
        var g = new StudyGenerator(new SynthOptions { Count = 300, Seed = 2 });
        Assert.All(Enumerable.Range(0, 300).Select(g.Plan), p => Assert.False(p.ShortcutCue));
    }

    [Fact]
    public void Plan_DeviceShortcut_ChestTubeExactlyWhenCue()
    {
        var g = new StudyGenerator(new SynthOptions { Count = 400, Seed = 3, Shortcut = ShortcutKind.Device, DeviceRate = 0.5 });
        Assert.All(Enumerable.Range(0, 400).Select(g.Plan), p =>
            Assert.Equal(p.ShortcutCue, (p.Devices & SupportDevices.ChestTube) != 0));
    }

    [Fact]
    public void Generate_DeviceShortcut_ChestTubeMaskExactlyWhenTube()
    {
        // The chest tube's mask is non-empty exactly on studies with a tube, a thin structure (not the whole image),
        // brighter on average than the image around it (the tube is radio-opaque), and written as masks/chest-tube.
        var o = TestUtil.Small(count: 12, seed: 5, size: 128) with { Shortcut = ShortcutKind.Device, ShortcutRate = 1.0 };
        var g = new StudyGenerator(o);
        int tubes = 0;
        for (int i = 0; i < o.Count; i++)
        {
            var st = g.Generate(i);
            int area = st.ChestTubeMask.Count(v => v == 255);
            Assert.All(st.ChestTubeMask, v => Assert.True(v is 0 or 255));
            bool tube = (st.Devices & SupportDevices.ChestTube) != 0;
            Assert.Equal(tube, area > 0);
            if (!tube) continue;
            tubes++;
            Assert.InRange(area, 20, 128 * 128 / 20);
            double inside = Enumerable.Range(0, st.Image8.Length).Where(j => st.ChestTubeMask[j] != 0).Average(j => st.Image8[j]);
            double all = st.Image8.Average(v => v);
            Assert.True(inside > all, $"study {i}: tube mean {inside:F1} not above image mean {all:F1}");
        }
        Assert.InRange(tubes, 1, o.Count - 1);
        string dir = TestUtil.TempDir();
        try
        {
            SyntheticDatasetWriter.Write(o with { OutputDirectory = dir, Count = 3 });
            var ids = Directory.GetFiles(Path.Combine(dir, "splits"), "*.txt").SelectMany(File.ReadAllLines).Where(l => l.Length > 0).ToList();
            Assert.Equal(3, ids.Count);
            foreach (var id in ids)
                Assert.True(File.Exists(Path.Combine(dir, "masks", "chest-tube", id + ".png")), id);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Plan_SplitFractions_Respected()
    {
        var g = new StudyGenerator(new SynthOptions { Count = 1000, Seed = 4, TrainFraction = 0.6, ValidationFraction = 0.15 });
        var splits = Enumerable.Range(0, 1000).Select(g.SplitOf).ToList();
        Assert.InRange(splits.Count(s => s == DatasetSplit.Train), 590, 610);
        Assert.InRange(splits.Count(s => s == DatasetSplit.Validation), 140, 160);
    }

    [Theory]
    [InlineData(ShortcutKind.CornerMarker)]
    [InlineData(ShortcutKind.TextToken)]
    [InlineData(ShortcutKind.IntensityCurve)]
    public void Generate_CuePresent_ChangesTopRowsOrTone(ShortcutKind kind)
    {
        // Same study rendered with and without the cue differs; where the cue is absent the images are equal.
        var o = TestUtil.Small(count: 40, seed: 8, size: 128) with { Shortcut = kind, ShortcutRate = 1.0 };
        var with = new StudyGenerator(o);
        var without = new StudyGenerator(o with { Shortcut = ShortcutKind.None });
        int checkedCue = 0, checkedNoCue = 0;
        for (int i = 0; i < 40 && (checkedCue < 2 || checkedNoCue < 2); i++)
        {
            var a = with.Generate(i);
            var b = without.Generate(i);
            if (a.ShortcutCue) { Assert.NotEqual(b.Image8, a.Image8); checkedCue++; }
            else { Assert.Equal(b.Image8, a.Image8); checkedNoCue++; }
        }
        Assert.True(checkedCue >= 1 && checkedNoCue >= 1);
    }
}
