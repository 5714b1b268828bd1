namespace Thorax.Dicom.Tests.Vocabulary;

public class TransferSyntaxTests
{
    [Theory]
    [InlineData("1.2.840.10008.1.2", false, false, false, false)]
    [InlineData("1.2.840.10008.1.2.1", true, false, false, false)]
    [InlineData("1.2.840.10008.1.2.2", true, true, false, false)]
    [InlineData("1.2.840.10008.1.2.4.50", true, false, true, true)]
    [InlineData("1.2.840.10008.1.2.4.70", true, false, true, false)]
    [InlineData("1.2.840.10008.1.2.4.91", true, false, true, true)]
    [InlineData("1.2.840.10008.1.2.5", true, false, true, false)]
    public void Lookup_KnownUid_HasExpectedFlags(string uid, bool explicitVR, bool bigEndian, bool encapsulated, bool lossy)
    {
        var ts = TransferSyntax.Lookup(uid);
        Assert.Multiple(
            () => Assert.Equal(uid, ts.Uid),
            () => Assert.Equal(explicitVR, ts.IsExplicitVR),
            () => Assert.Equal(bigEndian, ts.IsBigEndian),
            () => Assert.Equal(encapsulated, ts.IsEncapsulated),
            () => Assert.Equal(lossy, ts.IsLossy));
    }

    [Fact]
    public void Lookup_PaddedUid_ReturnsSameInstance() =>
        Assert.Same(TransferSyntax.JPEGBaseline8Bit, TransferSyntax.Lookup("1.2.840.10008.1.2.4.50\0"));

    [Fact]
    public void Lookup_UnknownUid_ThrowsDicomFormatException()
    {
        var ex = Assert.Throws<DicomFormatException>(() => TransferSyntax.Lookup("1.2.3.4"));
        Assert.Equal(DicomTag.TransferSyntaxUID, ex.Tag);
    }

    [Fact]
    public void Deflated_IsDeflatedAndExplicit() =>
        Assert.True(TransferSyntax.DeflatedExplicitVRLittleEndian is { IsDeflated: true, IsExplicitVR: true, IsEncapsulated: false });

    [Fact]
    public void DefaultRegistry_CoversEveryEncapsulatedSyntax()
    {
        foreach (var ts in TransferSyntax.All.Where(t => t.IsEncapsulated))
            Assert.True(PixelCodecRegistry.Default.TryGetCodec(ts, out _), ts.ToString());
    }
}
