using Thorax.Dicom.Tests.Infrastructure;

namespace Thorax.Dicom.Tests.IO;

/// <summary>
/// A data set encoded in implicit VR under a meta group that declares Explicit VR Little Endian
/// (tests/data/golden/dicom/twins/u16_mismatch.dcm, made by tools/golden/dicom/make_twins.sh; dcmtk's dcmdump -td and
/// pydicom read it with a warning): read as implicit VR with a warning on the result, never silently, while corrupt VR
/// bytes inside a data set are still refused.
/// </summary>
public sealed class ImplicitVRFallbackTests
{
    private static readonly string Mismatch = TestPaths.Twin("u16_mismatch.dcm");
    private static readonly string Twin = TestPaths.Twin("u16_mismatch_twin.dcm");

    [Fact]
    public void Mismatch_file_reads_with_a_warning_naming_the_file()
    {
        var file = DicomFile.Open(Mismatch);

        Assert.Equal(TransferSyntax.ExplicitVRLittleEndian, file.TransferSyntax);
        Assert.True(file.IsImplicitVRDataset);
        var warning = Assert.Single(file.Warnings);
        Assert.Contains("implicit VR", warning);
        Assert.Contains("(0008,0016)", warning);
        Assert.Contains(Mismatch, warning);
    }

    [Fact]
    public void Mismatch_file_has_its_twins_elements_and_pixels()
    {
        var file = DicomFile.Open(Mismatch);
        var twin = DicomFile.Open(Twin);

        Assert.Empty(twin.Warnings);
        Assert.False(twin.IsImplicitVRDataset);
        Assert.Equal(twin.Dataset.Select(i => i.Tag), file.Dataset.Select(i => i.Tag));
        foreach (var tag in new[] { DicomTag.SOPClassUID, DicomTag.SOPInstanceUID, DicomTag.PatientID, DicomTag.PhotometricInterpretation })
            Assert.Equal(twin.Dataset.GetString(tag), file.Dataset.GetString(tag));
        Assert.Equal(DicomPixelData.Create(twin).DecodeFrame(0).Data, DicomPixelData.Create(file).DecodeFrame(0).Data);
    }

    [Fact]
    public void Dicom_info_carries_the_warning()
    {
        var info = DicomInfo.Read(Mismatch);
        Assert.Single(info.Warnings);
        Assert.Contains("\"warnings\"", info.ToJson());
        Assert.Contains("Warning", info.ToText());
        Assert.Empty(DicomInfo.Read(Twin).Warnings);
    }

    [Fact]
    public void Conforming_corpus_files_have_no_warnings()
    {
        foreach (var name in new[] { "u12_explicit_le.dcm", "u12_implicit_le.dcm", "u12_explicit_be.dcm", "u12_deflated.dcm", "u12_no_preamble.dcm" })
        {
            var file = DicomFile.Open(TestPaths.Corpus(name));
            Assert.Empty(file.Warnings);
            Assert.Equal(!file.TransferSyntax.IsExplicitVR, file.IsImplicitVRDataset);
        }
    }

    [Fact]
    public void Invalid_VR_bytes_after_the_first_element_are_still_refused()
    {
        // The explicit twin with the VR of its third element, (0008,0060) CS, replaced by two zero bytes.
        var data = File.ReadAllBytes(Twin);
        var at = data.AsSpan().IndexOf(new byte[] { 0x08, 0x00, 0x60, 0x00, (byte)'C', (byte)'S' });
        Assert.True(at > 0);
        data[at + 4] = 0;
        data[at + 5] = 0;
        var e = Assert.Throws<DicomFormatException>(() => DicomFile.Parse(data, "midvr.dcm"));
        Assert.Equal(new DicomTag(0x0008, 0x0060), e.Tag);
        Assert.Contains("midvr.dcm", e.Message);
    }

    [Fact]
    public void First_element_that_is_neither_explicit_nor_implicit_is_refused()
    {
        // Implicit reading would give the first element a length past the end of the file: a corrupt file, not a mismatch.
        var data = File.ReadAllBytes(Mismatch);
        var at = data.AsSpan().IndexOf(new byte[] { 0x08, 0x00, 0x16, 0x00 });
        Assert.True(at > 0);
        BitConverter.GetBytes(0x7FFF0000u).CopyTo(data, at + 4);
        var e = Assert.Throws<DicomFormatException>(() => DicomFile.Parse(data, "badfirst.dcm"));
        Assert.Equal(new DicomTag(0x0008, 0x0016), e.Tag);
        Assert.Contains("badfirst.dcm", e.Message);
    }

    [Fact]
    public void Truncated_mismatch_file_raises_the_readers_exception()
    {
        var data = File.ReadAllBytes(Mismatch);
        var e = Assert.Throws<DicomFormatException>(() => DicomFile.Parse(data.AsMemory(0, data.Length - 7), "cut.dcm"));
        Assert.Contains("cut.dcm", e.Message);
        Assert.Equal(DicomTag.PixelData, e.Tag);
    }
}
