namespace Thorax.Dicom.Tests.Pixels;

/// <summary>Splitting encapsulated fragments into frames without a basic offset table (PS3.5 A.4): a frame starts at a
/// fragment opening with its syntax's start marker, and only that marker.</summary>
public sealed class FrameSplitTests
{
    private static readonly byte[] Soi = [0xFF, 0xD8];
    private static readonly byte[] Soc = [0xFF, 0x4F, 0xFF, 0x51];

    private static DicomPixelData TwoFrames(TransferSyntax syntax, params byte[][] fragments)
    {
        var ds = new DicomDataset()
            .AddOrUpdate(DicomTag.SamplesPerPixel, DicomVR.US, 1)
            .AddOrUpdate(DicomTag.PhotometricInterpretation, DicomVR.CS, "MONOCHROME2")
            .AddOrUpdate(DicomTag.Rows, DicomVR.US, 2)
            .AddOrUpdate(DicomTag.Columns, DicomVR.US, 2)
            .AddOrUpdate(DicomTag.BitsAllocated, DicomVR.US, 8)
            .AddOrUpdate(DicomTag.BitsStored, DicomVR.US, 8)
            .AddOrUpdate(DicomTag.HighBit, DicomVR.US, 7)
            .AddOrUpdate(DicomTag.PixelRepresentation, DicomVR.US, 0)
            .AddOrUpdate(DicomTag.NumberOfFrames, DicomVR.IS, "2")
            .AddOrUpdate(new DicomFragmentSequence(DicomTag.PixelData, [], fragments.Select(f => (ReadOnlyMemory<byte>)f).ToList()));
        return DicomPixelData.Create(ds, syntax, "split.dcm");
    }

    private static byte[] Cat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    [Fact]
    public void JpegLs_ContinuationFragmentStartingWithFF4F_StaysInItsFrame()
    {
        // A JPEG-LS stream cut mid-scan can leave a fragment starting FF 4F (J2K's SOC bytes); it is not a frame start.
        byte[] a = Cat(Soi, [1, 2]), b = [0xFF, 0x4F, 3], c = Cat(Soi, [4]), d = [5, 6];
        var px = TwoFrames(TransferSyntax.JPEGLSLossless, a, b, c, d);
        Assert.Equal(Cat(a, b), px.GetFrameBytes(0).ToArray());
        Assert.Equal(Cat(c, d), px.GetFrameBytes(1).ToArray());
    }

    [Fact]
    public void Jpeg2000_FramesStartAtSocSiz_NotAtJpegSoi()
    {
        byte[] a = Cat(Soc, [1]), b = Cat(Soi, [2]), c = Cat(Soc, [3]), d = [4];
        var px = TwoFrames(TransferSyntax.JPEG2000Lossless, a, b, c, d);
        Assert.Equal(Cat(a, b), px.GetFrameBytes(0).ToArray());
        Assert.Equal(Cat(c, d), px.GetFrameBytes(1).ToArray());
    }

    [Fact]
    public void Rle_SeveralFragmentsPerFrameWithoutOffsetTable_IsAFormatErrorNamingTheFile()
    {
        var px = TwoFrames(TransferSyntax.RLELossless, [1], [2], [3]);
        var e = Assert.Throws<DicomFormatException>(() => px.GetFrameBytes(0));
        Assert.Contains("split.dcm", e.Message);
        Assert.Contains("no start marker", e.Message);
    }

    [Fact]
    public void Jpeg_MarkersGiveWrongFrameCount_IsAFormatError()
    {
        var px = TwoFrames(TransferSyntax.JPEGLosslessSV1, Cat(Soi, [1]), [2], [3]);
        var e = Assert.Throws<DicomFormatException>(() => px.GetFrameBytes(1));
        Assert.Contains("Cannot split 3 fragments into 2 frames", e.Message);
    }
}
