using System.Text.Json;
using Thorax.Imaging.Ops;

namespace Thorax.Imaging.Tests.Ops;

public class PolygonsTests
{
    private static readonly JsonElement Golden = TestData.GoldenJson("ops/polygons.json");

    [Fact]
    public void Fill_AllCases_EqualCv2FillPoly()
    {
        int w = Golden.GetProperty("width").GetInt32(), h = Golden.GetProperty("height").GetInt32();
        int i = 0;
        foreach (var c in Golden.GetProperty("cases").EnumerateArray())
        {
            var polys = c.GetProperty("polygons").EnumerateArray()
                .Select(p => (IReadOnlyList<(int, int)>)p.EnumerateArray().Select(v => (v[0].GetInt32(), v[1].GetInt32())).ToList())
                .ToList();
            var actual = Polygons.Rasterize(w, h, polys);
            GoldenArray.AssertClose(GoldenArray.U8(c.GetProperty("expected")), actual, 0, $"case {i++}");
        }
    }

    [Fact]
    public void Fill_AxisAlignedRectangle_CoversInclusiveBounds()
    {
        var mask = Polygons.Rasterize(10, 8, [[(2, 1), (6, 1), (6, 4), (2, 4)]]);
        Assert.Equal(5 * 4, mask.Data.Count(v => v == 255));
        Assert.Equal(255, mask[6, 4]);
        Assert.Equal(0, mask[7, 4]);
    }

    [Fact]
    public void Fill_ThreeChannelImage_WritesAllChannels()
    {
        var img = new Image<byte>(6, 6, 3);
        Polygons.Fill(img, [[(1, 1), (4, 1), (4, 4)]], 9);
        Assert.Equal(img[4, 4, 0], img[4, 4, 2]);
        Assert.Equal(9, img[4, 4, 1]);
    }
}
