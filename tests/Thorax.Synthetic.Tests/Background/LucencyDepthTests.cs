using System.Globalization;
using Thorax.Synthetic.Internal;

namespace Thorax.Synthetic.Tests.Background;

/// <summary>The pleural space's radiolucency follows the lung's front-to-back depth: least at the apical cupola, most at
/// the base (<c>RealChestRenderer.ApDepth</c>), on the procedural backgrounds of
/// <see cref="BackgroundStudyTests.Backgrounds"/>.</summary>
public sealed class LucencyDepthTests : IClassFixture<BackgroundStudyTests.Backgrounds>
{
    private const int N = 160;
    private readonly BackgroundStudyTests.Backgrounds _bg;

    public LucencyDepthTests(BackgroundStudyTests.Backgrounds bg) => _bg = bg;

    [Fact]
    public void ApDepthRisesFromApexToBase()
    {
        const int top = 20, height = 101;
        Assert.Equal(0.6f, RealChestRenderer.ApDepth(top, height, top), 6);
        Assert.Equal(1.1f, RealChestRenderer.ApDepth(top, height, top + 40), 6);
        Assert.Equal(1.1f, RealChestRenderer.ApDepth(top, height, top + 60), 6);
        Assert.Equal(1.45f, RealChestRenderer.ApDepth(top, height, top + 100), 6);
        float previous = 0f;
        for (int y = top; y < top + height; y++)
        {
            float d = RealChestRenderer.ApDepth(top, height, y);
            Assert.True(d >= previous, $"row {y}: depth {d} below the row above ({previous})");
            previous = d;
        }
    }

    private SynthOptions Options(double conspicuity) => new()
    {
        BackgroundDirectory = _bg.Dir, Count = 48, Seed = 9, ImageSize = N, PneumothoraxRate = 1, DeviceRate = 0,
        HeartFailureRate = 0, PneumoniaRate = 0, TensionRate = 0, PneumothoraxConspicuity = conspicuity,
        WriteReports = false,
    };

    /// <summary>Per study, how much darker the pleural space is than the same study drawn with the pneumothorax
    /// invisible (conspicuity 0: same draws, same masks), relative to that invisible drawing's brightness there.
    /// Apical spaces darken least and basal ones most, on average over the studies of each location.</summary>
    [Fact]
    public void ApicalSpacesDarkenLeastAndBasalMost()
    {
        var full = new StudyGenerator(Options(1));
        var none = new StudyGenerator(Options(0));
        var byLocation = new Dictionary<PneumothoraxLocation, List<double>>();
        for (int i = 0; i < 48; i++)
        {
            var a = full.Generate(i);
            var b = none.Generate(i);
            double dark = 0, level = 0;
            int n = 0;
            for (int p = 0; p < a.PneumothoraxMask.Length; p++)
                if (a.PneumothoraxMask[p] != 0) { dark += b.Image12[p] - a.Image12[p]; level += b.Image12[p]; n++; }
            Assert.True(n > 0 && level > 0, $"study {i}: empty pleural space");
            var loc = a.Pneumothorax!.Location;
            (byLocation.TryGetValue(loc, out var l) ? l : byLocation[loc] = []).Add(dark / level);
        }
        Assert.Equal(3, byLocation.Count);
        string all = string.Join(", ", byLocation.Select(kv =>
            string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value.Average():F3} ({kv.Value.Count})")));
        double apical = byLocation[PneumothoraxLocation.Apical].Average();
        double lateral = byLocation[PneumothoraxLocation.Lateral].Average();
        double basal = byLocation[PneumothoraxLocation.Basal].Average();
        Assert.True(apical < lateral && lateral < basal, all);
        Assert.True(apical > 0, all);
    }
}
