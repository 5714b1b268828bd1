namespace Thorax.Imaging.Tests.Core;

public class ImageTests
{
    [Fact]
    public void Indexer_InterleavedLayout_MatchesRowMajorOffset()
    {
        var img = new Image<float>(3, 2, 2);
        img[2, 1, 1] = 7f;
        Assert.Equal(7f, img.Pixels[(1 * 3 + 2) * 2 + 1]);
        Assert.Equal(7f, img.Row(1)[2 * 2 + 1]);
        Assert.Equal(6, img.RowLength);
    }

    [Fact]
    public void Constructor_WrongDataLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Image<byte>(2, 2, 1, new byte[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Image<byte>(0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Image<byte>(2, 2, 5));
    }

    [Fact]
    public void Indexer_OutOfRange_Throws()
    {
        var img = new Image<ushort>(2, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => img[2, 0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => img[0, 0, 1]);
    }

    [Fact]
    public void Clone_IsDeepCopy()
    {
        var img = new Image<byte>(2, 2);
        var copy = img.Clone();
        copy[0, 0] = 9;
        Assert.Equal(0, img[0, 0]);
        Assert.True(copy.HasSameShape(img));
    }

    [Fact]
    public void ImageFormatException_Message_NamesFileFieldAndOffset()
    {
        var e = new ImageFormatException("bad", "/a/b.png", 33, "IHDR");
        Assert.Equal("/a/b.png, IHDR, offset 33: bad", e.Message);
        Assert.IsAssignableFrom<ImagingException>(e);
    }
}
