using System.Text;
using Thorax.Dicom.Tests.Infrastructure;

namespace Thorax.Dicom.Tests.Pixels;

/// <summary>
/// Byte-order twins, 1-bit and YBR_FULL_422 files made by dcmtk (tools/golden/dicom/make_twins.sh from the committed
/// dumps in tools/golden/dicom/twins): every Explicit VR Big Endian file (dcmconv +tb) decodes to exactly the stored
/// values of its Little Endian twin, and both hold the values the dump generator wrote (closed-form formulas below);
/// 1-bit frames equal known bit patterns and dcm2pnm's frames; YBR_FULL_422 equals GDCM's decode to YBR_FULL and,
/// converted to RGB, dcm2pnm's rendering. The script checked that dcmtk (dcmconv +te) and GDCM (gdcmconv --raw)
/// convert each BE file back to the LE pixel bytes.
/// </summary>
public sealed class DicomTwinTests
{
    private const int Rows = 3, Columns = 5, Pixels = Rows * Columns;

    public static TheoryData<string> TwinNames() =>
        ["u8_ob", "u8_ow", "u8_ow_mf3", "u16_ow", "s16_ow", "u32_ow", "s32_ow", "b1_ob", "b1_ow_mf3", "b1_ob_mf3"];

    /// <summary>Stored value <paramref name="i"/> (over all frames, row-major) as make_dumps.py wrote it.</summary>
    private static long Expected(string name, int i) => name switch
    {
        "u8_ob" or "u8_ow" => (i * 37 + 11) % 256,
        "u8_ow_mf3" => (i * 53 + 7) % 256,
        "u16_ow" => (i * 277 + 100) % 4096,
        "s16_ow" => (short)(ushort)((i * 2711 + 12345) % 65536 - 32768),
        "u32_ow" => (uint)((i * 2654435761L + 1000003) % (1L << 32)),
        "s32_ow" => (int)((i * 2246822519L + 7) % (1L << 32) - (1L << 31)),
        "b1_ob" or "b1_ow_mf3" or "b1_ob_mf3" => Bit(i % Pixels, i / Pixels),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>The known 1-bit pattern: frame f, pixel i is set when (5 i + 3 f) mod 7 &lt; 3.</summary>
    private static int Bit(int i, int frame) => (5 * i + 3 * frame) % 7 < 3 ? 1 : 0;

    private static long[] AllValues(string path, out DicomPixelData pixels)
    {
        pixels = DicomPixelData.Create(DicomFile.Open(path));
        var values = new List<long>();
        for (int f = 0; f < pixels.FrameCount; f++)
        {
            var frame = pixels.DecodeFrame(f);
            values.AddRange(Widen(frame));
        }
        return [.. values];
    }

    /// <summary>Stored values without the int clamp of <see cref="PixelFrame.CopyTo"/> (32-bit unsigned above 2^31).</summary>
    private static IEnumerable<long> Widen(PixelFrame frame)
    {
        var d = frame.Data;
        for (int i = 0; i < frame.Length; i++)
            yield return (frame.Info.BitsAllocated, frame.Info.IsSigned) switch
            {
                (1 or 8, false) => d[i],
                (16, false) => BitConverter.ToUInt16(d, 2 * i),
                (16, true) => BitConverter.ToInt16(d, 2 * i),
                (32, false) => BitConverter.ToUInt32(d, 4 * i),
                (32, true) => BitConverter.ToInt32(d, 4 * i),
                _ => throw new InvalidOperationException(),
            };
    }

    [Theory]
    [MemberData(nameof(TwinNames))]
    public void Big_endian_twin_decodes_to_the_little_endian_twins_stored_values(string name)
    {
        var le = DicomFile.Open(TestPaths.Twin(name + "_le.dcm"));
        var be = DicomFile.Open(TestPaths.Twin(name + "_be.dcm"));
        Assert.Equal(TransferSyntax.ExplicitVRLittleEndian, le.TransferSyntax);
        Assert.True(be.TransferSyntax.IsBigEndian);

        var lePixels = DicomPixelData.Create(le);
        var bePixels = DicomPixelData.Create(be);
        Assert.Equal(lePixels.FrameCount, bePixels.FrameCount);
        for (int f = 0; f < lePixels.FrameCount; f++)
            Assert.Equal(lePixels.DecodeFrame(f).Data, bePixels.DecodeFrame(f).Data);
    }

    [Theory]
    [MemberData(nameof(TwinNames))]
    public void Both_twins_hold_the_values_the_dump_was_written_with(string name)
    {
        foreach (var suffix in new[] { "_le.dcm", "_be.dcm" })
        {
            var values = AllValues(TestPaths.Twin(name + suffix), out var pixels);
            Assert.Equal(pixels.FrameCount * Pixels, values.Length);
            var expected = Enumerable.Range(0, values.Length).Select(i => Expected(name, i)).ToArray();
            Assert.Equal(expected, values);
        }
    }

    [Fact]
    public void Eight_bit_OW_big_endian_pixels_are_not_swapped_in_pairs()
    {
        // The issue-18 case: OW words of 8-bit data were swapped twice (reader, then decoder), so pixels 0 and 1 came
        // out as 0x30, 0x0B where dcmtk and GDCM read 0x0B, 0x30. The odd-sized frames of u8_ow_mf3 share words.
        var frame = DicomPixelData.Create(DicomFile.Open(TestPaths.Twin("u8_ow_be.dcm"))).DecodeFrame(0);
        Assert.Equal(new byte[] { 0x0B, 0x30, 0x55 }, frame.Data[..3]);
        var second = DicomPixelData.Create(DicomFile.Open(TestPaths.Twin("u8_ow_mf3_be.dcm"))).DecodeFrame(1);
        Assert.Equal((byte)((15 * 53 + 7) % 256), second.Data[0]);
    }

    [Fact]
    public void Thirty_two_bit_OW_big_endian_is_read_as_dcmtk_writes_it()
    {
        // PS3.5 8.1.1: a 32-bit cell spans two OW words, least significant word first, each word in the transfer
        // syntax's byte order; dcmconv +tb writes that and dcmtk/GDCM read it so. 1000003 (0x000F4243) is 43 42 0F 00 in LE, 42 43 00 0F in BE.
        var bytes = File.ReadAllBytes(TestPaths.Twin("u32_ow_be.dcm"));
        Assert.Equal(new byte[] { 0x42, 0x43, 0x00, 0x0F }, bytes[^60..^56]);
        var frame = DicomPixelData.Create(DicomFile.Open(TestPaths.Twin("u32_ow_be.dcm"))).DecodeFrame(0);
        Assert.Equal(1000003u, BitConverter.ToUInt32(frame.Data, 0));
    }

    [Theory]
    [InlineData("b1_ob_le.dcm", "b1_ob", 1)]
    [InlineData("b1_ob_mf3_le.dcm", "b1_ob_mf3", 3)]
    [InlineData("b1_ow_mf3_be.dcm", "b1_ow_mf3", 3)]
    public void One_bit_frames_equal_dcm2pnm_frames(string file, string pgmStem, int frames)
    {
        var pixels = DicomPixelData.Create(DicomFile.Open(TestPaths.Twin(file)));
        Assert.Equal(frames, pixels.FrameCount);
        Assert.Equal(1, pixels.Info.BitsAllocated);
        for (int f = 0; f < frames; f++)
        {
            var (w, h, _, rendered) = ReadPnm(TestPaths.Twin($"{pgmStem}.{f}.pgm"));
            Assert.Equal((Columns, Rows), (w, h));
            var frame = pixels.DecodeFrame(f);
            Assert.Equal(rendered.Select(v => v == 0 ? (byte)0 : (byte)1).ToArray(), frame.AsBytes().ToArray());
            Assert.Equal(Enumerable.Range(0, Pixels).Select(i => (byte)Bit(i, f)).ToArray(), frame.AsBytes().ToArray());
        }
    }

    [Fact]
    public void One_bit_frames_are_not_byte_aligned()
    {
        // 15 bits per frame: frame 1 holds bits 15..29, i.e. bit 7 of byte 1 through bit 5 of byte 3.
        var pixels = DicomPixelData.Create(DicomFile.Open(TestPaths.Twin("b1_ob_mf3_le.dcm")));
        Assert.Equal(15, pixels.Info.NativeFrameBits);
        Assert.Equal(6, pixels.Info.NativeDataBytes);
        var raw = pixels.GetFrameBytes(1).ToArray();
        Assert.Equal(3, raw.Length);
        Assert.Equal(Bit(0, 1), (raw[0] >> 7) & 1);
        Assert.Equal(Bit(14, 1), (raw[2] >> 5) & 1);
        var frame = pixels.DecodeFrame(1);
        Assert.Equal((0, 1, 6.0 / 15), (frame.Statistics().Min, frame.Statistics().Max, frame.Statistics().Mean));
    }

    [Fact]
    public void One_bit_frame_renders_as_0_and_1_through_the_grey_pipeline()
    {
        var file = DicomFile.Open(TestPaths.Twin("b1_ob_le.dcm"));
        var pixels = DicomPixelData.Create(file);
        var frame = pixels.DecodeFrame(0);
        var grey = GrayscalePipeline.Create(file.Dataset, pixels.Info, PresentationOptions.Default, file.FilePath).Render(frame);
        Assert.Equal(frame.AsBytes().ToArray().Select(v => (float)v).ToArray(), grey);
    }

    [Fact]
    public void One_bit_data_one_byte_short_is_refused_naming_the_file_and_pixel_data()
    {
        var data = File.ReadAllBytes(TestPaths.Twin("b1_ob_mf3_le.dcm"));
        // Pixel Data is last: OB, 4-byte length 6. Make it 4 bytes (45 bits need 6).
        var at = data.Length - 6 - 4;
        Assert.Equal(6u, BitConverter.ToUInt32(data, at));
        BitConverter.GetBytes(4u).CopyTo(data, at);
        var file = DicomFile.Parse(data.AsMemory(0, data.Length - 2), "short1bit.dcm");
        var e = Assert.Throws<DicomFormatException>(() => DicomPixelData.Create(file));
        Assert.Equal(DicomTag.PixelData, e.Tag);
        Assert.Contains("short1bit.dcm", e.Message);
    }

    [Theory]
    [InlineData("SamplesPerPixel")]
    [InlineData("PixelRepresentation")]
    [InlineData("Encapsulated")]
    public void One_bit_data_that_cannot_be_binary_is_refused_naming_the_field(string field)
    {
        var file = DicomFile.Open(TestPaths.Twin("b1_ob_le.dcm"));
        var ds = file.Dataset;
        var syntax = file.TransferSyntax;
        DicomTag expected;
        switch (field)
        {
            case "SamplesPerPixel": ds.AddOrUpdate(DicomTag.SamplesPerPixel, DicomVR.US, 3); expected = DicomTag.SamplesPerPixel; break;
            case "PixelRepresentation": ds.AddOrUpdate(DicomTag.PixelRepresentation, DicomVR.US, 1); expected = DicomTag.PixelRepresentation; break;
            default: syntax = TransferSyntax.RLELossless; expected = DicomTag.BitsAllocated; break;
        }
        var e = Assert.Throws<DicomFormatException>(() => PixelDataInfo.FromDataset(ds, syntax, "bin.dcm"));
        Assert.Equal(expected, e.Tag);
        Assert.Contains("bin.dcm", e.Message);
    }

    [Fact]
    public void Ybr_full_422_decodes_to_what_GDCM_decodes_it_to()
    {
        // gdcmconv --raw turned the 4:2:2 file into YBR_FULL (Y Cb Cr for each pixel): the same stored values.
        var ours = DicomPixelData.Create(DicomFile.Open(TestPaths.Twin("ybr422_le.dcm")));
        var gdcm = DicomPixelData.Create(DicomFile.Open(TestPaths.Twin("ybr422_gdcm_full.dcm")));
        Assert.Equal("YBR_FULL_422", ours.Info.PhotometricInterpretation);
        Assert.Equal("YBR_FULL", gdcm.Info.PhotometricInterpretation);
        Assert.Equal(3 * 4 * 2, ours.Info.NativeFrameBits / 8);
        Assert.Equal(gdcm.DecodeFrame(0).Data, ours.DecodeFrame(0).Data);
    }

    [Fact]
    public void Ybr_full_422_converted_to_RGB_equals_dcm2pnm_within_rounding()
    {
        var frame = DicomPixelData.Create(DicomFile.Open(TestPaths.Twin("ybr422_le.dcm"))).DecodeFrame(0);
        var (w, h, channels, rgb) = ReadPnm(TestPaths.Twin("ybr422.ppm"));
        Assert.Equal((4, 3, 3), (w, h, channels));
        var ycc = frame.Data;
        for (int p = 0; p < w * h; p++)
        {
            double y = ycc[3 * p], cb = ycc[3 * p + 1] - 128.0, cr = ycc[3 * p + 2] - 128.0;
            // PS3.3 C.7.6.3.1.2 (YBR_FULL, ITU-R BT.601 full range). dcmtk centres chroma at 255 / 2 rather than 128 and
            // truncates, which moves its levels by up to 1.5 (G about 0.5 lower, B about 0.9 higher); a wrong pixel pair
            // or swapped Cb/Cr would be tens of levels off.
            double[] expected = [y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb];
            for (int c = 0; c < 3; c++)
                Assert.True(Math.Abs(expected[c] - rgb[3 * p + c]) < 1.5,
                    $"pixel {p} channel {c}: YCbCr -> {expected[c]:F2}, dcm2pnm {rgb[3 * p + c]}");
        }
    }

    [Theory]
    [InlineData("Columns")]
    [InlineData("PlanarConfiguration")]
    [InlineData("PixelData")]
    public void Ybr_full_422_that_cannot_be_pixel_pairs_is_refused_naming_the_field(string field)
    {
        var data = File.ReadAllBytes(TestPaths.Twin("ybr422_le.dcm"));
        var file = DicomFile.Parse(data, "ybr.dcm");
        var ds = file.Dataset;
        DicomTag expected;
        switch (field)
        {
            case "Columns": ds.AddOrUpdate(DicomTag.Columns, DicomVR.US, 3); expected = DicomTag.Columns; break;
            case "PlanarConfiguration": ds.AddOrUpdate(DicomTag.PlanarConfiguration, DicomVR.US, 1); expected = DicomTag.PlanarConfiguration; break;
            default:
                ds.AddOrUpdate(new DicomElement(DicomTag.PixelData, DicomVR.OB, new byte[22]));
                expected = DicomTag.PixelData;
                break;
        }
        var e = Assert.Throws<DicomFormatException>(() => DicomPixelData.Create(file));
        Assert.Equal(expected, e.Tag);
        Assert.Contains("ybr.dcm", e.Message);
    }

    /// <summary>Binary PGM (P5) or PPM (P6) with maxval 255: width, height, channels, samples.</summary>
    private static (int Width, int Height, int Channels, byte[] Samples) ReadPnm(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int pos = 0;
        string Token()
        {
            while (char.IsWhiteSpace((char)bytes[pos])) pos++;
            int start = pos;
            while (!char.IsWhiteSpace((char)bytes[pos])) pos++;
            return Encoding.ASCII.GetString(bytes, start, pos - start);
        }
        var magic = Token();
        int w = int.Parse(Token()), h = int.Parse(Token()), max = int.Parse(Token());
        pos++; // one whitespace byte before the samples
        Assert.Equal(255, max);
        int channels = magic == "P6" ? 3 : 1;
        Assert.Equal(w * h * channels, bytes.Length - pos);
        return (w, h, channels, bytes[pos..]);
    }
}
