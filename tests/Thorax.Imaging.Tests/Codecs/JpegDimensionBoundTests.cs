using Thorax.Imaging.Codecs;

namespace Thorax.Imaging.Tests.Codecs;

/// <summary>
/// Regression test for a finding of <c>thorax fuzz --format jpeg</c>: a 400-byte JPEG whose SOF declared 16384x16384
/// made Jpeg.Decode allocate 256 MiB and decode for 40 s (an amplification a modality's bad file could use to take a
/// service down). The header's pixel count is now bounded by what the data can encode.
/// </summary>
public class JpegDimensionBoundTests
{
    private static byte[] WithDimensions(ushort height, ushort width)
    {
        var data = File.ReadAllBytes(TestData.Golden("codecs/grey_q50.jpg"));
        var sof = data.AsSpan().IndexOf(new byte[] { 0xFF, 0xC0 });
        Assert.True(sof > 0);
        data[sof + 5] = (byte)(height >> 8);
        data[sof + 6] = (byte)height;
        data[sof + 7] = (byte)(width >> 8);
        data[sof + 8] = (byte)width;
        return data;
    }

    [Theory]
    [InlineData(16384, 16384)]
    [InlineData(32768, 32768)]
    [InlineData(65000, 4097)]
    public void Header_declaring_more_pixels_than_the_data_can_encode_is_refused_without_allocating(int h, int w)
    {
        var data = WithDimensions((ushort)h, (ushort)w);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ImageFormatException>(() => Jpeg.Decode(data, "tiny.jpg"));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Contains("tiny.jpg", e.Message);
        Assert.Contains($"{w}x{h}", e.Message);
    }

    [Fact]
    public void Bound_allows_real_images()
    {
        Assert.Equal(1L << 24, Jpeg.MaxPixels(100));              // small files: up to 4096 x 4096
        Assert.True(Jpeg.MaxPixels(500_000) >= 3000L * 3000 * 50); // a 500 kB chest X-ray: far above its pixels
        var ok = Jpeg.Decode(WithDimensions(64, 64), "ok.jpg");      // within the bound: decodes (possibly with warnings)
        Assert.Equal(64, ok.Width);
    }
}
