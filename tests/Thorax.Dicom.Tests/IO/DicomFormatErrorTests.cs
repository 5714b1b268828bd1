using System.Buffers.Binary;
using Thorax.Dicom.Tests.Infrastructure;

namespace Thorax.Dicom.Tests.IO;

public class DicomFormatErrorTests
{
    private static byte[] Reference() => File.ReadAllBytes(TestPaths.Corpus("u12_explicit_le.dcm"));

    [Fact]
    public void Parse_NotDicom_ThrowsWithOffset()
    {
        var bytes = new byte[300];
        bytes.AsSpan().Fill(0x41);
        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Parse(bytes, "junk.bin"));
        Assert.Equal("junk.bin", ex.FilePath);
        Assert.Equal(128, ex.ByteOffset);
        Assert.Contains("DICM", ex.Message);
    }

    [Fact]
    public void Parse_Empty_Throws() => Assert.Throws<DicomFormatException>(() => DicomFile.Parse(Array.Empty<byte>()));

    [Fact]
    public void Parse_TruncatedInPixelData_ThrowsWithPixelDataTag()
    {
        var bytes = Reference();
        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Parse(bytes.AsMemory(0, bytes.Length - 100), "t.dcm"));
        Assert.Equal(DicomTag.PixelData, ex.Tag);
        Assert.Contains("past the end", ex.Problem);
        Assert.NotNull(ex.ByteOffset);
    }

    [Fact]
    public void Parse_TruncatedHeaderOnly_StillReadsHeader()
    {
        var bytes = Reference();
        var file = DicomFile.Parse(bytes.AsMemory(0, bytes.Length - 100), options: new DicomReadOptions { HeaderOnly = true });
        Assert.Equal(64, file.Dataset.GetInt(DicomTag.Rows));
    }

    [Fact]
    public void Parse_OddLength_Throws()
    {
        var bytes = Reference();
        int at = FindElement(bytes, DicomTag.Modality);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at + 6), 3);
        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Parse(bytes));
        Assert.Equal(DicomTag.Modality, ex.Tag);
        Assert.Equal(at, ex.ByteOffset);
        Assert.Contains("Odd", ex.Problem);
    }

    [Fact]
    public void Parse_UnknownTransferSyntax_Throws()
    {
        var bytes = Reference();
        int at = FindElement(bytes, DicomTag.TransferSyntaxUID);
        bytes[at + 8] = (byte)'9'; // "1.2..." -> "9.2..."
        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Parse(bytes));
        Assert.Equal(DicomTag.TransferSyntaxUID, ex.Tag);
    }

    [Fact]
    public void Decode_PixelDataShorterThanImage_Throws()
    {
        var file = DicomFile.Open(TestPaths.Corpus("u12_explicit_le.dcm"));
        file.Dataset.AddOrUpdate(DicomTag.Rows, DicomVR.US, 65);
        var ex = Assert.Throws<DicomFormatException>(() => DicomPixelData.Create(file));
        Assert.Equal(DicomTag.PixelData, ex.Tag);
        Assert.Contains("need", ex.Problem);
    }

    [Fact]
    public void Decode_CorruptRle_ThrowsDicomFormatException()
    {
        var bytes = File.ReadAllBytes(TestPaths.Corpus("u12_rle.dcm"));
        var file = DicomFile.Parse(bytes);
        var frag = ((DicomFragmentSequence)file.Dataset.GetItem(DicomTag.PixelData)).Fragments[0];
        // Claim 3 segments in the RLE header of a 16-bit grayscale frame (needs 2).
        System.Runtime.InteropServices.MemoryMarshal.AsMemory(frag).Span[0] = 3;
        var ex = Assert.Throws<DicomFormatException>(() => DicomPixelData.Create(file).DecodeFrame(0));
        Assert.Contains("RLE", ex.Message);
    }

    [Fact]
    public void Decode_TruncatedJpegLossless_ThrowsDicomFormatException()
    {
        var file = DicomFile.Open(TestPaths.Corpus("u12_jpeg_sv1.dcm"));
        var seq = (DicomFragmentSequence)file.Dataset.GetItem(DicomTag.PixelData);
        var cut = new DicomFragmentSequence(DicomTag.PixelData, seq.OffsetTable, [seq.Fragments[0][..(seq.Fragments[0].Length / 2)]]);
        file.Dataset.AddOrUpdate(cut);
        Assert.Throws<DicomFormatException>(() => DicomPixelData.Create(file).DecodeFrame(0));
    }

    [Fact]
    public void Parse_DeeplyNestedSequences_ThrowsInsteadOfOverflowing()
    {
        // 200 nested undefined-length sequences/items in explicit VR little endian, no meta group (bare data set).
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write((ushort)0x0008); w.Write((ushort)0x0060); w.Write("CS"u8); w.Write((ushort)2); w.Write("DX"u8);
        for (int i = 0; i < 200; i++)
        {
            w.Write((ushort)0x0008); w.Write((ushort)0x1115); w.Write("SQ"u8); w.Write((ushort)0); w.Write(0xFFFFFFFFu);
            w.Write((ushort)0xFFFE); w.Write((ushort)0xE000); w.Write(0xFFFFFFFFu);
        }
        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Parse(ms.ToArray()));
        Assert.Contains("nested", ex.Problem);
    }

    [Fact]
    public void CodecException_WithFilePath_NamesFileAndPixelData_KeepsProblemAndPackage()
    {
        var raw = new DicomCodecException("stream uses a feature this codec lacks", TransferSyntax.JPEGLossless, "libfoo0");
        Assert.Null(raw.FilePath);
        Assert.Equal("stream uses a feature this codec lacks", raw.Message);
        var named = raw.WithFilePath("scan.dcm");
        Assert.Equal("scan.dcm", named.FilePath);
        Assert.Contains("file 'scan.dcm'", named.Message);
        Assert.Contains(DicomTag.PixelData.ToString(), named.Message);
        Assert.Equal(raw.Problem, named.Problem);
        Assert.Same(TransferSyntax.JPEGLossless, named.TransferSyntax);
        Assert.Equal("libfoo0", named.MissingPackage);
        Assert.Same(named, named.WithFilePath("other.dcm"));
    }

    /// <summary>Offset of an explicit VR LE element header with this tag (first match).</summary>
    private static int FindElement(byte[] bytes, DicomTag tag)
    {
        Span<byte> key = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(key, tag.Group);
        BinaryPrimitives.WriteUInt16LittleEndian(key[2..], tag.Element);
        int at = bytes.AsSpan().IndexOf(key);
        Assert.True(at >= 0, $"{tag} not found");
        return at;
    }
}
