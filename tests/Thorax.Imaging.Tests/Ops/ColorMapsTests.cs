using System.Text.Json;
using Thorax.Imaging.Ops;

namespace Thorax.Imaging.Tests.Ops;

public class ColorMapsTests
{
    private static readonly JsonElement Golden = TestData.GoldenJson("ops/colormap.json");

    [Theory]
    [InlineData(ColorMap.Jet, "jet")]
    [InlineData(ColorMap.Viridis, "viridis")]
    public void Apply_Ramp_EqualsCv2ApplyColorMap(ColorMap map, string name)
    {
        var ramp = new Image<byte>(256, 1);
        for (int i = 0; i < 256; i++) ramp[i, 0] = (byte)i;
        Assert.Equal(TestData.Bytes(Golden.GetProperty("lut").GetProperty(name).GetProperty("data")), ColorMaps.Apply(ramp, map).Data);
    }

    [Fact]
    public void Overlay_JetHeatmapAlpha04_EqualsCv2AddWeighted()
    {
        var grey = GoldenArray.U8(Golden.GetProperty("grey"));
        var heat = ColorMaps.Apply(GoldenArray.U8(Golden.GetProperty("heat")), ColorMap.Jet);
        var actual = ColorMaps.Overlay(grey, heat, 0.4);
        GoldenArray.AssertClose(GoldenArray.U8(Golden.GetProperty("heat_overlay_alpha04")), actual, 0, "heat overlay");
    }

    [Fact]
    public void OverlayMask_RedHalfAlpha_EqualsCv2AddWeightedOnMask()
    {
        var grey = GoldenArray.U8(Golden.GetProperty("grey"));
        var mask = GoldenArray.U8(Golden.GetProperty("mask"));
        var actual = ColorMaps.OverlayMask(grey, mask, 255, 0, 0, 0.5);
        GoldenArray.AssertClose(GoldenArray.U8(Golden.GetProperty("mask_overlay_red_alpha05")), actual, 0, "mask overlay");
    }

    [Fact]
    public void Apply_FloatHeatmap_MapsEndpointsToFirstAndLastColour()
    {
        var v = new Image<float>(3, 1, 1, [0f, 0.5f, 1f]);
        var rgb = ColorMaps.Apply(v, ColorMap.Viridis);
        var table = ColorMaps.Table(ColorMap.Viridis);
        Assert.Equal(table[..3].ToArray(), rgb.Data[..3]);
        Assert.Equal(table[^3..].ToArray(), rgb.Data[6..]);
        Assert.Equal(table.Slice(128 * 3, 3).ToArray(), rgb.Data[3..6]);
    }
}
