using System.Buffers.Binary;
using Thorax.Dicom.Tests.Infrastructure;

namespace Thorax.Dicom.Tests.IO;

/// <summary>Encapsulated pixel data writing (PS3.5 A.4) and JPEG Baseline compression (<see cref="DicomJpegBaseline"/>).</summary>
public sealed class DicomWriterEncapsulatedTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("thorax-dicom-encap-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Encapsulate_OddFrames_PaddedAndOffsetsPointAtItems()
    {
        var seq = DicomWriter.Encapsulate([new byte[] { 1, 2, 3 }, new byte[] { 4, 5, 6, 7 }, new byte[] { 8 }]);

        Assert.Equal(new uint[] { 0, 8 + 4, 8 + 4 + 8 + 4 }, seq.OffsetTable);
        Assert.Equal(new byte[] { 1, 2, 3, 0 }, seq.Fragments[0].ToArray());
        Assert.Equal(new byte[] { 4, 5, 6, 7 }, seq.Fragments[1].ToArray());
        Assert.Equal(new byte[] { 8, 0 }, seq.Fragments[2].ToArray());
    }

    [Fact]
    public void Encapsulate_NoOrEmptyFrame_Throws()
    {
        Assert.Throws<ArgumentException>(() => DicomWriter.Encapsulate([]));
        Assert.Throws<ArgumentException>(() => DicomWriter.Encapsulate([new byte[] { 1, 2 }, Array.Empty<byte>()]));
    }

    [Fact]
    public void Write_Encapsulated_ByteLayoutIsOffsetTableFragmentsDelimiter()
    {
        // Arrange: two frames, the first with an odd length.
        var ds = Grey8Dataset(4, 2, frames: 2);
        ds.AddOrUpdate(DicomWriter.Encapsulate([new byte[] { 0xFF, 0xD8, 0xFF }, new byte[] { 0xAA, 0xBB }]));
        using var ms = new MemoryStream();

        // Act
        DicomWriter.Write(ms, new DicomDataset(), ds, TransferSyntax.JPEGBaseline8Bit);

        // Assert: the tail of the file is the encapsulated Pixel Data element, byte for byte.
        byte[] expectedTail =
        [
            0xE0, 0x7F, 0x10, 0x00, (byte)'O', (byte)'B', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
            0xFE, 0xFF, 0x00, 0xE0, 8, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0,
            0xFE, 0xFF, 0x00, 0xE0, 4, 0, 0, 0, 0xFF, 0xD8, 0xFF, 0x00,
            0xFE, 0xFF, 0x00, 0xE0, 2, 0, 0, 0, 0xAA, 0xBB,
            0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0,
        ];
        var bytes = ms.ToArray();
        Assert.Equal(expectedTail, bytes[^expectedTail.Length..]);
        var file = DicomFile.Parse(bytes);
        Assert.Same(TransferSyntax.JPEGBaseline8Bit, file.TransferSyntax);
        Assert.Equal(TransferSyntax.JPEGBaseline8Bit.Uid, file.FileMetaInfo.GetString(DicomTag.TransferSyntaxUID));
    }

    [Fact]
    public void Write_FragmentSequenceWithOddFragments_OffsetTableShiftedToPaddedItems()
    {
        // Arrange: frame 0 = two fragments (odd lengths 3 and 5), frame 1 = one fragment of 3 bytes.
        // Unpadded item positions: 0, 11, 24; after padding: 0, 12, 26.
        var seq = new DicomFragmentSequence(DicomTag.PixelData, [0u, 24u],
            [new byte[] { 1, 2, 3 }, new byte[] { 4, 5, 6, 7, 8 }, new byte[] { 9, 10, 11 }]);
        var ds = Grey8Dataset(2, 2, frames: 2).AddOrUpdate(seq);
        using var ms = new MemoryStream();

        // Act
        DicomWriter.Write(ms, new DicomDataset(), ds, TransferSyntax.RLELossless);
        var back = (DicomFragmentSequence)DicomFile.Parse(ms.ToArray()).Dataset.GetItem(DicomTag.PixelData);

        // Assert
        Assert.Equal(new uint[] { 0, 26 }, back.OffsetTable);
        Assert.Equal(3, back.Fragments.Count);
        Assert.Equal(new byte[] { 1, 2, 3, 0 }, back.Fragments[0].ToArray());
        Assert.Equal(new byte[] { 4, 5, 6, 7, 8, 0 }, back.Fragments[1].ToArray());
        Assert.Equal(new byte[] { 9, 10, 11, 0 }, back.Fragments[2].ToArray());
    }

    [Fact]
    public void Write_OffsetTableEntryNotAtFragment_Throws()
    {
        var seq = new DicomFragmentSequence(DicomTag.PixelData, [0u, 5u], [new byte[] { 1, 2 }, new byte[] { 3, 4 }]);
        var ds = Grey8Dataset(2, 1, frames: 2).AddOrUpdate(seq);
        var ex = Assert.Throws<ArgumentException>(() => DicomWriter.Write(new MemoryStream(), new DicomDataset(), ds, TransferSyntax.RLELossless));
        Assert.Contains("Basic Offset Table entry 1", ex.Message);
    }

    [Fact]
    public void Write_PixelFormDoesNotMatchSyntax_Throws()
    {
        var native = Grey8Dataset(2, 2).AddOrUpdate(new DicomElement(DicomTag.PixelData, DicomVR.OB, new byte[4]));
        Assert.Throws<ArgumentException>(() => DicomWriter.Write(new MemoryStream(), new DicomDataset(), native, TransferSyntax.JPEGBaseline8Bit));
        var encapsulated = Grey8Dataset(2, 2).AddOrUpdate(DicomWriter.Encapsulate([new byte[] { 1, 2 }]));
        Assert.Throws<ArgumentException>(() => DicomWriter.Write(new MemoryStream(), new DicomDataset(), encapsulated, TransferSyntax.ExplicitVRLittleEndian));
        Assert.Throws<ArgumentException>(() => DicomWriter.Write(new MemoryStream(), new DicomDataset(), native, TransferSyntax.ImplicitVRLittleEndian));
        Assert.Throws<ArgumentException>(() => DicomWriter.Write(new MemoryStream(), new DicomDataset(), native, TransferSyntax.ExplicitVRBigEndian));
    }

    [Theory]
    [InlineData("MONOCHROME2", 95, 6, 0.8)]
    [InlineData("MONOCHROME1", 95, 6, 0.8)]
    [InlineData("MONOCHROME2", 50, 12, 3.0)]
    public void JpegBaseline_TwoFrames_ReadBackWithinJpegError(string photometric, int quality, int maxError, double meanError)
    {
        // Arrange: two smooth frames with some texture (a radial gradient plus a checker of small amplitude).
        const int w = 61, h = 47;
        var pixels = new byte[w * h * 2];
        for (int f = 0; f < 2; f++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    double r = Math.Sqrt((x - 30.0) * (x - 30.0) + (y - 20.0) * (y - 20.0));
                    pixels[f * w * h + y * w + x] = (byte)Math.Clamp(40 + 150 * Math.Exp(-r / (20 + 10 * f)) + (((x / 4) + (y / 4)) % 2) * 8, 0, 255);
                }
        var ds = Grey8Dataset(w, h, frames: 2, photometric).AddOrUpdate(new DicomElement(DicomTag.PixelData, DicomVR.OB, Pad(pixels)));
        var path = Path.Combine(_dir, "jpeg.dcm");

        // Act
        var encoded = DicomJpegBaseline.Encode(ds, quality);
        using (var fs = File.Create(path)) DicomWriter.Write(fs, new DicomDataset(), encoded, TransferSyntax.JPEGBaseline8Bit);
        var file = DicomFile.Open(path);

        // Assert: attributes.
        var back = file.Dataset;
        Assert.Same(TransferSyntax.JPEGBaseline8Bit, file.TransferSyntax);
        Assert.Equal(photometric, back.GetString(DicomTag.PhotometricInterpretation));
        Assert.Equal("01", back.GetString(DicomTag.LossyImageCompression));
        Assert.Equal("ISO_10918_1", back.GetString(DicomTag.LossyImageCompressionMethod));
        var seq = (DicomFragmentSequence)back.GetItem(DicomTag.PixelData);
        Assert.Equal(2, seq.Fragments.Count);
        Assert.Equal(2, seq.OffsetTable.Count);
        Assert.Equal((uint)(8 + seq.Fragments[0].Length), seq.OffsetTable[1]);
        // Each fragment is a complete SOF0 (baseline) 8-bit grey JPEG stream.
        foreach (var fragment in seq.Fragments)
        {
            var span = fragment.Span;
            Assert.Equal(new byte[] { 0xFF, 0xD8 }, span[..2].ToArray());
            int sof = span.IndexOf(new byte[] { 0xFF, 0xC0 });
            Assert.True(sof > 0, "no SOF0 marker");
            Assert.Equal(8, span[sof + 4]);
            Assert.Equal(h, BinaryPrimitives.ReadUInt16BigEndian(span[(sof + 5)..]));
            Assert.Equal(w, BinaryPrimitives.ReadUInt16BigEndian(span[(sof + 7)..]));
            Assert.Equal(1, span[sof + 9]);
            Assert.True(span.IndexOf(new byte[] { 0xFF, 0xC2 }) < 0 && span.IndexOf(new byte[] { 0xFF, 0xC1 }) < 0);
            Assert.False(span[2] == 0xFF && span[3] == 0xE0, "JFIF APP0 segment left in the stream");
            Assert.InRange(span.LastIndexOf(new byte[] { 0xFF, 0xD9 }), span.Length - 3, span.Length - 2); // EOI, maybe one pad byte
        }
        double ratio = (2.0 * w * h) / (seq.Fragments[0].Length + seq.Fragments[1].Length);
        Assert.Equal(ratio, back.GetDouble(DicomTag.LossyImageCompressionRatio), 1);
        // Pixels within JPEG error, frame by frame.
        var pd = DicomPixelData.Create(file);
        for (int f = 0; f < 2; f++)
        {
            var decoded = pd.DecodeFrame(f).AsBytes();
            var source = pixels.AsSpan(f * w * h, w * h);
            int max = 0;
            long sum = 0;
            for (int i = 0; i < source.Length; i++)
            {
                int e = Math.Abs(decoded[i] - source[i]);
                max = Math.Max(max, e);
                sum += e;
            }
            Assert.InRange(max, 1, maxError);
            Assert.InRange((double)sum / source.Length, 0, meanError);
        }
    }

    [Fact]
    public void JpegBaseline_HigherQuality_SmallerError()
    {
        var pixels = new byte[64 * 64];
        var rng = new Random(3);
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(100 + (i % 64) + rng.Next(20));
        double Error(int q)
        {
            var jpeg = DicomJpegBaseline.EncodeFrame(pixels, 64, 64, q);
            var ds = Grey8Dataset(64, 64).AddOrUpdate(DicomWriter.Encapsulate([jpeg]));
            var decoded = DicomPixelData.Create(ds, TransferSyntax.JPEGBaseline8Bit).DecodeFrame(0).AsBytes();
            double s = 0;
            for (int i = 0; i < pixels.Length; i++) s += Math.Abs(decoded[i] - pixels[i]);
            return s / pixels.Length;
        }
        Assert.True(Error(95) < Error(60));
        Assert.True(Error(60) < Error(20));
    }

    [Fact]
    public void WriteJpegBaseline_CorpusMonochrome1File_KeepsElementsAndPhotometric()
    {
        // Arrange
        var source = DicomFile.Open(TestPaths.Corpus("u8_mono1_utf8.dcm"));
        var target = Path.Combine(_dir, "mono1-jpeg.dcm");

        // Act
        DicomWriter.WriteJpegBaseline(source, target);
        var written = DicomFile.Open(target);

        // Assert
        Assert.Same(TransferSyntax.JPEGBaseline8Bit, written.TransferSyntax);
        Assert.Equal("MONOCHROME1", written.Dataset.GetString(DicomTag.PhotometricInterpretation));
        Assert.Equal(source.Dataset.GetString(DicomTag.PatientName), written.Dataset.GetString(DicomTag.PatientName));
        Assert.Equal(source.Dataset.GetString(DicomTag.SOPInstanceUID), written.FileMetaInfo.GetString(DicomTag.MediaStorageSOPInstanceUID));
        foreach (var item in source.Dataset)
            if (item.Tag != DicomTag.PixelData) Assert.True(written.Dataset.Contains(item.Tag), $"{item.Tag} lost");
        var a = DicomPixelData.Create(source).DecodeFrame(0).AsBytes().ToArray();
        var b = DicomPixelData.Create(written).DecodeFrame(0).AsBytes().ToArray();
        Assert.InRange(a.Zip(b, (x, y) => Math.Abs(x - y)).Average(), 0, 2.0);
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void JpegBaseline_AlreadyLossySource_AppendsRatioAndMethod()
    {
        var source = DicomFile.Open(TestPaths.Corpus("u8_jpeg_baseline.dcm"));
        var target = Path.Combine(_dir, "again.dcm");
        bool wasLossy = source.Dataset.GetStringOrDefault(DicomTag.LossyImageCompression)?.Trim() == "01";
        int before = wasLossy && source.Dataset.TryGetStrings(DicomTag.LossyImageCompressionMethod, out var m) ? m.Length : 0;

        DicomWriter.WriteJpegBaseline(source, target, quality: 90);
        var written = DicomFile.Open(target).Dataset;

        Assert.Equal("01", written.GetString(DicomTag.LossyImageCompression));
        var methods = written.GetStrings(DicomTag.LossyImageCompressionMethod);
        Assert.Equal(before + 1, methods.Length);
        Assert.Equal("ISO_10918_1", methods[^1]);
        Assert.Equal(methods.Length, written.GetStrings(DicomTag.LossyImageCompressionRatio).Length);
    }

    [Fact]
    public void JpegBaseline_ExplicitLossyInput_AppendsSecondValues()
    {
        var ds = Grey8Dataset(8, 8).AddOrUpdate(new DicomElement(DicomTag.PixelData, DicomVR.OB, new byte[64]))
            .AddOrUpdate(DicomTag.LossyImageCompression, DicomVR.CS, "01")
            .AddOrUpdate(DicomTag.LossyImageCompressionRatio, DicomVR.DS, "10")
            .AddOrUpdate(DicomTag.LossyImageCompressionMethod, DicomVR.CS, "ISO_14495_1");
        var encoded = DicomJpegBaseline.Encode(ds);
        Assert.Equal(new[] { "ISO_14495_1", "ISO_10918_1" }, encoded.GetStrings(DicomTag.LossyImageCompressionMethod));
        var ratios = encoded.GetStrings(DicomTag.LossyImageCompressionRatio);
        Assert.Equal(2, ratios.Length);
        Assert.Equal("10", ratios[0]);
    }

    [Theory]
    [InlineData("BitsAllocated")]
    [InlineData("SamplesPerPixel")]
    [InlineData("PixelRepresentation")]
    [InlineData("PhotometricInterpretation")]
    [InlineData("PixelData")]
    public void JpegBaseline_UnsuitableImage_ThrowsNamingElement(string keyword)
    {
        var ds = Grey8Dataset(4, 4).AddOrUpdate(new DicomElement(DicomTag.PixelData, DicomVR.OB, new byte[16]));
        DicomTag tag;
        switch (keyword)
        {
            case "BitsAllocated": tag = DicomTag.BitsAllocated; ds.AddOrUpdate(DicomTag.BitsAllocated, DicomVR.US, 16); break;
            case "SamplesPerPixel": tag = DicomTag.SamplesPerPixel; ds.AddOrUpdate(DicomTag.SamplesPerPixel, DicomVR.US, 3); break;
            case "PixelRepresentation": tag = DicomTag.PixelRepresentation; ds.AddOrUpdate(DicomTag.PixelRepresentation, DicomVR.US, 1); break;
            case "PhotometricInterpretation": tag = DicomTag.PhotometricInterpretation; ds.AddOrUpdate(DicomTag.PhotometricInterpretation, DicomVR.CS, "RGB"); break;
            default: tag = DicomTag.PixelData; ds.Remove(DicomTag.PixelData); break;
        }
        var ex = Assert.Throws<DicomDataException>(() => DicomJpegBaseline.Encode(ds));
        Assert.Equal(tag, ex.Tag);
        Assert.Throws<ArgumentOutOfRangeException>(() => DicomJpegBaseline.Encode(Grey8Dataset(4, 4), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => DicomJpegBaseline.Encode(Grey8Dataset(4, 4), 101));
    }

    [Fact]
    public void EncodeFrame_TooFewPixels_Throws() =>
        Assert.Throws<ArgumentException>(() => DicomJpegBaseline.EncodeFrame(new byte[10], 4, 4));

    private static DicomDataset Grey8Dataset(int columns, int rows, int frames = 1, string photometric = "MONOCHROME2")
    {
        var ds = new DicomDataset()
            .AddOrUpdate(DicomTag.SOPClassUID, DicomVR.UI, "1.2.840.10008.5.1.4.1.1.7")
            .AddOrUpdate(DicomTag.SOPInstanceUID, DicomVR.UI, "2.25.1234")
            .AddOrUpdate(DicomTag.SamplesPerPixel, DicomVR.US, 1)
            .AddOrUpdate(DicomTag.PhotometricInterpretation, DicomVR.CS, photometric)
            .AddOrUpdate(DicomTag.Rows, DicomVR.US, rows)
            .AddOrUpdate(DicomTag.Columns, DicomVR.US, columns)
            .AddOrUpdate(DicomTag.BitsAllocated, DicomVR.US, 8)
            .AddOrUpdate(DicomTag.BitsStored, DicomVR.US, 8)
            .AddOrUpdate(DicomTag.HighBit, DicomVR.US, 7)
            .AddOrUpdate(DicomTag.PixelRepresentation, DicomVR.US, 0);
        if (frames > 1) ds.AddOrUpdate(DicomTag.NumberOfFrames, DicomVR.IS, frames.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return ds;
    }

    private static byte[] Pad(byte[] data)
    {
        if ((data.Length & 1) == 0) return data;
        Array.Resize(ref data, data.Length + 1);
        return data;
    }
}
