using System.Text;
using Thorax.Dicom.Tests.Infrastructure;

namespace Thorax.Dicom.Tests.IO;

/// <summary>
/// Corpus files for encodings the basic corpus leaves out (tools/golden/dicom/make_dicom_goldens.py, edge_cases):
/// sequences and items of undefined length (and a CP-246 UN element of undefined length) against a defined-length
/// twin, every JPEG lossless selection value, frames spread over several fragments with and without a Basic Offset
/// Table, signed lossless data, and BitsStored 12 at HighBit 11 or 15 with random bits outside the stored field.
/// Every one of these files is also in corpus.json, so the golden syntax/geometry and per-frame sha256 theories cover
/// them as well.
/// </summary>
public sealed class DicomCorpusEdgeTests : IDisposable
{
    private const string Twin = "seq_defined_explicit_le.dcm";
    private static readonly DicomTag ReferencedStudySequence = new(0x0008, 0x1110);
    private static readonly DicomTag ReferencedSeriesSequence = new(0x0008, 0x1115);
    private static readonly DicomTag ReferencedImageSequence = new(0x0008, 0x1140);
    private static readonly DicomTag PurposeOfReferenceCodeSequence = new(0x0040, 0xA170);
    private static readonly DicomTag EquivalentCodeSequence = new(0x0008, 0x0121);
    private static readonly DicomTag PrivateSequence = new(0x0009, 0x1020);
    private static readonly DicomTag PrivateUnSequence = new(0x0009, 0x1030);

    private readonly string _dir = Directory.CreateTempSubdirectory("thorax-dicom-edge-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> SequenceVariants() =>
        ["seq_undefined_explicit_le.dcm", "seq_undefined_implicit_le.dcm", "seq_mixed_un_explicit_le.dcm"];

    public static TheoryData<string> SequenceFiles() =>
        [Twin, "seq_undefined_explicit_le.dcm", "seq_undefined_implicit_le.dcm", "seq_mixed_un_explicit_le.dcm"];

    [Theory]
    [MemberData(nameof(SequenceVariants))]
    public void Open_UndefinedLengthVariant_HasTheDefinedLengthTwinsValues(string name)
    {
        // Arrange: the variant really uses delimiters (item and sequence delimitation items).
        var bytes = File.ReadAllBytes(TestPaths.Corpus(name));
        Assert.True(CountOf(bytes, [0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]) >= 3, "no item delimiters");
        Assert.True(CountOf(bytes, [0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]) >= 3, "no sequence delimiters");

        // Act
        var twin = DicomFile.Open(TestPaths.Corpus(Twin)).Dataset;
        var variant = DicomFile.Open(TestPaths.Corpus(name)).Dataset;

        // Assert: same tags, item counts and values at every level (pixel data included).
        AssertSameTree(twin, variant, name);
    }

    [Theory]
    [MemberData(nameof(SequenceFiles))]
    public void Open_SequenceFile_HasNestedItemsEmptySequenceAndEmptyItem(string name)
    {
        var ds = DicomFile.Open(TestPaths.Corpus(name)).Dataset;

        Assert.Empty(ds.GetSequence(ReferencedStudySequence).Items);
        var series = ds.GetSequence(ReferencedSeriesSequence).Items;
        Assert.Equal(2, series.Count);
        Assert.Equal("1.2.826.0.1.3680043.8.498.7.2", series[1].GetString(DicomTag.SeriesInstanceUID));
        Assert.Equal(2, series[0].GetSequence(ReferencedImageSequence).Items.Count);
        var images = series[1].GetSequence(ReferencedImageSequence).Items;
        Assert.Equal(3, images.Count);
        Assert.Equal(0, images[2].Count); // empty item
        var purpose = images[1].GetSequence(PurposeOfReferenceCodeSequence).Items;
        Assert.Equal("Localizer 1.1", Assert.Single(purpose).GetString(DicomTag.CodeMeaning));
        Assert.Equal("1.2.826.0.1.3680043.8.498.8.2.2", Text(images[1].GetItem(new DicomTag(0x0008, 0x1155))));

        var priv = Assert.Single(ds.GetSequence(PrivateSequence).Items);
        Assert.Equal("T-D3000", priv.GetString(DicomTag.CodeValue));
        Assert.Equal("nested private", Text(priv.GetItem(new DicomTag(0x0011, 0x1001))));
        var third = Assert.Single(priv.GetSequence(new DicomTag(0x0011, 0x1002)).Items);
        Assert.Equal("third level", Text(third.GetItem(new DicomTag(0x0011, 0x1001))));

        // (0009,1030): SQ in the twin, UN of undefined length (implicit VR items) in the mixed file.
        var un = ds.GetSequence(PrivateUnSequence).Items;
        Assert.Equal(2, un.Count);
        Assert.Equal("Chest", un[0].GetString(DicomTag.CodeMeaning));
        Assert.Equal("Thorax", Assert.Single(un[0].GetSequence(EquivalentCodeSequence).Items).GetString(DicomTag.CodeMeaning));
        Assert.Equal("inside UN", Text(un[1].GetItem(new DicomTag(0x0011, 0x1001))));
        Assert.Equal("THORAX NESTED", un[1].GetString(new DicomTag(0x0011, 0x0010)));
    }

    [Fact]
    public void Open_UndefinedLengthUnElement_IsReadAsImplicitVrSequence()
    {
        var bytes = File.ReadAllBytes(TestPaths.Corpus("seq_mixed_un_explicit_le.dcm"));
        // (0009,1030) UN, reserved 0000, length FFFFFFFF.
        Assert.Equal(1, CountOf(bytes, [0x09, 0x00, 0x30, 0x10, (byte)'U', (byte)'N', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]));
        var ds = DicomFile.Open(TestPaths.Corpus("seq_mixed_un_explicit_le.dcm")).Dataset;
        var seq = Assert.IsType<DicomSequence>(ds.GetItem(PrivateUnSequence));
        // Implicit VR inside: dictionary tags get their VR, the private element stays UN.
        Assert.Same(DicomVR.SH, seq.Items[0].GetItem(DicomTag.CodeValue).VR);
        Assert.Same(DicomVR.UN, seq.Items[1].GetItem(new DicomTag(0x0011, 0x1001)).VR);
        // The data set after the UN element is intact.
        Assert.Equal(24, ds.GetInt(DicomTag.Rows));
        Assert.Equal(32 * 24 * 2, ((DicomElement)ds.GetItem(DicomTag.PixelData)).Length);
    }

    [Theory]
    [MemberData(nameof(SequenceFiles))]
    public void WriteUncompressed_SequenceFile_ReadBackHasTheTwinsValues(string name)
    {
        var target = Path.Combine(_dir, name);
        DicomWriter.WriteUncompressed(DicomFile.Open(TestPaths.Corpus(name)), target);
        var written = DicomFile.Open(target);
        Assert.Same(TransferSyntax.ExplicitVRLittleEndian, written.TransferSyntax);
        AssertSameTree(DicomFile.Open(TestPaths.Corpus(Twin)).Dataset, written.Dataset, name + " (written)");
        AssertSameTree(DicomFile.Open(TestPaths.Corpus(name)).Dataset, written.Dataset, name + " (written vs source)");
    }

    public static TheoryData<string, string, int> LosslessFiles() => new()
    {
        { "u12_jpeg_sv1.dcm", "u12_explicit_le.dcm", 1 },
        { "u12_jpeg_lossless_sv2.dcm", "u12_explicit_le.dcm", 2 },
        { "u12_jpeg_lossless_sv3.dcm", "u12_explicit_le.dcm", 3 },
        { "u12_jpeg_lossless_sv4.dcm", "u12_explicit_le.dcm", 4 },
        { "u12_jpeg_lossless_sv5.dcm", "u12_explicit_le.dcm", 5 },
        { "u12_jpeg_lossless_sv6.dcm", "u12_explicit_le.dcm", 6 },
        { "u12_jpeg_lossless_sv7.dcm", "u12_explicit_le.dcm", 7 },
        { "u8_jpeg_sv1.dcm", "u8_mono1_utf8.dcm", 1 },
        { "u8_jpeg_lossless_sv3.dcm", "u8_mono1_utf8.dcm", 3 },
        { "u8_jpeg_lossless_sv7.dcm", "u8_mono1_utf8.dcm", 7 },
        { "u16_jpeg_sv1.dcm", "u16_explicit_le.dcm", 1 },
        { "s16_jpeg_sv1.dcm", "s16_explicit_le.dcm", 1 },
        { "s16_jpeg_lossless_sv5.dcm", "s16_explicit_le.dcm", 5 },
        { "s12_jpeg_sv1.dcm", "s12_explicit_le.dcm", 1 },
    };

    [Theory]
    [MemberData(nameof(LosslessFiles))]
    public void DecodeFrame_JpegLosslessSelectionValue_EqualsNativeSourceExactly(string name, string source, int selectionValue)
    {
        // Arrange: the stream's start of scan carries the predictor (Ss) the file is named for.
        var pixels = DicomPixelData.Create(DicomFile.Open(TestPaths.Corpus(name)));
        Assert.Equal(selectionValue, ScanPredictor(pixels.GetFrameBytes(0).Span));
        var expected = DicomPixelData.Create(DicomFile.Open(TestPaths.Corpus(source))).DecodeFrame(0);

        // Act
        var actual = pixels.DecodeFrame(0);

        // Assert
        Assert.Equal(expected.Info.IsSigned, actual.Info.IsSigned);
        Assert.Equal(expected.Data, actual.Data);
    }

    [Theory]
    [InlineData("s16_jpegls.dcm", "s16_explicit_le.dcm")]
    [InlineData("s12_jpegls.dcm", "s12_explicit_le.dcm")]
    [InlineData("s12_jpeg_sv1.dcm", "s12_explicit_le.dcm")]
    [InlineData("s16_jpeg_sv1.dcm", "s16_explicit_le.dcm")]
    public void DecodeFrame_SignedLossless_KeepsNegativeValuesAndFullRange(string name, string source)
    {
        var actual = DicomPixelData.Create(DicomFile.Open(TestPaths.Corpus(name))).DecodeFrame(0);
        var expected = DicomPixelData.Create(DicomFile.Open(TestPaths.Corpus(source))).DecodeFrame(0);
        Assert.True(actual.Info.IsSigned);
        Assert.Equal(expected.AsInt16().ToArray(), actual.AsInt16().ToArray());
        var (min, max, _) = actual.Statistics();
        Assert.Equal(actual.Info.MinStoredValue, min);
        Assert.Equal(actual.Info.MaxStoredValue, max);
    }

    public static TheoryData<string> FragmentedFiles() =>
        ["mf3_64x48_jpeg_sv1_frag_bot.dcm", "mf3_64x48_jpeg_sv1_frag_no_bot.dcm", "mf3_64x48_jpegls_frag_no_bot.dcm",
         "mf3_64x48_j2k_frag_bot.dcm", "mf3_64x48_j2k_frag_no_bot.dcm"];

    [Theory]
    [MemberData(nameof(FragmentedFiles))]
    public void DecodeFrame_FramesOverSeveralFragments_EqualNativeSourceFrames(string name)
    {
        // Arrange
        var file = DicomFile.Open(TestPaths.Corpus(name));
        var frags = Assert.IsType<DicomFragmentSequence>(file.Dataset.GetItem(DicomTag.PixelData));
        var pixels = DicomPixelData.Create(file);
        var source = DicomPixelData.Create(DicomFile.Open(TestPaths.Corpus("mf3_64x48_explicit_le.dcm")));
        Assert.Equal(3, pixels.FrameCount);
        Assert.True(frags.Fragments.Count >= 2 * pixels.FrameCount, $"{frags.Fragments.Count} fragments");
        Assert.Equal(name.EndsWith("_no_bot.dcm", StringComparison.Ordinal) ? 0 : 3, frags.OffsetTable.Count);

        for (int f = 0; f < pixels.FrameCount; f++)
        {
            // Act
            var bytes = pixels.GetFrameBytes(f).Span;
            var frame = pixels.DecodeFrame(f);

            // Assert: each frame is one whole codestream (SOI ... EOI, or SOC ... EOC) and decodes to the source.
            Assert.Equal(0xFF, bytes[0]);
            Assert.Contains(bytes[1], new byte[] { 0xD8, 0x4F });
            Assert.True(EndsWithMarker(bytes, 0xD9), $"frame {f} does not end with EOI/EOC (FFD9 in both)");
            Assert.Equal(source.DecodeFrame(f).Data, frame.Data);
        }
    }

    [Theory]
    [MemberData(nameof(FragmentedFiles))]
    public void WriteUncompressed_FragmentedMultiFrame_KeepsEveryFrame(string name)
    {
        var target = Path.Combine(_dir, name);
        DicomWriter.WriteUncompressed(DicomFile.Open(TestPaths.Corpus(name)), target);
        var written = DicomPixelData.Create(DicomFile.Open(target));
        var source = DicomPixelData.Create(DicomFile.Open(TestPaths.Corpus("mf3_64x48_explicit_le.dcm")));
        Assert.False(written.IsEncapsulated);
        for (int f = 0; f < 3; f++) Assert.Equal(source.DecodeFrame(f).Data, written.DecodeFrame(f).Data);
    }

    [Theory]
    [InlineData("u12_hb11_garbage.dcm", 11)]
    [InlineData("s12_hb11_garbage.dcm", 11)]
    [InlineData("u12_hb15.dcm", 15)]
    [InlineData("s12_hb15.dcm", 15)]
    public void DecodeFrame_BitsStored12AtHighBit_TakesOnlyTheStoredField(string name, int highBit)
    {
        // Arrange: raw samples carry random bits outside [HighBit-11 .. HighBit].
        var file = DicomFile.Open(TestPaths.Corpus(name));
        var pixels = DicomPixelData.Create(file);
        Assert.Equal((12, highBit), (pixels.Info.BitsStored, pixels.Info.HighBit));
        var raw = pixels.GetFrameBytes(0).ToArray();
        int shift = highBit - 11;

        // Act
        var frame = pixels.DecodeFrame(0);

        // Assert: value = bits [shift .. shift+11], sign-extended from bit 11 when signed (PS3.5 8.1.1).
        var values = frame.ToInt32Array();
        bool garbageOutside = false;
        for (int i = 0; i < values.Length; i++)
        {
            int word = BitConverter.ToUInt16(raw, 2 * i);
            int v = (word >> shift) & 0xFFF;
            if (pixels.Info.IsSigned && v >= 0x800) v -= 0x1000;
            Assert.Equal(v, values[i]);
            garbageOutside |= (word & ~(0xFFF << shift) & 0xFFFF) != 0;
        }
        Assert.True(garbageOutside);
        var (min, max, _) = frame.Statistics();
        Assert.Equal((pixels.Info.MinStoredValue, pixels.Info.MaxStoredValue), (min, max));
    }

    private static void AssertSameTree(DicomDataset expected, DicomDataset actual, string where)
    {
        Assert.Equal(expected.Select(i => i.Tag).ToList(), actual.Select(i => i.Tag).ToList());
        foreach (var e in expected)
        {
            var a = actual.GetItem(e.Tag);
            var at = $"{where} {e.Tag}";
            switch (e)
            {
                case DicomSequence es:
                    var asq = Assert.IsType<DicomSequence>(a);
                    Assert.True(es.Items.Count == asq.Items.Count, $"{at}: {asq.Items.Count} items, expected {es.Items.Count}");
                    for (int i = 0; i < es.Items.Count; i++) AssertSameTree(es.Items[i], asq.Items[i], $"{at}[{i}]");
                    break;
                case DicomElement ee:
                    var ae = Assert.IsType<DicomElement>(a);
                    // Implicit VR data cannot name the VR of tags outside the dictionary: those are UN.
                    if (ee.VR != DicomVR.UN && ae.VR != DicomVR.UN) Assert.True(ee.VR == ae.VR, $"{at}: VR {ae.VR}, expected {ee.VR}");
                    Assert.True(ee.Data.Span.SequenceEqual(ae.Data.Span), $"{at}: value differs");
                    break;
                default:
                    Assert.Fail($"{at}: unexpected {e.GetType().Name}");
                    break;
            }
        }
    }

    private static string Text(DicomItem item) => Encoding.ASCII.GetString(((DicomElement)item).Data.Span).TrimEnd(' ', '\0');

    private static int CountOf(byte[] haystack, byte[] needle)
    {
        int n = 0;
        for (int at = 0; ; n++)
        {
            int i = haystack.AsSpan(at).IndexOf(needle);
            if (i < 0) return n;
            at += i + 1;
        }
    }

    /// <summary>Ss of the first start-of-scan segment: the lossless predictor (selection value).</summary>
    private static int ScanPredictor(ReadOnlySpan<byte> jpeg)
    {
        int at = 2;
        while (at + 4 <= jpeg.Length)
        {
            Assert.Equal(0xFF, jpeg[at]);
            byte marker = jpeg[at + 1];
            int length = (jpeg[at + 2] << 8) | jpeg[at + 3];
            if (marker == 0xDA)
            {
                int components = jpeg[at + 4];
                return jpeg[at + 5 + 2 * components];
            }
            at += 2 + length;
        }
        throw new InvalidDataException("No SOS marker.");
    }

    private static bool EndsWithMarker(ReadOnlySpan<byte> bytes, byte marker)
    {
        // Allow one trailing pad byte after the end marker (fragments have even length).
        var trimmed = bytes[^1] == 0 ? bytes[..^1] : bytes;
        return trimmed.Length >= 2 && trimmed[^2] == 0xFF && trimmed[^1] == marker;
    }
}
