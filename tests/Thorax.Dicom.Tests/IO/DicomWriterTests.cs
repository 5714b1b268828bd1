using Thorax.Dicom.Tests.Infrastructure;

namespace Thorax.Dicom.Tests.IO;

public sealed class DicomWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("thorax-dicom-writer-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> RoundTripFiles() =>
        ["u12_implicit_le.dcm", "u12_explicit_be.dcm", "u12_deflated.dcm", "u12_rle.dcm", "u16_jpegls.dcm", "s12_rle.dcm",
         "mf3_jpeg_sv1_no_bot.dcm", "u8_mono1_utf8.dcm", "u12_j2k.dcm",
         "seq_undefined_explicit_le.dcm", "seq_undefined_implicit_le.dcm", "seq_mixed_un_explicit_le.dcm",
         "mf3_64x48_jpeg_sv1_frag_no_bot.dcm", "mf3_64x48_j2k_frag_bot.dcm", "s16_jpegls.dcm", "u12_hb15.dcm", "s12_hb11_garbage.dcm"];

    [Theory]
    [MemberData(nameof(RoundTripFiles))]
    public void WriteUncompressed_CorpusFile_KeepsEveryElementAndPixels(string name) =>
        AssertRoundTrip(TestPaths.Corpus(name));

    /// <summary>Byte-order twins, 1-bit, YBR_FULL_422 and the implicit/explicit mismatch file (make_twins.sh).</summary>
    [Theory]
    [InlineData("u8_ow_be.dcm")]
    [InlineData("u8_ow_mf3_be.dcm")]
    [InlineData("u32_ow_be.dcm")]
    [InlineData("b1_ow_mf3_be.dcm")]
    [InlineData("b1_ob_mf3_le.dcm")]
    [InlineData("ybr422_le.dcm")]
    [InlineData("u16_mismatch.dcm")]
    public void WriteUncompressed_TwinFile_KeepsEveryElementAndPixels(string name) =>
        AssertRoundTrip(TestPaths.Twin(name));

    [SkippableFact]
    public void WriteUncompressed_SiimFiles_KeepEveryElementAndPixels()
    {
        var files = TestPaths.SiimFiles();
        Skip.If(files.Length == 0, TestPaths.SiimMissing);
        foreach (var f in files) AssertRoundTrip(f);
    }

    [Fact]
    public void WriteUncompressed_ExistingTarget_IsReplacedAndNoTempLeft()
    {
        var target = Path.Combine(_dir, "out.dcm");
        File.WriteAllText(target, "old");
        DicomWriter.WriteUncompressed(DicomFile.Open(TestPaths.Corpus("u8_rle.dcm")), target);
        Assert.Equal(TransferSyntax.ExplicitVRLittleEndian, DicomFile.Open(target).TransferSyntax);
        Assert.Single(Directory.GetFiles(_dir));
    }

    private void AssertRoundTrip(string path)
    {
        // Arrange
        var source = DicomFile.Open(path);
        var sourcePixels = DicomPixelData.Create(source);
        var target = Path.Combine(_dir, Path.GetFileName(path));

        // Act: read -> write -> read -> write -> read
        DicomWriter.WriteUncompressed(source, target);
        var first = DicomFile.Open(target);
        var second = Path.Combine(_dir, "second-" + Path.GetFileName(path));
        DicomWriter.WriteUncompressed(first, second);
        var again = DicomFile.Open(second);

        // Assert: same element set and values (pixel data compared as decoded frames).
        Assert.Same(TransferSyntax.ExplicitVRLittleEndian, first.TransferSyntax);
        AssertSameElements(source.Dataset, first.Dataset, skipPixelData: true);
        AssertSameElements(first.Dataset, again.Dataset, skipPixelData: false);
        var pixels = DicomPixelData.Create(first);
        for (int f = 0; f < sourcePixels.FrameCount; f++)
            Assert.Equal(sourcePixels.DecodeFrame(f).Sha256(), pixels.DecodeFrame(f).Sha256());
        Assert.Equal(source.Dataset.GetString(DicomTag.SOPInstanceUID), first.FileMetaInfo.GetString(DicomTag.MediaStorageSOPInstanceUID));
    }

    private static void AssertSameElements(DicomDataset expected, DicomDataset actual, bool skipPixelData)
    {
        var et = expected.Select(i => i.Tag).Where(t => !(skipPixelData && t == DicomTag.PixelData)).ToList();
        var at = actual.Select(i => i.Tag).Where(t => !(skipPixelData && t == DicomTag.PixelData)).ToList();
        Assert.Equal(et, at);
        foreach (var tag in et)
        {
            var e = expected.GetItem(tag);
            var a = actual.GetItem(tag);
            switch (e)
            {
                case DicomElement ee:
                    var ae = Assert.IsType<DicomElement>(a);
                    Assert.Equal(ee.VR, ae.VR);
                    Assert.Equal(ee.Data.ToArray(), ae.Data.ToArray());
                    break;
                case DicomSequence es:
                    var asq = Assert.IsType<DicomSequence>(a);
                    Assert.Equal(es.Items.Count, asq.Items.Count);
                    for (int i = 0; i < es.Items.Count; i++) AssertSameElements(es.Items[i], asq.Items[i], false);
                    break;
            }
        }
    }
}
