using System.Text.Json;
using Thorax.Imaging.Ops;

namespace Thorax.Imaging.Tests.Ops;

public class MorphologyTests
{
    private static readonly JsonElement Golden = TestData.GoldenJson("ops/morphology.json");

    [Fact]
    public void StructuringElement_AllShapesAndSizes_EqualGetStructuringElement()
    {
        foreach (var k in Golden.GetProperty("kernels").EnumerateArray())
        {
            int w = k.GetProperty("width").GetInt32(), h = k.GetProperty("height").GetInt32();
            string shape = k.GetProperty("shape").GetString()!;
            var se = StructuringElement.Create(GoldenNames.Shape(shape), w, h);
            var expected = GoldenArray.U8(k.GetProperty("expected"));
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    Assert.True(expected[x, y] == 1 == se[x, y], $"{shape} {w}x{h} at ({x},{y})");
        }
    }

    [Theory]
    [InlineData("binary")]
    [InlineData("grey")]
    [InlineData("float")]
    public void Operations_AllElements_EqualCv2(string input)
    {
        var inputs = Golden.GetProperty("inputs");
        int n = 0;
        foreach (var c in Golden.GetProperty("cases").EnumerateArray())
        {
            if (c.GetProperty("input").GetString() != input) continue;
            var se = StructuringElement.Create(GoldenNames.Shape(c.GetProperty("shape").GetString()!), c.GetProperty("width").GetInt32(),
                c.GetProperty("height").GetInt32());
            string op = c.GetProperty("op").GetString()!;
            if (input == "float")
            {
                var src = GoldenArray.F32(inputs.GetProperty(input));
                var actual = op switch
                {
                    "erode" => Morphology.Erode(src, se),
                    "dilate" => Morphology.Dilate(src, se),
                    "open" => Morphology.Open(src, se),
                    _ => Morphology.Close(src, se),
                };
                Assert.Equal(GoldenArray.F32(c.GetProperty("expected")).Data, actual.Data);
            }
            else
            {
                var src = GoldenArray.U8(inputs.GetProperty(input));
                var actual = op switch
                {
                    "erode" => Morphology.Erode(src, se),
                    "dilate" => Morphology.Dilate(src, se),
                    "open" => Morphology.Open(src, se),
                    _ => Morphology.Close(src, se),
                };
                Assert.Equal(GoldenArray.U8(c.GetProperty("expected")).Data, actual.Data);
            }
            n++;
        }
        Assert.Equal(48, n);
    }

    [Fact]
    public void ErodeDilate_OneByOneElement_IsIdentity()
    {
        var img = new Image<byte>(11, 5, 2);
        new Random(2).NextBytes(img.Data);
        var se = StructuringElement.Create(MorphShape.Ellipse, 1, 1);
        Assert.Equal(img.Data, Morphology.Erode(img, se).Data);
        Assert.Equal(img.Data, Morphology.Dilate(img, se).Data);
    }

    [Fact]
    public void Open_IsAntiExtensive_Close_IsExtensive()
    {
        var img = new Image<byte>(33, 21);
        new Random(4).NextBytes(img.Data);
        var se = StructuringElement.Create(MorphShape.Ellipse, 5, 5);
        var open = Morphology.Open(img, se);
        var close = Morphology.Close(img, se);
        for (int i = 0; i < img.Data.Length; i++)
        {
            Assert.True(open.Data[i] <= img.Data[i]);
            Assert.True(close.Data[i] >= img.Data[i]);
        }
    }
}
