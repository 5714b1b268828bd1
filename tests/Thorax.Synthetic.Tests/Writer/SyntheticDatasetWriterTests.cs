namespace Thorax.Synthetic.Tests.Writer;

public sealed class SyntheticDatasetWriterTests : IDisposable
{
    private readonly List<string> _dirs = [];

    private string NewDir()
    {
        var d = TestUtil.TempDir();
        _dirs.Add(d);
        return d;
    }

    public void Dispose()
    {
        foreach (var d in _dirs) if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
    }

    [Fact]
    public void Write_SameOptionsTwice_ByteIdenticalTrees()
    {
        var o = TestUtil.Small(count: 5, seed: 3, size: 128) with { Shortcut = ShortcutKind.CornerMarker };
        string a = NewDir(), b = NewDir();
        SyntheticDatasetWriter.Write(o with { OutputDirectory = a });
        SyntheticDatasetWriter.Write(o with { OutputDirectory = b });
        var ha = TestUtil.HashTree(a);
        var hb = TestUtil.HashTree(b);
        Assert.Equal(ha.Keys, hb.Keys);
        foreach (var k in ha.Keys) Assert.True(ha[k] == hb[k], $"{k} differs between runs");
    }

    [Fact]
    public void Write_ImagesAndMasks_UseTheFastFixedUpFilter()
    {
        var o = TestUtil.Small(count: 2, seed: 9, size: 96) with { OutputDirectory = NewDir() };
        var result = SyntheticDatasetWriter.Write(o);
        foreach (var dir in new[] { "images", "masks/lungs", "masks/heart", "masks/pneumothorax", "montgomery/ManualMask/leftMask" })
            foreach (var file in Directory.EnumerateFiles(Path.Combine(result.OutputDirectory, dir), "*.png"))
            {
                byte[] raw = InflateIdat(File.ReadAllBytes(file));
                Assert.Equal(96 * 97, raw.Length);
                for (int y = 0; y < 96; y++) Assert.True(raw[y * 97] == 2, $"{file}: row {y} uses filter {raw[y * 97]}");
            }
    }

    private static byte[] InflateIdat(byte[] png)
    {
        using var idat = new MemoryStream();
        for (int pos = 8; pos < png.Length;)
        {
            int len = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            if (png.AsSpan(pos + 4, 4).SequenceEqual("IDAT"u8)) idat.Write(png, pos + 8, len);
            pos += 12 + len;
        }
        idat.Position = 0;
        using var z = new System.IO.Compression.ZLibStream(idat, System.IO.Compression.CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        return raw.ToArray();
    }

    [Fact]
    public void Write_Layout_HasAllFilesAndCounts()
    {
        var o = TestUtil.Small(count: 6, seed: 5, size: 128) with { OutputDirectory = NewDir(), Write16BitPng = true };
        var result = SyntheticDatasetWriter.Write(o);
        string root = result.OutputDirectory;
        Assert.Equal(6, result.Studies);
        Assert.Equal(6, result.Train + result.Validation + result.Test);
        foreach (var f in new[] { "manifest.json", "studies.csv", "splits/train.txt", "splits/validation.txt", "splits/test.txt",
                     "siim/train-rle.csv", "egd-cxr/master_sheet.csv", "egd-cxr/fixations.csv", "reflacx/metadata.csv",
                     "candid-ptx/Pneumothorax_reports.csv", "candid-ptx/image_name_text_label.csv" })
            Assert.True(File.Exists(Path.Combine(root, f)), f);
        var ids = new[] { "train", "validation", "test" }.SelectMany(n => File.ReadAllLines(Path.Combine(root, "splits", n + ".txt"))).ToList();
        Assert.Equal(6, ids.Count);
        foreach (var id in ids)
            foreach (var d in new[] { "images", "images16", "masks/lungs", "masks/heart", "masks/pneumothorax", "montgomery/CXR_png",
                         "montgomery/ManualMask/leftMask", "montgomery/ManualMask/rightMask" })
                Assert.True(File.Exists(Path.Combine(root, d, id + ".png")), $"{d}/{id}.png");
        Assert.Equal(6, Directory.GetDirectories(Path.Combine(root, "reflacx", "main_data")).Length);
        var g = new StudyGenerator(o);
        Assert.Equal(g.Generate(4).Report + "\n", File.ReadAllText(Path.Combine(root, "reflacx", "main_data", "P300R100004", "transcription.txt")));
        var split = File.ReadAllLines(Path.Combine(root, "splits/train.txt")).Length
            + File.ReadAllLines(Path.Combine(root, "splits/validation.txt")).Length
            + File.ReadAllLines(Path.Combine(root, "splits/test.txt")).Length;
        Assert.Equal(6, split);
        Assert.Equal(result.Files, Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Count());
    }

    [Fact]
    public void Write_Pngs_DecodeToTheGeneratedPixels()
    {
        var o = TestUtil.Small(count: 2, seed: 9, size: 96) with { OutputDirectory = NewDir(), Write16BitPng = true };
        SyntheticDatasetWriter.Write(o);
        var g = new StudyGenerator(o);
        var s = g.Generate(1);
        var img = TestUtil.DecodePng(File.ReadAllBytes(Path.Combine(o.OutputDirectory!, "images", s.Id + ".png")));
        Assert.Equal((96, 96, 8), (img.Width, img.Height, img.BitDepth));
        Assert.Equal(s.Image8.Select(v => (ushort)v), img.Pixels);
        var img16 = TestUtil.DecodePng(File.ReadAllBytes(Path.Combine(o.OutputDirectory!, "images16", s.Id + ".png")));
        Assert.Equal(16, img16.BitDepth);
        Assert.Equal(s.Image12, img16.Pixels);
        var left = TestUtil.DecodePng(File.ReadAllBytes(Path.Combine(o.OutputDirectory!, "montgomery/ManualMask/leftMask", s.Id + ".png")));
        Assert.Equal(s.LeftLungMask.Select(v => (ushort)v), left.Pixels);
    }

    [Fact]
    public void Write_SiimRle_DecodesToPneumothoraxMask()
    {
        var o = TestUtil.Small(count: 6, seed: 21, size: 128) with { OutputDirectory = NewDir(), PneumothoraxRate = 0.7 };
        SyntheticDatasetWriter.Write(o);
        var lines = File.ReadAllLines(Path.Combine(o.OutputDirectory!, "siim/train-rle.csv"));
        Assert.Equal("ImageId, EncodedPixels", lines[0]);
        var g = new StudyGenerator(o);
        int positives = 0;
        for (int i = 0; i < o.Count; i++)
        {
            var s = g.Generate(i);
            var parts = lines[i + 1].Split(", ");
            Assert.Equal(s.SopInstanceUid, parts[0]);
            var decoded = DecodeSiim(parts[1], 128, 128);
            Assert.Equal(s.PneumothoraxMask, decoded);
            if (parts[1] != "-1") positives++;
        }
        Assert.True(positives > 0);
    }

    [Fact]
    public void Write_ExistingNonEmptyFolderWithoutForce_ThrowsAndKeepsFiles()
    {
        string dir = NewDir();
        Directory.CreateDirectory(dir);
        string keep = Path.Combine(dir, "keep.txt");
        File.WriteAllText(keep, "precious");
        var o = TestUtil.Small(count: 1, size: 64) with { OutputDirectory = dir };
        var ex = Assert.Throws<SynthOutputExistsException>(() => SyntheticDatasetWriter.Write(o));
        Assert.Contains("--force", ex.Message);
        Assert.Single(Directory.EnumerateFileSystemEntries(dir));
        Assert.Equal("precious", File.ReadAllText(keep));

        var result = SyntheticDatasetWriter.Write(o with { Force = true });
        Assert.Equal(1, result.Studies);
        Assert.True(File.Exists(Path.Combine(dir, "manifest.json")));
    }

    [Fact]
    public void Write_ExistingEmptyFolder_Allowed()
    {
        string dir = NewDir();
        Directory.CreateDirectory(dir);
        var r = SyntheticDatasetWriter.Write(TestUtil.Small(count: 1, size: 64) with { OutputDirectory = dir });
        Assert.Equal(1, r.Studies);
    }

    [Fact]
    public void Write_MissingOutputDirectory_Throws()
    {
        var ex = Assert.Throws<InvalidSynthOptionsException>(() => SyntheticDatasetWriter.Write(TestUtil.Small(count: 1, size: 64)));
        Assert.Equal(nameof(SynthOptions.OutputDirectory), ex.Option);
    }

    [Fact]
    public void Write_Cancelled_ThrowsOperationCanceled()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            SyntheticDatasetWriter.Write(TestUtil.Small(count: 3, size: 64) with { OutputDirectory = NewDir() }, null, cts.Token));
    }

    [Fact]
    public void Write_Progress_ReportsEveryStudy()
    {
        var seen = new System.Collections.Concurrent.ConcurrentBag<int>();
        SyntheticDatasetWriter.Write(TestUtil.Small(count: 4, size: 64) with { OutputDirectory = NewDir() }, new SyncProgress(seen.Add));
        Assert.Equal([1, 2, 3, 4], seen.OrderBy(v => v));
    }

    [Fact]
    public void Write_EgdFixations_MapBackToImageCoordinates()
    {
        var o = TestUtil.Small(count: 2, seed: 4, size: 128) with { OutputDirectory = NewDir() };
        SyntheticDatasetWriter.Write(o);
        var master = File.ReadAllLines(Path.Combine(o.OutputDirectory!, "egd-cxr/master_sheet.csv"));
        Assert.StartsWith("dicom_id,path,patient_id,study_id,gender,anchor_age,image_top_pad,image_bottom_pad,image_left_pad,image_right_pad,Normal,CHF,pneumonia", master[0]);
        var m = master[1].Split(',');
        double top = double.Parse(m[6], System.Globalization.CultureInfo.InvariantCulture), left = double.Parse(m[8], System.Globalization.CultureInfo.InvariantCulture);
        double right = double.Parse(m[9], System.Globalization.CultureInfo.InvariantCulture), bottom = double.Parse(m[7], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(420, left);
        var fix = File.ReadAllLines(Path.Combine(o.OutputDirectory!, "egd-cxr/fixations.csv"));
        var header = fix[0].Split(',');
        int ix = Array.IndexOf(header, "FPOGX"), iy = Array.IndexOf(header, "FPOGY"), xo = Array.IndexOf(header, "X_ORIGINAL"), yo = Array.IndexOf(header, "Y_ORIGINAL");
        foreach (var line in fix.Skip(1).Take(30))
        {
            var f = line.Split(',');
            double ex = double.Parse(f[ix], System.Globalization.CultureInfo.InvariantCulture) * 1920;
            double ey = double.Parse(f[iy], System.Globalization.CultureInfo.InvariantCulture) * 1080;
            int x = (int)(128 / (1920 - left - right) * (ex - left)), y = (int)(128 / (1080 - top - bottom) * (ey - top));
            Assert.InRange(Math.Abs(x - int.Parse(f[xo])), 0, 1);
            Assert.InRange(Math.Abs(y - int.Parse(f[yo])), 0, 1);
        }
    }

    [Fact]
    public void Write_Dicom_HeaderAndPixelsMatchStudy()
    {
        var o = TestUtil.Small(count: 12, seed: 13, size: 96) with { OutputDirectory = NewDir(), Monochrome1Rate = 0.5 };
        SyntheticDatasetWriter.Write(o);
        var g = new StudyGenerator(o);
        var master = File.ReadAllLines(Path.Combine(o.OutputDirectory!, "egd-cxr/master_sheet.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        var studiesCsv = TestUtil.ReadCsvRows(Path.Combine(o.OutputDirectory!, "studies.csv"));
        var seen = new HashSet<(StudyEncoding, bool)>();
        for (int i = 0; i < o.Count; i++)
        {
            var s = g.Generate(i);
            var row = master.Single(r => r[0] == s.Id);
            Assert.Equal(s.Encoding.ToString().ToLowerInvariant(), studiesCsv.Single(r => r[0] == s.Id)[14]);
            var file = Thorax.Dicom.DicomFile.Open(Path.Combine(o.OutputDirectory!, "mimic-cxr", row[1]));
            var ds = file.Dataset;
            Assert.Equal(s.SopInstanceUid, ds.GetString(Thorax.Dicom.DicomTag.SOPInstanceUID));
            Assert.Equal(96, ds.GetInt(Thorax.Dicom.DicomTag.Rows));
            Assert.Equal(s.Monochrome1 ? "MONOCHROME1" : "MONOCHROME2", ds.GetString(Thorax.Dicom.DicomTag.PhotometricInterpretation));
            var frame = Thorax.Dicom.DicomPixelData.Create(file).DecodeFrame(0);
            var decoded = frame.ToInt32Array();
            bool twelve = s.Encoding == StudyEncoding.Uncompressed12;
            int max = twelve ? 4095 : 255;
            var expected = twelve ? s.Image12.Select(v => (int)v).ToArray() : s.Image8.Select(v => (int)v).ToArray();
            if (s.Monochrome1) expected = expected.Select(v => max - v).ToArray();
            Assert.Equal(twelve ? 12 : 8, ds.GetInt(Thorax.Dicom.DicomTag.BitsStored));
            if (s.Encoding == StudyEncoding.JpegBaseline8)
            {
                Assert.Same(Thorax.Dicom.TransferSyntax.JPEGBaseline8Bit, file.TransferSyntax);
                Assert.Equal("01", ds.GetString(Thorax.Dicom.DicomTag.LossyImageCompression));
                Assert.Equal("ISO_10918_1", ds.GetString(Thorax.Dicom.DicomTag.LossyImageCompressionMethod));
                Assert.InRange(ds.GetDouble(Thorax.Dicom.DicomTag.LossyImageCompressionRatio), 1.2, 50);
                // Quality 95: every pixel within a few grey levels, mean error well below one level.
                var err = decoded.Zip(expected, (a, b) => Math.Abs(a - b)).ToArray();
                Assert.InRange(err.Max(), 0, 16);
                Assert.InRange(err.Average(), 0, 1.5);
                Assert.NotEqual(expected, decoded); // lossy: the test would notice if native data were written
            }
            else
            {
                Assert.Same(Thorax.Dicom.TransferSyntax.ExplicitVRLittleEndian, file.TransferSyntax);
                Assert.False(ds.Contains(Thorax.Dicom.DicomTag.LossyImageCompression));
                Assert.Equal(expected, decoded);
            }
            seen.Add((s.Encoding, s.Monochrome1));
        }
        foreach (var enc in new[] { StudyEncoding.Uncompressed12, StudyEncoding.Uncompressed8, StudyEncoding.JpegBaseline8 })
            Assert.Contains(seen, e => e.Item1 == enc);
        Assert.Contains(seen, e => e.Item2);
        Assert.Contains(seen, e => e.Item1 == StudyEncoding.JpegBaseline8 && e.Item2);
    }

    [Theory]
    [InlineData(DicomOutput.Jpeg, "jpegbaseline8")]
    [InlineData(DicomOutput.Uncompressed, null)]
    [InlineData(DicomOutput.None, "none")]
    public void Write_DicomMode_ControlsEncodingsAndManifest(DicomOutput mode, string? only)
    {
        var o = TestUtil.Small(count: 6, seed: 21, size: 64) with { OutputDirectory = NewDir(), Dicom = mode, JpegQuality = 80 };
        SyntheticDatasetWriter.Write(o);
        var encodings = TestUtil.ReadCsvRows(Path.Combine(o.OutputDirectory!, "studies.csv")).Select(r => r[14]).ToList();
        if (only is not null) Assert.All(encodings, e => Assert.Equal(only, e));
        else Assert.All(encodings, e => Assert.StartsWith("uncompressed", e));
        var dcms = Directory.Exists(Path.Combine(o.OutputDirectory!, "mimic-cxr"))
            ? Directory.GetFiles(Path.Combine(o.OutputDirectory!, "mimic-cxr"), "*.dcm", SearchOption.AllDirectories) : [];
        Assert.Equal(mode == DicomOutput.None ? 0 : 6, dcms.Length);
        using var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(o.OutputDirectory!, "manifest.json")));
        var root = manifest.RootElement;
        Assert.Equal(SynthOptions.DicomName(mode), root.GetProperty("options").GetProperty("dicom").GetString());
        Assert.Equal(80, root.GetProperty("options").GetProperty("jpegQuality").GetInt32());
        var counts = root.GetProperty("dicomEncodings");
        Assert.Equal(6, counts.EnumerateObject().Sum(p => p.Value.GetInt32()));
        foreach (var p in counts.EnumerateObject())
            Assert.Equal(encodings.Count(e => e == p.Name), p.Value.GetInt32());
    }

    [Fact]
    public void Plan_MixedEncoding_RoughlyThirdsAndSeedDeterministic()
    {
        var o = TestUtil.Small(count: 3000, seed: 99);
        var g = new StudyGenerator(o);
        var encodings = Enumerable.Range(0, o.Count).Select(i => g.Plan(i).Encoding).ToList();
        foreach (var e in new[] { StudyEncoding.Uncompressed12, StudyEncoding.Uncompressed8, StudyEncoding.JpegBaseline8 })
            Assert.InRange(encodings.Count(x => x == e), 900, 1100);
        var again = new StudyGenerator(o);
        Assert.Equal(encodings, Enumerable.Range(0, o.Count).Select(i => again.Plan(i).Encoding));
        var other = new StudyGenerator(o with { Seed = 100 });
        Assert.NotEqual(encodings, Enumerable.Range(0, o.Count).Select(i => other.Plan(i).Encoding));
    }

    private static byte[] DecodeSiim(string rle, int w, int h)
    {
        var flat = new byte[w * h];
        if (rle.Trim() != "-1")
        {
            var v = rle.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            int pos = 0;
            for (int k = 0; k < v.Length; k += 2)
            {
                pos += v[k];
                for (int j = 0; j < v[k + 1]; j++) flat[pos + j] = 255;
                pos += v[k + 1];
            }
        }
        // flat is column-major: index = x * h + y.
        var mask = new byte[w * h];
        for (int x = 0; x < w; x++) for (int y = 0; y < h; y++) mask[y * w + x] = flat[x * h + y];
        return mask;
    }

    private sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
