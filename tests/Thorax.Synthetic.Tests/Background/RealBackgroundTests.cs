namespace Thorax.Synthetic.Tests.Background;

/// <summary>Real Montgomery + Shenzhen pairs from ../shared/data/lungs as backgrounds (skipped when absent).</summary>
public sealed class RealBackgroundTests
{
    private static string Lungs()
    {
        var shared = TestUtil.SharedData();
        string? dir = shared is null ? null : Path.Combine(shared, "lungs");
        Skip.If(dir is null || !File.Exists(Path.Combine(dir, "pairs.csv")),
            "../shared/data/lungs/pairs.csv not found; real lung pairs are not available on this machine");
        return dir!;
    }

    [SkippableFact]
    public void RealPairsLoadAndTheOneOneLungMaskIsSkipped()
    {
        var set = BackgroundSet.Load(Lungs());
        Assert.Equal(603, set.Backgrounds.Count);
        var skipped = Assert.Single(set.Skipped);
        Assert.EndsWith("CHNCXR_0603_1.png", skipped.Path);
        Assert.Contains("one lung", skipped.Reason);
    }

    [SkippableFact]
    public void StudiesOnRealPairsHaveTheirFindingsInsideTheLungs()
    {
        var gen = new StudyGenerator(new SynthOptions
        {
            BackgroundDirectory = Lungs(), Count = 24, Seed = 2, ImageSize = 256, PneumothoraxRate = 0.7, DeviceRate = 0.3,
            HeartFailureRate = 0.3, PneumoniaRate = 0.3, TensionRate = 0.2,
        });
        for (int i = 0; i < 24; i++)
        {
            var st = gen.Generate(i);
            if (st.Pneumothorax is { } f)
            {
                Assert.True(st.PneumothoraxPixels > 0, $"study {i} ({st.Background}): empty pneumothorax");
                var side = f.Side == BodySide.Right ? st.RightLungMask : st.LeftLungMask;
                for (int p = 0; p < side.Length; p++)
                    if (st.PneumothoraxMask[p] != 0) Assert.True(side[p] != 0, $"study {i} ({st.Background}): pneumothorax outside the {f.Side} lung");
                Assert.Contains(f.Side == BodySide.Right ? "right" : "left", st.Report, StringComparison.OrdinalIgnoreCase);
            }
            Assert.Equal(st.Class == FindingClass.Normal, st.EvidenceMask!.All(v => v == 0));
        }
    }
}
