using System.Text.Json;
using Thorax.Imaging.Ops;

namespace Thorax.Imaging.Tests.Ops;

public class HistogramTests
{
    private static readonly JsonElement Golden = TestData.GoldenJson("ops/clahe.json");

    [Fact]
    public void Clahe_UInt8_BitExactWithCv2()
    {
        foreach (var c in Golden.GetProperty("cases").EnumerateArray())
        {
            var src = GoldenArray.U8(c.GetProperty("input"));
            double clip = c.GetProperty("clip").GetDouble();
            int tx = c.GetProperty("tiles_x").GetInt32(), ty = c.GetProperty("tiles_y").GetInt32();
            var actual = Histogram.Clahe(src, clip, tx, ty);
            GoldenArray.AssertClose(GoldenArray.U8(c.GetProperty("expected")), actual, 0, $"{src} clip {clip} tiles {tx}x{ty}");
        }
    }

    [Fact]
    public void Clahe_UInt16_BitExactWithCv2()
    {
        foreach (var c in Golden.GetProperty("cases16").EnumerateArray())
        {
            var src = GoldenArray.U16(c.GetProperty("input"));
            double clip = c.GetProperty("clip").GetDouble();
            int tx = c.GetProperty("tiles_x").GetInt32(), ty = c.GetProperty("tiles_y").GetInt32();
            var actual = Histogram.Clahe(src, clip, tx, ty);
            Assert.Equal(GoldenArray.U16(c.GetProperty("expected")).Data, actual.Data);
        }
    }

    [Fact]
    public void Equalize_BitExactWithCv2()
    {
        foreach (var c in Golden.GetProperty("equalize").EnumerateArray())
        {
            var actual = Histogram.Equalize(GoldenArray.U8(c.GetProperty("input")));
            Assert.Equal(GoldenArray.U8(c.GetProperty("expected")).Data, actual.Data);
        }
    }

    [Fact]
    public void Equalize_Output_IsMonotoneInInput()
    {
        var img = new Image<byte>(40, 30);
        new Random(8).NextBytes(img.Data);
        var eq = Histogram.Equalize(img);
        for (int i = 0; i < img.Data.Length; i++)
            for (int j = i + 1; j < Math.Min(img.Data.Length, i + 50); j++)
                if (img.Data[i] < img.Data[j]) Assert.True(eq.Data[i] <= eq.Data[j]);
    }

    [Fact]
    public void Clahe_MultiChannel_Throws()
    {
        Assert.Throws<ArgumentException>(() => Histogram.Clahe(new Image<byte>(16, 16, 3)));
    }
}
