using Thorax.Dicom.Tests.Infrastructure;
using Thorax.Dicom.Tests.IO;

namespace Thorax.Dicom.Tests.Pixels;

public class DicomPixelDataTests
{
    public static TheoryData<string> CorpusFiles() => DicomFileTests.CorpusFiles();

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void DecodeFrame_EveryCorpusFrame_MatchesGoldenSha256(string name)
    {
        // Arrange
        var golden = TestPaths.CorpusEntries().First(e => e.GetProperty("file").GetString() == name);
        var expected = golden.GetProperty("frame_sha256").EnumerateArray().Select(e => e.GetString()).ToArray();
        var pixels = DicomPixelData.Create(DicomFile.Open(TestPaths.Corpus(name)));

        // Act
        var actual = Enumerable.Range(0, pixels.FrameCount).Select(i => pixels.DecodeFrame(i).Sha256()).ToArray();

        // Assert
        Assert.Equal(golden.GetProperty("signed").GetBoolean(), pixels.Info.IsSigned);
        Assert.Equal(golden.GetProperty("bits_allocated").GetInt32(), pixels.Info.BitsAllocated);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void DecodeFrame_HighBitsSet_AreMaskedToBitsStored()
    {
        // Arrange: 2x2 unsigned 12-bit values with garbage in bits 12..15.
        var ds = SmallImage(bitsStored: 12, signed: false, [0xF001, 0x1FFF, 0x0800, 0xA123]);
        // Act
        var frame = DicomPixelData.Create(ds, TransferSyntax.ExplicitVRLittleEndian).DecodeFrame(0);
        // Assert
        Assert.Equal(new ushort[] { 0x001, 0xFFF, 0x800, 0x123 }, frame.AsUInt16().ToArray());
    }

    [Fact]
    public void DecodeFrame_Signed12Bit_IsSignExtended()
    {
        var ds = SmallImage(bitsStored: 12, signed: true, [0x0FFF, 0x0800, 0x07FF, 0xF001]);
        var frame = DicomPixelData.Create(ds, TransferSyntax.ExplicitVRLittleEndian).DecodeFrame(0);
        Assert.Equal(new short[] { -1, -2048, 2047, 1 }, frame.AsInt16().ToArray());
        Assert.Equal((-2048L, 2047L, -0.25), frame.Statistics());
    }

    [Fact]
    public void DecodeFrame_FrameIndexOutOfRange_Throws()
    {
        var pixels = DicomPixelData.Create(DicomFile.Open(TestPaths.Corpus("mf3_rle.dcm")));
        Assert.Equal(3, pixels.FrameCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => pixels.DecodeFrame(3));
    }

    [Fact]
    public void DecodeFrame_EmptyRegistry_ThrowsDicomCodecException()
    {
        var pixels = DicomPixelData.Create(DicomFile.Open(TestPaths.Corpus("u12_rle.dcm")));
        var ex = Assert.Throws<DicomCodecException>(() => pixels.DecodeFrame(0, new PixelCodecRegistry([])));
        Assert.Same(TransferSyntax.RLELossless, ex.TransferSyntax);
    }

    internal static DicomDataset SmallImage(int bitsStored, bool signed, ushort[] values)
    {
        var ds = new DicomDataset()
            .AddOrUpdate(DicomTag.Rows, DicomVR.US, 2).AddOrUpdate(DicomTag.Columns, DicomVR.US, 2)
            .AddOrUpdate(DicomTag.BitsAllocated, DicomVR.US, 16).AddOrUpdate(DicomTag.BitsStored, DicomVR.US, bitsStored)
            .AddOrUpdate(DicomTag.HighBit, DicomVR.US, bitsStored - 1).AddOrUpdate(DicomTag.PixelRepresentation, DicomVR.US, signed ? 1 : 0)
            .AddOrUpdate(DicomTag.SamplesPerPixel, DicomVR.US, 1).AddOrUpdate(DicomTag.PhotometricInterpretation, DicomVR.CS, "MONOCHROME2");
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(2 * i), values[i]);
        return ds.AddOrUpdate(new DicomElement(DicomTag.PixelData, DicomVR.OW, bytes));
    }
}
