using Thorax.Dicom.Tests.Infrastructure;

namespace Thorax.Dicom.Tests.Fuzz;

/// <summary>Regression tests for the DICOM findings of <c>thorax fuzz --format dicom --cases 100000 --seed 8</c> and of the
/// structure-aware mutator (<c>--format dicom-structure</c>).</summary>
public class FuzzFindingsTests
{
    /// <summary>An over-full DHT (three 1-bit codes) indexed past the 8-bit lookahead table: IndexOutOfRangeException.</summary>
    [Fact]
    public void Overfull_Huffman_table_is_a_DicomFormatException()
    {
        var path = TestPaths.Golden("jpeg12/u12_ext_61x75_restart.dcm");
        var data = File.ReadAllBytes(path);
        var dht = data.AsSpan().IndexOf(new byte[] { 0xFF, 0xC4 });
        Assert.True(dht > 0);
        var counts = dht + 5; // FF C4, 2-byte length, Tc/Th, then the 16 counts
        var donor = Enumerable.Range(1, 15).First(i => data[counts + i] >= 3);
        data[counts + donor] -= 3; // same total, so the segment still parses
        data[counts] += 3;         // three codes of length 1: not a prefix code
        var file = DicomFile.Parse(data, "overfull.dcm");
        var e = Assert.Throws<DicomFormatException>(() => DicomPixelData.Create(file).DecodeFrame(0));
        Assert.Contains("Huffman", e.Message);
        Assert.Contains("overfull.dcm", e.Message);
    }

    /// <summary>A corrupt Rows on an encapsulated frame sized the output (474 MiB) before the codec read its header.</summary>
    [Fact]
    public void Rows_beyond_what_the_compressed_frame_can_hold_is_refused_before_allocating()
    {
        var data = File.ReadAllBytes(TestPaths.Corpus("u8_jpeg_baseline.dcm"));
        // (0028,0010) US, length 2: 28 00 10 00 'U' 'S' 02 00 value
        var rows = data.AsSpan().IndexOf(new byte[] { 0x28, 0x00, 0x10, 0x00, (byte)'U', (byte)'S', 0x02, 0x00 });
        Assert.True(rows > 0);
        data[rows + 8] = 0x01;
        data[rows + 9] = 0xED; // 60673
        var cols = data.AsSpan().IndexOf(new byte[] { 0x28, 0x00, 0x11, 0x00, (byte)'U', (byte)'S', 0x02, 0x00 });
        Assert.True(cols > 0);
        data[cols + 8] = 0x00;
        data[cols + 9] = 0x20; // 8192: 60673 x 8192 = 474 MiB, as in the finding
        var file = DicomFile.Parse(data, "rows.dcm");
        var pixels = DicomPixelData.Create(file);
        Assert.Equal(60673, pixels.Info.Rows);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DicomFormatException>(() => pixels.DecodeFrame(0));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20);
        Assert.Contains("rows.dcm", e.Message);
        Assert.Contains("Rows", e.Message);
    }

    /// <summary>
    /// A JPEG-LS fragment truncated by the structure mutator (its length kept consistent) made CharLS spin for 9.5 s
    /// before failing (found by DicomStructureFuzzTests' loop: seed 3, case 2927). A stream without its EOI marker is now
    /// refused before CharLS sees it.
    /// </summary>
    [Fact]
    public void Structure_case_2927_a_truncated_JPEG_LS_fragment_is_refused_at_once()
    {
        var src = Path.Combine(TestPaths.RepoRoot, "tests", "data", "fuzz", "findings", "dicom-structure-seed3-case2927.dcm.bin");
        var file = DicomFile.Parse(File.ReadAllBytes(src), "case2927.dcm");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<DicomFormatException>(() => DicomPixelData.Create(file).DecodeFrame(0));
        Assert.True(sw.Elapsed.TotalSeconds < 2, $"took {sw.Elapsed.TotalSeconds:0.0} s");
        Assert.Contains("case2927.dcm", e.Message);
        Assert.Contains("EOI", e.Message);
    }

    [Fact]
    public void JPEG_LS_cut_anywhere_is_refused_quickly_and_the_whole_stream_still_decodes()
    {
        var bytes = File.ReadAllBytes(TestPaths.Corpus("u12_jpegls.dcm"));
        var file = DicomFile.Parse(bytes, "u12_jpegls.dcm");
        var pixels = DicomPixelData.Create(file);
        var frag = ((DicomFragmentSequence)file.Dataset.Single(i => i.Tag == DicomTag.PixelData)).Fragments[0].ToArray();
        var codec = PixelCodecRegistry.Default.GetCodec(file.TransferSyntax);
        var dst = new byte[pixels.Info.FrameSizeBytes];
        codec.Decode(frag, pixels.Info, dst);
        codec.Decode([.. frag, 0, 0], pixels.Info, dst); // zero padding after EOI is allowed
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (var cut = frag.Length / 2; cut < frag.Length - 1; cut += 7) // 90 % took 5 s before
            Assert.Throws<DicomFormatException>(() => codec.Decode(frag.AsSpan(0, cut), pixels.Info, dst));
        Assert.True(sw.Elapsed.TotalSeconds < 5, $"{sw.Elapsed.TotalSeconds:0.0} s for {frag.Length / 14} cuts");
    }

    /// <summary>
    /// MONOCHROME2 with SamplesPerPixel 3 (the structure mutator changed one of the two) reached the grayscale pipeline,
    /// whose Render threw an ArgumentException: <c>thorax fuzz --format dicom-structure --seed 7</c>, case 54674 (and
    /// 27993, 71782, 94411 alike).
    /// </summary>
    [Fact]
    public void Structure_case_54674_monochrome_with_three_samples_is_refused_naming_the_field()
    {
        var src = Path.Combine(TestPaths.RepoRoot, "tests", "data", "fuzz", "findings", "dicom-structure-seed7-case54674.dcm.bin");
        var file = DicomFile.Parse(File.ReadAllBytes(src), "case54674.dcm");
        var e = Assert.Throws<DicomFormatException>(() => DicomPixelData.Create(file));
        Assert.Contains("case54674.dcm", e.Message);
        Assert.Contains("SamplesPerPixel", e.Message);
    }

    [Fact]
    public void Frame_bound_leaves_room_for_real_images()
    {
        Assert.Equal(256L << 20, DicomPixelData.MaxDecodedFrameBytes(1000));
        Assert.True(DicomPixelData.MaxDecodedFrameBytes(127_000) >= 1024L * 1024 * 2); // a SIIM JPEG frame
    }
}
