using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Thorax.Imaging.Ops;

namespace Thorax.Imaging.Tests.Ops;

public class ConnectedComponentsTests
{
    private static readonly JsonElement Golden = TestData.GoldenJson("ops/components.json");

    [Fact]
    public void Label_LabelsStatsCentroids_EqualCv2ConnectedComponentsWithStats()
    {
        foreach (var c in Golden.GetProperty("cases").EnumerateArray())
        {
            var src = GoldenArray.U8(c.GetProperty("input"));
            var conn = c.GetProperty("connectivity").GetInt32() == 4 ? Connectivity.Four : Connectivity.Eight;
            var cc = ConnectedComponents.Label(src, conn);
            Assert.Equal(c.GetProperty("count").GetInt32(), cc.Count);
            Assert.Equal(GoldenArray.I32(c.GetProperty("labels")), cc.Labels.Data);
            var stats = GoldenArray.I32(c.GetProperty("stats"));
            var cents = GoldenArray.F64(c.GetProperty("centroids"));
            for (int k = 0; k < cc.Count; k++)
            {
                var s = cc.Stats[k];
                Assert.Equal(stats.AsSpan(k * 5, 5).ToArray(), new[] { s.Left, s.Top, s.Width, s.Height, s.Area });
                Assert.Equal(cents[2 * k], s.CentroidX, 9);
                Assert.Equal(cents[2 * k + 1], s.CentroidY, 9);
            }
        }
    }

    [Fact]
    public void FillHoles_EqualsScipyBinaryFillHoles()
    {
        foreach (var c in Golden.GetProperty("fill_holes").EnumerateArray())
            Assert.Equal(GoldenArray.U8(c.GetProperty("expected")).Data, MaskOps.FillHoles(GoldenArray.U8(c.GetProperty("input"))).Data);
    }

    [Fact]
    public void Label_AreasSumToPixelCount_AndLabelsAreContiguous()
    {
        var gen = from w in Gen.Choose(1, 30) from h in Gen.Choose(1, 30) from seed in Gen.Choose(0, 10000)
                  from eight in Gen.Elements(true, false) select (w, h, seed, eight);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var img = new Image<byte>(t.w, t.h);
            var rng = new Random(t.seed);
            for (int i = 0; i < img.Data.Length; i++) img.Data[i] = rng.Next(3) == 0 ? (byte)255 : (byte)0;
            var cc = ConnectedComponents.Label(img, t.eight ? Connectivity.Eight : Connectivity.Four);
            int fg = img.Data.Count(v => v != 0);
            bool areas = cc.Stats.Skip(1).Sum(s => s.Area) == fg && cc.Stats.Skip(1).All(s => s.Area > 0);
            bool range = cc.Labels.Data.All(l => l >= 0 && l < cc.Count);
            return areas && range;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void RemoveSmallComponents_DropsOnlyComponentsBelowThreshold()
    {
        var img = new Image<byte>(10, 6);
        img[0, 0] = 255;                                       // area 1
        for (int x = 3; x < 6; x++) img[x, 2] = 255;           // area 3
        for (int x = 7; x < 10; x++) for (int y = 3; y < 6; y++) img[x, y] = 255; // area 9
        var kept = MaskOps.RemoveSmallComponents(img, 3);
        Assert.Equal(0, kept[0, 0]);
        Assert.Equal(255, kept[4, 2]);
        Assert.Equal(255, kept[8, 4]);
        Assert.Equal(12, kept.Data.Count(v => v == 255));
    }

    [Fact]
    public void KeepLargestComponents_KeepsNLargest()
    {
        var img = new Image<byte>(10, 6);
        img[0, 0] = 255;
        for (int x = 3; x < 6; x++) img[x, 2] = 255;
        for (int x = 7; x < 10; x++) for (int y = 3; y < 6; y++) img[x, y] = 255;
        Assert.Equal(9, MaskOps.KeepLargestComponents(img, 1).Data.Count(v => v == 255));
        Assert.Equal(12, MaskOps.KeepLargestComponents(img, 2).Data.Count(v => v == 255));
        Assert.Equal(0, MaskOps.KeepLargestComponents(img, 0).Data.Count(v => v == 255));
    }

    [Fact]
    public void Label_DiagonalPixels_ConnectedOnlyWithEight()
    {
        var img = new Image<byte>(2, 2);
        img[0, 0] = 1;
        img[1, 1] = 1;
        Assert.Equal(2, ConnectedComponents.Label(img, Connectivity.Eight).Count);
        Assert.Equal(3, ConnectedComponents.Label(img, Connectivity.Four).Count);
    }
}
