using Thorax.Dicom.Tests.Infrastructure;

namespace Thorax.Dicom.Tests.IO;

public class DicomFileTests
{
    public static TheoryData<string> CorpusFiles()
    {
        var data = new TheoryData<string>();
        foreach (var e in TestPaths.CorpusEntries()) data.Add(e.GetProperty("file").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Open_CorpusFile_HasGoldenSyntaxAndGeometry(string name)
    {
        var golden = TestPaths.CorpusEntries().First(e => e.GetProperty("file").GetString() == name);
        var file = DicomFile.Open(TestPaths.Corpus(name));
        Assert.Multiple(
            () => Assert.Equal(golden.GetProperty("transfer_syntax_uid").GetString(), file.TransferSyntax.Uid),
            () => Assert.Equal(golden.GetProperty("rows").GetInt32(), file.Dataset.GetInt(DicomTag.Rows)),
            () => Assert.Equal(golden.GetProperty("columns").GetInt32(), file.Dataset.GetInt(DicomTag.Columns)),
            () => Assert.Equal(golden.GetProperty("bits_stored").GetInt32(), file.Dataset.GetInt(DicomTag.BitsStored)),
            () => Assert.Equal(golden.GetProperty("photometric_interpretation").GetString(), file.Dataset.GetString(DicomTag.PhotometricInterpretation)));
    }

    [Theory]
    [InlineData("u12_implicit_le.dcm")]
    [InlineData("u12_explicit_be.dcm")]
    [InlineData("u12_deflated.dcm")]
    [InlineData("u12_no_preamble.dcm")]
    public void Open_Transcode_HasSameNonPixelElementsAsExplicitLittleEndian(string name)
    {
        var reference = DicomFile.Open(TestPaths.Corpus("u12_explicit_le.dcm")).Dataset;
        var other = DicomFile.Open(TestPaths.Corpus(name)).Dataset;
        Assert.Equal(reference.Count, other.Count);
        foreach (var item in reference.Where(i => i.Tag != DicomTag.PixelData))
        {
            Assert.True(other.TryGetItem(item.Tag, out var o), $"{item.Tag} missing in {name}");
            if (item is DicomElement e) Assert.Equal(e.Data.ToArray(), ((DicomElement)o).Data.ToArray());
            else Assert.Equal(((DicomSequence)item).Items.Count, ((DicomSequence)o).Items.Count);
        }
    }

    [Fact]
    public void Open_Latin1File_DecodesPatientName()
    {
        var ds = DicomFile.Open(TestPaths.Corpus("u12_explicit_le.dcm")).Dataset;
        Assert.Equal("Müller^Zoë", ds.GetString(DicomTag.PatientName));
    }

    [Fact]
    public void Open_Utf8File_DecodesPatientName()
    {
        var ds = DicomFile.Open(TestPaths.Corpus("u8_mono1_utf8.dcm")).Dataset;
        Assert.Equal("José^Γιάννης", ds.GetString(DicomTag.PatientName));
    }

    [Fact]
    public void Open_ImplicitLittleEndian_KeepsPrivateTagsAndSequences()
    {
        var ds = DicomFile.Open(TestPaths.Corpus("u12_implicit_le.dcm")).Dataset;
        Assert.Equal("THORAX TEST", ds.GetString(new DicomTag(0x0009, 0x0010)));
        // Implicit VR: the private element is read as UN bytes but its text is intact.
        var priv = (DicomElement)ds.GetItem(new DicomTag(0x0009, 0x1010));
        Assert.Same(DicomVR.UN, priv.VR);
        Assert.Equal("private value ", System.Text.Encoding.ASCII.GetString(priv.Data.Span));
        var seq = ds.GetSequence(new DicomTag(0x0008, 0x2218));
        Assert.Single(seq.Items);
        Assert.Equal("Chest", seq.Items[0].GetString(new DicomTag(0x0008, 0x0104)));
    }

    [Fact]
    public void Accessors_MultiValuedAndNumeric_ReturnAllValues()
    {
        var ds = DicomFile.Open(TestPaths.Corpus("u12_explicit_le.dcm")).Dataset;
        Assert.Equal([2048.0, 1000.0], ds.GetDoubles(DicomTag.WindowCenter));
        Assert.Equal(1000.0, ds.GetDouble(DicomTag.WindowCenter, 1));
        Assert.Equal([0.139, 0.139], ds.GetDoubles(DicomTag.PixelSpacing));
        Assert.Equal(64, ds.GetInt(DicomTag.Rows));
        Assert.Equal(7, ds.GetIntOrDefault(DicomTag.NumberOfFrames, 7));
        Assert.False(ds.TryGetInt(DicomTag.NumberOfFrames, out _));
        Assert.Equal("fallback", ds.GetStringOrDefault(DicomTag.StudyDescription, "fallback"));
        Assert.Throws<DicomDataException>(() => ds.GetString(DicomTag.StudyDescription));
        Assert.Throws<DicomDataException>(() => ds.GetInt(DicomTag.PatientName));
    }

    [Fact]
    public void Open_HeaderOnly_StopsBeforePixelData()
    {
        var file = DicomFile.Open(TestPaths.Corpus("u12_rle.dcm"), new DicomReadOptions { HeaderOnly = true });
        Assert.True(file.IsHeaderOnly);
        Assert.False(file.Dataset.Contains(DicomTag.PixelData));
        Assert.Equal(80, file.Dataset.GetInt(DicomTag.Columns));
        Assert.Throws<DicomFormatException>(() => DicomPixelData.Create(file));
    }

    [Fact]
    public void FileMetaInfo_HasTransferSyntaxAndSopInstance()
    {
        var file = DicomFile.Open(TestPaths.Corpus("u12_jpegls.dcm"));
        Assert.Equal(TransferSyntax.JPEGLSLossless.Uid, file.FileMetaInfo.GetString(DicomTag.TransferSyntaxUID));
        Assert.Equal(file.Dataset.GetString(DicomTag.SOPInstanceUID), file.FileMetaInfo.GetString(DicomTag.MediaStorageSOPInstanceUID));
    }

    [SkippableFact]
    public void Open_SiimFile_ReadsHeaderAndEncapsulatedPixelData()
    {
        var files = TestPaths.SiimFiles();
        Skip.If(files.Length == 0, TestPaths.SiimMissing);
        var file = DicomFile.Open(files[0]);
        Assert.Same(TransferSyntax.JPEGBaseline8Bit, file.TransferSyntax);
        var frags = Assert.IsType<DicomFragmentSequence>(file.Dataset.GetItem(DicomTag.PixelData));
        Assert.Empty(frags.OffsetTable);
        Assert.Single(frags.Fragments);
        Assert.Equal("CHEST", file.Dataset.GetString(DicomTag.BodyPartExamined));
    }
}
