using Thorax.Imaging.Ops;

namespace Thorax.Imaging.Tests.Ops;

public class PixelConvertTests
{
    [Fact]
    public void ToByte_RoundsHalfToEvenAndSaturates()
    {
        var f = new Image<float>(6, 1, 1, [-3f, 0.5f, 1.5f, 2.49f, 254.6f, 1e6f]);
        Assert.Equal(new byte[] { 0, 0, 2, 2, 255, 255 }, PixelConvert.ToByte(f).Data);
    }

    [Fact]
    public void ToFloat_ThenToByte_RoundTrips()
    {
        var b = new Image<byte>(16, 16);
        for (int i = 0; i < 256; i++) b.Data[i] = (byte)i;
        Assert.Equal(b.Data, PixelConvert.ToByte(PixelConvert.ToFloat(b, 1f / 255), 255f).Data);
    }

    [Fact]
    public void ToGrey_UsesPilWeights()
    {
        var rgb = new Image<byte>(2, 1, 3, [255, 0, 0, 10, 200, 30]);
        // PIL: (19595 R + 38470 G + 7471 B + 0x8000) >> 16
        Assert.Equal(new byte[] { 76, (byte)((10 * 19595 + 200 * 38470 + 30 * 7471 + 0x8000) >> 16) }, PixelConvert.ToGrey(rgb).Data);
    }

    [Fact]
    public void ToFloat_UInt16_Scales()
    {
        var u = new Image<ushort>(2, 1, 1, [0, 65535]);
        Assert.Equal(new[] { 0f, 1f }, PixelConvert.ToFloat(u, 1f / 65535).Data);
    }
}
