using System.Text.Json;
using Thorax.Imaging.Ops;

namespace Thorax.Imaging.Tests.Ops;

/// <summary>uint16 morphology against cv2.erode / dilate / morphologyEx (tools/golden/imaging/golden_ops.py,
/// morphology_u16): full-range, 12-bit and 3-channel inputs, rectangle/ellipse/cross elements.</summary>
public class MorphologyU16Tests
{
    private static readonly JsonElement Golden = TestData.GoldenJson("ops/morphology_u16.json");

    [Fact]
    public void Operations_EqualCv2()
    {
        var inputs = Golden.GetProperty("inputs");
        int n = 0;
        foreach (var c in Golden.GetProperty("cases").EnumerateArray())
        {
            var se = StructuringElement.Create(GoldenNames.Shape(c.GetProperty("shape").GetString()!), c.GetProperty("width").GetInt32(),
                c.GetProperty("height").GetInt32());
            var src = GoldenArray.U16(inputs.GetProperty(c.GetProperty("input").GetString()!));
            string op = c.GetProperty("op").GetString()!;
            var actual = op switch
            {
                "erode" => Morphology.Erode(src, se),
                "dilate" => Morphology.Dilate(src, se),
                "open" => Morphology.Open(src, se),
                _ => Morphology.Close(src, se),
            };
            var expected = GoldenArray.U16(c.GetProperty("expected"));
            Assert.True(expected.Data.AsSpan().SequenceEqual(actual.Data),
                $"{op} {c.GetProperty("shape")} {c.GetProperty("width")}x{c.GetProperty("height")} on {c.GetProperty("input")}");
            n++;
        }
        Assert.Equal(72, n);
    }
}
