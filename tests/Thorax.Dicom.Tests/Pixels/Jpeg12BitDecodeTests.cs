using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Thorax.Dicom.Codecs;
using Thorax.Dicom.Tests.Infrastructure;

namespace Thorax.Dicom.Tests.Pixels;

/// <summary>
/// 12-bit lossy JPEG (JPEG Extended, 1.2.840.10008.1.2.4.51) against dcmdjpeg (IJG 6b, 12-bit ISLOW) goldens made by
/// tools/golden/dicom/make_jpeg12_goldens.py, plus corrupt-stream behaviour of the managed decoder.
/// </summary>
public class Jpeg12BitDecodeTests
{
    private const string FakePath = "/data/broken-12bit.dcm";

    private static string Jpeg12(string name) => Path.Combine(TestPaths.RepoRoot, "tests", "data", "golden", "dicom", "jpeg12", name);

    private static IEnumerable<JsonElement> Entries() => TestPaths.ReadJson(Jpeg12("jpeg12.json")).EnumerateArray();

    private static JsonElement Entry(string name) => Entries().First(e => e.GetProperty("file").GetString() == name);

    public static TheoryData<string> GoldenFiles()
    {
        var data = new TheoryData<string>();
        foreach (var e in Entries()) data.Add(e.GetProperty("file").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(GoldenFiles))]
    public void DecodeFrame_DcmtkExtended12Bit_MatchesDcmdjpegBitExactly(string name)
    {
        // Arrange
        var golden = Entry(name);
        var pixels = DicomPixelData.Create(DicomFile.Open(Jpeg12(name)));
        Assert.Same(TransferSyntax.JPEGExtended12Bit, pixels.Info.TransferSyntax);
        ushort[]? raw = golden.TryGetProperty("raw_values", out var r)
            ? MemoryMarshal.Cast<byte, ushort>(File.ReadAllBytes(Jpeg12(r.GetString()!))).ToArray()
            : null;
        int perFrame = (int)pixels.Info.SamplesPerFrame;

        for (int f = 0; f < pixels.FrameCount; f++)
        {
            // Act
            var frame = pixels.DecodeFrame(f);

            // Assert: first differing value (when a raw golden exists) makes failures readable, then the hash.
            if (raw is not null)
            {
                var actual = frame.AsUInt16();
                for (int i = 0; i < perFrame; i++)
                    if (actual[i] != raw[f * perFrame + i])
                        Assert.Fail($"{name} frame {f}: value {i} (sample {i % pixels.Info.SamplesPerPixel} of pixel {i / pixels.Info.SamplesPerPixel}) is {actual[i]}, dcmdjpeg gives {raw[f * perFrame + i]}");
            }
            Assert.Equal(golden.GetProperty("frame_sha256")[f].GetString(), frame.Sha256());
        }
        Assert.Equal(golden.GetProperty("frames").GetInt32(), pixels.FrameCount);
    }

    [Fact]
    public void DecodeFrame_RestartIntervalStream_EqualsStreamWithoutRestarts()
    {
        var plain = DicomPixelData.Create(DicomFile.Open(Jpeg12("u12_ext_61x75.dcm"))).DecodeFrame(0);
        var restarted = DicomPixelData.Create(DicomFile.Open(Jpeg12("u12_ext_61x75_restart.dcm")));
        var bytes = restarted.GetFrameBytes(0).ToArray();
        Assert.Contains(Enumerable.Range(0, bytes.Length - 1), i => bytes[i] == 0xFF && bytes[i + 1] == 0xDD); // DRI present
        Assert.Equal(plain.Data, restarted.DecodeFrame(0).Data);
    }

    [Fact]
    public void DefaultRegistry_Extended12Bit_GoesThroughTurboJpegCodecToManagedDecoder()
    {
        // Arrange: the same frame decoded by the registry's codec and by the managed codec directly.
        var pixels = DicomPixelData.Create(DicomFile.Open(Jpeg12("u12_ext_64x80.dcm")));
        var codec = PixelCodecRegistry.Default.GetCodec(TransferSyntax.JPEGExtended12Bit);
        var viaRegistry = new byte[pixels.Info.FrameSizeBytes];
        var direct = new byte[pixels.Info.FrameSizeBytes];

        // Act
        codec.Decode(pixels.GetFrameBytes(0).Span, pixels.Info, viaRegistry);
        new JpegDctCodec().Decode(pixels.GetFrameBytes(0).Span, pixels.Info, direct);

        // Assert
        Assert.IsType<TurboJpegCodec>(codec);
        Assert.Equal(direct, viaRegistry);
        Assert.Equal(Entry("u12_ext_64x80.dcm").GetProperty("frame_sha256")[0].GetString(), Convert.ToHexStringLower(SHA256.HashData(direct)));
    }

    [Fact]
    public void DicomInfo_Extended12Bit_PixelSha256AndStatisticsMatchGolden()
    {
        // Arrange
        var golden = Entry("u12_ext_256.dcm");
        var expected = DicomPixelData.Create(DicomFile.Open(Jpeg12("u12_ext_64x80.dcm")));
        var raw = MemoryMarshal.Cast<byte, ushort>(File.ReadAllBytes(Jpeg12("u12_ext_64x80.u16"))).ToArray();

        // Act
        var big = DicomInfo.Read(Jpeg12("u12_ext_256.dcm"));
        var small = DicomInfo.Read(Jpeg12("u12_ext_64x80.dcm"));
        using var json = JsonDocument.Parse(small.ToJson());

        // Assert
        Assert.Equal(golden.GetProperty("frame_sha256")[0].GetString(), big.PixelSha256);
        Assert.Equal((256, 256, 16, 12), (big.Rows, big.Columns, big.BitsAllocated, big.BitsStored));
        Assert.Equal("1.2.840.10008.1.2.4.51", big.TransferSyntaxUid);
        Assert.Equal(Entry("u12_ext_64x80.dcm").GetProperty("frame_sha256")[0].GetString(), json.RootElement.GetProperty("pixel_sha256").GetString());
        Assert.Equal((long)raw.Min(), small.Min);
        Assert.Equal((long)raw.Max(), small.Max);
        Assert.Equal(raw.Average(v => (double)v), small.Mean, 1e-9);
        Assert.Equal(64 * 80, expected.Info.Rows * expected.Info.Columns);
    }

    [Fact]
    public void ManagedDecoder_8BitBaselineCorpusFile_MatchesTurboJpegGolden()
    {
        // The managed IDCT with 8-bit constants must agree with libjpeg-turbo's ISLOW output on a real baseline stream.
        var golden = TestPaths.CorpusEntries().First(e => e.GetProperty("file").GetString() == "u8_jpeg_baseline.dcm");
        var pixels = DicomPixelData.Create(DicomFile.Open(TestPaths.Corpus("u8_jpeg_baseline.dcm")));
        var frame = pixels.DecodeFrame(0, new PixelCodecRegistry([new JpegDctCodec()]));
        Assert.Equal(golden.GetProperty("frame_sha256")[0].GetString(), frame.Sha256());
    }

    [SkippableFact]
    public void ManagedDecoder_SiimBaselineFiles_MatchTurboJpeg()
    {
        var files = TestPaths.SiimFiles();
        Skip.If(files.Length == 0, TestPaths.SiimMissing);
        var managed = new PixelCodecRegistry([new JpegDctCodec()]);
        foreach (var path in files)
        {
            var pixels = DicomPixelData.Create(DicomFile.Open(path));
            Assert.True(pixels.DecodeFrame(0, managed).Data.AsSpan().SequenceEqual(pixels.DecodeFrame(0).Data), Path.GetFileName(path));
        }
    }

    [Fact]
    public void DecodeFrame_EveryTruncation_ThrowsDicomFormatExceptionNamingFile()
    {
        // Arrange: cut the 12-bit stream at many lengths (inside headers, tables and the entropy-coded data).
        var (dataset, stream) = LoadStream("u12_ext_61x75_restart.dcm");
        var failures = new List<string>();
        for (int cut = 0; cut < stream.Length - 4; cut += cut < 700 ? 7 : 61)
        {
            // Act
            var ex = Record.Exception(() => DecodeWith(dataset, stream[..cut]));

            // Assert
            if (ex is not DicomFormatException fe || fe.FilePath != FakePath || !fe.Message.Contains(FakePath))
                failures.Add($"cut {cut}: {ex?.GetType().Name ?? "no exception"}: {ex?.Message}");
        }
        Assert.Empty(failures);
    }

    [Fact]
    public void DecodeFrame_TruncatedEntropyData_MessageGivesByteOffset()
    {
        var (dataset, stream) = LoadStream("u12_ext_64x80.dcm");
        var ex = Assert.Throws<DicomFormatException>(() => DecodeWith(dataset, stream[..(stream.Length / 2)]));
        Assert.Contains("at byte", ex.Message);
        Assert.Contains("ends", ex.Problem);
        Assert.Equal(DicomTag.PixelData, ex.Tag);
    }

    [Fact]
    public void DecodeFrame_MutatedStreams_DecodeOrThrowDicomExceptionsOnly()
    {
        // Arrange: deterministic byte mutations anywhere in the stream (headers, tables, entropy data).
        var (dataset, stream) = LoadStream("u12_ext_61x75_restart.dcm");
        var rng = new Random(3121);
        var failures = new List<string>();
        int rejected = 0;
        for (int i = 0; i < 600; i++)
        {
            var bytes = (byte[])stream.Clone();
            int n = 1 + rng.Next(4);
            for (int k = 0; k < n; k++) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);

            // Act
            var ex = Record.Exception(() => DecodeWith(dataset, bytes));

            // Assert: a decoded frame (values within 12 bits) or a DicomException; nothing else.
            if (ex is DicomException) rejected++;
            else if (ex is not null) failures.Add($"case {i}: {ex.GetType().Name}: {ex.Message}");
        }
        Assert.Empty(failures);
        Assert.True(rejected > 0, "no mutation was rejected; the test does not exercise the error paths");
    }

    [Fact]
    public void Decode_ProgressiveSof2_ThrowsDicomCodecException()
    {
        var (dataset, stream) = LoadStream("u12_ext_64x80.dcm");
        int sof = IndexOfMarker(stream, 0xC1);
        stream[sof + 1] = 0xC2;
        var ex = Assert.Throws<DicomCodecException>(() => DecodeWith(dataset, stream));
        Assert.Contains("SOF2", ex.Message);
    }

    [Fact]
    public void Decode_UnsupportedPrecision_ThrowsDicomFormatException()
    {
        var (dataset, stream) = LoadStream("u12_ext_64x80.dcm");
        int sof = IndexOfMarker(stream, 0xC1);
        stream[sof + 4] = 16; // precision
        var ex = Assert.Throws<DicomFormatException>(() => DecodeWith(dataset, stream, new PixelCodecRegistry([new JpegDctCodec()])));
        Assert.Contains("precision 16", ex.Message);
        Assert.Equal(FakePath, ex.FilePath);
    }

    [Fact]
    public void Decode_GeometryDisagreesWithDataset_ThrowsDicomFormatException()
    {
        var (dataset, stream) = LoadStream("u12_ext_64x80.dcm");
        dataset.AddOrUpdate(DicomTag.Columns, DicomVR.US, 81);
        var ex = Assert.Throws<DicomFormatException>(() => DecodeWith(dataset, stream));
        Assert.Contains("80x64x1", ex.Message);
    }

    [Fact]
    public void Decode_12BitStreamInto8BitAllocation_ThrowsDicomFormatException()
    {
        var (dataset, stream) = LoadStream("u12_ext_64x80.dcm");
        dataset.AddOrUpdate(DicomTag.BitsAllocated, DicomVR.US, 8).AddOrUpdate(DicomTag.BitsStored, DicomVR.US, 8)
            .AddOrUpdate(DicomTag.HighBit, DicomVR.US, 7);
        var ex = Assert.Throws<DicomFormatException>(() => DecodeWith(dataset, stream));
        Assert.Equal(DicomTag.BitsAllocated, ex.Tag);
    }

    [Fact]
    public void Decode_MissingQuantisationTable_ThrowsDicomFormatException()
    {
        var (dataset, stream) = LoadStream("u12_ext_64x80.dcm");
        int dqt = IndexOfMarker(stream, 0xDB);
        stream[dqt + 1] = 0xEF; // DQT becomes an APP15 segment that is skipped
        var ex = Assert.Throws<DicomFormatException>(() => DecodeWith(dataset, stream));
        Assert.Contains("quantisation table", ex.Message);
    }

    private static (DicomDataset Dataset, byte[] Stream) LoadStream(string name)
    {
        var file = DicomFile.Open(Jpeg12(name));
        return (file.Dataset, DicomPixelData.Create(file).GetFrameBytes(0).ToArray());
    }

    private static PixelFrame DecodeWith(DicomDataset dataset, byte[] stream, PixelCodecRegistry? codecs = null)
    {
        dataset.AddOrUpdate(new DicomFragmentSequence(DicomTag.PixelData, [], [stream]));
        return DicomPixelData.Create(dataset, TransferSyntax.JPEGExtended12Bit, FakePath).DecodeFrame(0, codecs);
    }

    private static int IndexOfMarker(byte[] stream, byte marker)
    {
        for (int i = 0; i + 1 < stream.Length; i++)
            if (stream[i] == 0xFF && stream[i + 1] == marker) return i;
        throw new InvalidOperationException($"marker FF{marker:X2} not found");
    }
}
