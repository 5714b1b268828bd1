using System.Text.Json;
using Thorax.Imaging.Ops;

namespace Thorax.Imaging.Tests.Ops;

/// <summary>Component filters against skimage (tools/golden/imaging/golden_ops.py, mask_filters):
/// <see cref="MaskOps.RemoveSmallComponents"/> = <c>remove_small_objects(mask, min_size, connectivity)</c>, and
/// <see cref="MaskOps.KeepLargestComponents"/> = the k largest <c>skimage.measure.label</c> components.</summary>
public class MaskFilterGoldenTests
{
    private static readonly JsonElement Golden = TestData.GoldenJson("ops/mask_filters.json");

    private static Image<byte> Input(JsonElement c) => GoldenArray.U8(Golden.GetProperty("inputs")[c.GetProperty("input").GetInt32()]);

    private static Connectivity Conn(JsonElement c) => c.GetProperty("connectivity").GetInt32() == 4 ? Connectivity.Four : Connectivity.Eight;

    [Fact]
    public void RemoveSmallComponents_EqualsSkimageRemoveSmallObjects()
    {
        int n = 0;
        foreach (var c in Golden.GetProperty("remove_small").EnumerateArray())
        {
            int minSize = c.GetProperty("min_size").GetInt32();
            var actual = MaskOps.RemoveSmallComponents(Input(c), minSize, Conn(c));
            GoldenArray.AssertClose(GoldenArray.U8(c.GetProperty("expected")), actual, 0, $"input {c.GetProperty("input")} conn {Conn(c)} min {minSize}");
            n++;
        }
        Assert.Equal(30, n);
    }

    [Fact]
    public void KeepLargestComponents_EqualsLargestSkimageLabels()
    {
        int n = 0;
        foreach (var c in Golden.GetProperty("keep_largest").EnumerateArray())
        {
            int count = c.GetProperty("count").GetInt32();
            var actual = MaskOps.KeepLargestComponents(Input(c), count, Conn(c));
            GoldenArray.AssertClose(GoldenArray.U8(c.GetProperty("expected")), actual, 0, $"input {c.GetProperty("input")} conn {Conn(c)} keep {count}");
            n++;
        }
        Assert.Equal(18, n);
    }
}
