using System.Text.Json;
using Thorax.Imaging.Ops;

namespace Thorax.Imaging.Tests.Ops;

public class ContoursTests
{
    private static readonly JsonElement Golden = TestData.GoldenJson("ops/components.json");

    [Fact]
    public void Area_AllContours_EqualCv2ContourAreas()
    {
        foreach (var c in Golden.GetProperty("remove_by_contour").EnumerateArray())
        {
            var areas = Contours.Find(GoldenArray.U8(c.GetProperty("input"))).Select(Contours.Area).Order().ToArray();
            Assert.Equal(TestData.Doubles(c.GetProperty("areas")), areas);
        }
    }

    [Fact]
    public void RemoveSmallByArea_EqualsSiimFirstPlaceRemoveSmallest()
    {
        int i = 0;
        foreach (var c in Golden.GetProperty("remove_by_contour").EnumerateArray())
        {
            var actual = Contours.RemoveSmallByArea(GoldenArray.U8(c.GetProperty("input")), c.GetProperty("min_area").GetDouble());
            GoldenArray.AssertClose(GoldenArray.U8(c.GetProperty("expected")), actual, 0, $"case {i++}");
        }
    }

    [Fact]
    public void Area_Square_IsSideMinusOneSquared()
    {
        var mask = new Image<byte>(10, 10);
        for (int y = 2; y < 7; y++) for (int x = 3; x < 8; x++) mask[x, y] = 255;
        var contours = Contours.Find(mask);
        Assert.Single(contours);
        Assert.Equal(16.0, Contours.Area(contours[0]));
    }
}
