using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;

namespace Thorax.Cli.Tests;

/// <summary>
/// <c>thorax convert</c> output pixels against tests/data/golden/cli (tools/golden/cli/make_convert_goldens.py, which
/// renders with pydicom's apply_modality_lut/apply_voi_lut): DICOM default rendering (the file's first window, else
/// the full range), <c>--window C,W</c>, <c>--normalize full</c>, MONOCHROME1 inversion, 8- and 16-bit PNG, JPEG
/// output, PNG/JPEG inputs, and exit code 2 with the file named for bad input. Inputs are committed files only.
/// </summary>
public sealed class ConvertCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("thorax-convert-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    // ------------------------------------------------------------------------------------------ helpers

    private static readonly Lazy<string> Root = new(() =>
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "tests", "data", "golden", "cli", "convert.json"))) return d.FullName;
        throw new DirectoryNotFoundException("tests/data/golden/cli/convert.json not found above " + AppContext.BaseDirectory);
    });

    private static string Cli(string name) => Path.Combine(Root.Value, "tests", "data", "golden", "cli", name);

    private static string Corpus(string name) => Path.Combine(Root.Value, "tests", "data", "golden", "dicom", "corpus", name);

    private static readonly Lazy<JsonElement> Manifest = new(() =>
        JsonDocument.Parse(File.ReadAllText(Cli("convert.json"))).RootElement.GetProperty("cases"));

    private sealed record Golden(string Input, string[] Args, int Bits, int Width, int Height, ushort[] Pixels);

    private static Golden Load(string name)
    {
        var c = Manifest.Value.GetProperty(name);
        var input = c.GetProperty("input").GetString()!;
        var path = input.StartsWith("corpus:", StringComparison.Ordinal) ? Corpus(input[7..]) : Cli(input[4..]);
        var args = c.GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToArray();
        int bits = c.GetProperty("bits").GetInt32(), w = c.GetProperty("width").GetInt32(), h = c.GetProperty("height").GetInt32();
        var raw = File.ReadAllBytes(Cli(c.GetProperty("file").GetString()!));
        Assert.Equal(c.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(raw)));
        var pixels = bits == 8 ? raw.Select(b => (ushort)b).ToArray() : MemoryMarshal.Cast<byte, ushort>(raw).ToArray();
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException();
        Assert.Equal(w * h, pixels.Length);
        return new Golden(path, args, bits, w, h, pixels);
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    private string Out(string name) => Path.Combine(_dir, name);

    /// <summary>Runs convert and asserts success; returns stdout.</summary>
    private static string ConvertOk(string input, string output, params string[] options)
    {
        var (code, stdout, err) = Run(["convert", input, output, .. options]);
        Assert.True(code == 0, $"convert {input} {output} {string.Join(' ', options)} -> exit {code}: {err}");
        Assert.True(File.Exists(output), output);
        return stdout;
    }

    /// <summary>Grey samples of a PNG written by convert, with its bit depth.</summary>
    private static (int Bits, int Width, int Height, ushort[] Pixels) ReadPng(string path)
    {
        var png = Png.Read(path);
        Assert.Equal(1, png.Channels);
        if (png.Image16 is { } i16) return (16, i16.Width, i16.Height, i16.Pixels.ToArray());
        var i8 = png.AsByte();
        return (8, i8.Width, i8.Height, i8.Data.Select(b => (ushort)b).ToArray());
    }

    private static void AssertPixelsEqual(ushort[] expected, ushort[] actual, int width, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        int bad = 0, first = -1;
        for (int i = 0; i < expected.Length; i++)
            if (expected[i] != actual[i]) { bad++; if (first < 0) first = i; }
        Assert.True(bad == 0,
            $"{what}: {bad} of {expected.Length} samples differ; first at (x={first % width}, y={first / width}): expected {(first < 0 ? 0 : expected[first])}, got {(first < 0 ? 0 : actual[first])}");
    }

    /// <summary>Converts the golden case's input with its arguments to PNG and compares every sample.</summary>
    private void AssertGolden(string name, params string[] extraArgs)
    {
        var g = Load(name);
        var o = Out(name + ".png");
        ConvertOk(g.Input, o, [.. g.Args, .. extraArgs]);
        var (bits, w, h, px) = ReadPng(o);
        Assert.Equal(g.Bits, bits);
        Assert.Equal((g.Width, g.Height), (w, h));
        AssertPixelsEqual(g.Pixels, px, w, name);
    }

    private static (double MeanAbs, int MaxAbs) Diff(ReadOnlySpan<byte> a, ReadOnlySpan<ushort> b)
    {
        Assert.Equal(a.Length, b.Length);
        long sum = 0;
        int max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            int d = Math.Abs(a[i] - b[i]);
            sum += d;
            max = Math.Max(max, d);
        }
        return ((double)sum / a.Length, max);
    }

    // ------------------------------------------------------------------------------------------ golden pixels

    [Fact]
    public void GoldenInputs_AreTheFilesTheGoldensWereMadeFrom()
    {
        // The corpus DICOMs are regenerated by another script; if they change, rerun make_convert_goldens.py.
        var expected = JsonDocument.Parse(File.ReadAllText(Cli("convert.json"))).RootElement.GetProperty("inputs");
        foreach (var p in expected.EnumerateObject())
        {
            var path = p.Name.StartsWith("corpus:", StringComparison.Ordinal) ? Corpus(p.Name[7..]) : Cli(p.Name[4..]);
            Assert.True(p.Value.GetString() == Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))),
                $"{path} changed since tools/golden/cli/make_convert_goldens.py last ran; rerun it");
        }
    }

    [Theory]
    [InlineData("u12_default_8")]          // the file's first window, 2048/4096 LINEAR
    [InlineData("u12_default_16")]
    [InlineData("u12_window_1000_500_8")]  // --window 1000,500
    [InlineData("u12_window_1000_500_16")]
    [InlineData("u12_full_8")]             // --normalize full
    [InlineData("u16_default_8")]          // no window in the file: full range
    [InlineData("u16_default_16")]
    [InlineData("mono1_default_8")]        // MONOCHROME1, rescale 2x-1000, window 3000/2001
    [InlineData("mono1_default_16")]
    [InlineData("mono1_full_8")]
    [InlineData("mono1_window_neg_8")]     // --window=-200.5,3001
    [InlineData("grey8_png_8")]            // 8-bit PNG in: identity
    [InlineData("rgb8_png_8")]             // colour PNG in: PIL convert("L")
    [InlineData("grey16_png_8")]
    [InlineData("grey16_png_16")]          // 16-bit PNG in and out: identity
    [InlineData("grey_jpg_8")]             // JPEG in: PIL's decode
    [InlineData("rgb_jpg_8")]
    public void Convert_ToPng_MatchesGolden(string name) => AssertGolden(name);

    [Fact]
    public void Convert_NormalizeDataset_IsTheDefault() => AssertGolden("mono1_default_8", "--normalize", "dataset");

    [Fact]
    public void Convert_Window_OverridesNormalize()
    {
        AssertGolden("u12_window_1000_500_8", "--normalize", "full");
        AssertGolden("mono1_window_neg_8", "--normalize", "full");
    }

    [Fact]
    public void Convert_NegativeWindowCentre_AsSeparateToken_ParsesLikeTheEqualsForm()
    {
        var g = Load("mono1_window_neg_8");
        var o = Out("neg.png");
        ConvertOk(g.Input, o, "--window", "-200.5,3001");
        AssertPixelsEqual(g.Pixels, ReadPng(o).Pixels, g.Width, "--window -200.5,3001");
    }

    [Fact]
    public void Convert_FullRange_DiffersFromTheFileWindow_WhenTheWindowIsNotTheFullRange()
    {
        var a = Load("mono1_default_8").Pixels;
        var b = Load("mono1_full_8").Pixels;
        Assert.True(a.Zip(b).Count(p => p.First != p.Second) > a.Length / 4);
    }

    [Fact]
    public void Convert_Monochrome1_IsInverted_LowStoredValuesAreWhite()
    {
        // mono1.dcm: stored 0 at (0,0), 4095 at (31,0); row 0 otherwise a rising ramp of stored values.
        var o = Out("m1.png");
        ConvertOk(Cli("mono1.dcm"), o, "--normalize", "full");
        var (_, w, _, px) = ReadPng(o);
        Assert.Equal(255, px[0]);
        Assert.Equal(0, px[w - 1]);
        for (int x = 1; x < w; x++) Assert.True(px[x] <= px[x - 1], $"row 0 must fall left to right, x={x}");
        // MONOCHROME2 (corpus u16, no window, full range): the opposite direction.
        var o2 = Out("m2.png");
        ConvertOk(Corpus("u16_explicit_le.dcm"), o2, "--bits", "16");
        var stored = Stored16(Corpus("u16_explicit_le.dcm"));
        AssertPixelsEqual(stored, ReadPng(o2).Pixels, 40, "u16 full range at 16 bits is the stored value");
    }

    /// <summary>Stored samples of an uncompressed little-endian 16-bit DICOM, read by Thorax.Dicom.</summary>
    private static ushort[] Stored16(string path)
    {
        var file = Thorax.Dicom.DicomFile.Open(path);
        var frame = Thorax.Dicom.DicomPixelData.Create(file).DecodeFrame(0);
        return frame.AsUInt16().ToArray();
    }

    [Theory]
    [InlineData("u12_implicit_le.dcm")]
    [InlineData("u12_explicit_be.dcm")]
    [InlineData("u12_deflated.dcm")]
    [InlineData("u12_rle.dcm")]
    [InlineData("u12_jpeg_sv1.dcm")]
    [InlineData("u12_jpeg_lossless_sv2.dcm")]
    [InlineData("u12_jpegls.dcm")]
    [InlineData("u12_j2k.dcm")]
    public void Convert_CompressedTransferSyntaxes_RenderLikeTheUncompressedFile(string file)
    {
        // corpus.json: every u12_* file holds the same frame and the same window as u12_explicit_le.dcm.
        var g = Load("u12_default_8");
        var o = Out(file + ".png");
        ConvertOk(Corpus(file), o);
        AssertPixelsEqual(g.Pixels, ReadPng(o).Pixels, g.Width, file);
    }

    [Fact]
    public void Convert_EightBitPngTo16Bit_ScalesBy257()
    {
        var o = Out("g16.png");
        ConvertOk(Cli("grey8.png"), o, "--bits", "16");
        var src = Png.Read(Cli("grey8.png")).AsByte().Data;
        var (bits, _, _, px) = ReadPng(o);
        Assert.Equal(16, bits);
        AssertPixelsEqual(src.Select(b => (ushort)(b * 257)).ToArray(), px, 30, "8 -> 16 bit");
    }

    [Fact]
    public void Convert_PrintsSizeAndDepth_AndCreatesTheOutputFolder()
    {
        var o = Path.Combine(_dir, "sub", "dir", "x.png");
        var stdout = ConvertOk(Corpus("u12_explicit_le.dcm"), o, "--bits", "16");
        Assert.Contains("(80x64, 16-bit)", stdout);
        Assert.Contains(o, stdout);
        var j = Path.Combine(_dir, "sub2", "x.jpg");
        Assert.Contains("(80x64, 8-bit)", ConvertOk(Corpus("u12_explicit_le.dcm"), j));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories));
    }

    // ------------------------------------------------------------------------------------------ JPEG output

    [Theory]
    [InlineData("u12_default_8", ".jpg")]
    [InlineData("mono1_default_8", ".jpeg")]
    [InlineData("u16_default_8", ".JPG")]
    [InlineData("rgb8_png_8", ".jpg")]     // PNG in -> JPEG out
    [InlineData("grey_jpg_8", ".jpg")]     // JPEG in -> JPEG out
    public void Convert_ToJpeg_IsCloseToThe8BitPng(string name, string ext)
    {
        var g = Load(name);
        var jpg = Out(name + ext);
        ConvertOk(g.Input, jpg, g.Args);
        var img = Jpeg.Read(jpg);
        Assert.Equal(1, img.Channels);
        Assert.Equal((g.Width, g.Height), (img.Width, img.Height));
        var (mean, max) = Diff(img.Data, g.Pixels);
        Assert.True(mean < 2 && max < 30, $"{name}{ext} at quality 95: mean |diff| {mean:F3}, max {max}");
    }

    [Fact]
    public void Convert_PngToJpegToPng_RoundTripsWithinJpegError()
    {
        var src = Png.Read(Cli("grey8.png")).AsByte();
        var jpg = Out("rt.jpg");
        ConvertOk(Cli("grey8.png"), jpg);
        var png = Out("rt.png");
        ConvertOk(jpg, png);
        var (bits, w, h, px) = ReadPng(png);
        Assert.Equal((8, src.Width, src.Height), (bits, w, h));
        // JPEG -> PNG is exact: the PNG holds the decoded JPEG samples.
        AssertPixelsEqual(Jpeg.Read(jpg).Data.Select(b => (ushort)b).ToArray(), px, w, "jpeg -> png");
        var (mean, max) = Diff(src.Data, px);
        Assert.True(mean < 2 && max < 30, $"png -> jpeg -> png: mean |diff| {mean:F3}, max {max}");
    }

    [Fact]
    public void Convert_JpegQuality_IsUsed()
    {
        var hi = Out("q95.jpg");
        var lo = Out("q10.jpg");
        ConvertOk(Corpus("u12_explicit_le.dcm"), hi);
        ConvertOk(Corpus("u12_explicit_le.dcm"), lo, "--quality", "10");
        Assert.True(new FileInfo(lo).Length < new FileInfo(hi).Length, "quality 10 should be smaller than the default 95");
        var g = Load("u12_default_8");
        var (meanHi, _) = Diff(Jpeg.Read(hi).Data, g.Pixels);
        var (meanLo, _) = Diff(Jpeg.Read(lo).Data, g.Pixels);
        Assert.True(meanLo > meanHi, $"q10 error {meanLo:F3} should exceed q95 error {meanHi:F3}");
    }

    // ------------------------------------------------------------------------------------------ bad input

    private void AssertExit2Naming(string named, string input, string output, params string[] options)
    {
        var (code, _, err) = Run(["convert", input, output, .. options]);
        Assert.True(code == 2, $"expected exit 2, got {code}: {err}");
        Assert.True(err.Contains(named, StringComparison.Ordinal), $"error should name '{named}': {err}");
        Assert.False(File.Exists(output), "nothing is written on failure");
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("x.dcm")]
    [InlineData("x.png")]
    [InlineData("x.jpg")]
    [InlineData("x")]
    public void Convert_MissingInput_Exit2_NamingIt(string name)
    {
        var missing = Path.Combine(_dir, "nope", name);
        AssertExit2Naming(missing, missing, Out("o.png"));
    }

    [Theory]
    [InlineData("notes.txt", 40)]     // shorter than a DICOM preamble
    [InlineData("notes.txt", 400)]
    [InlineData("noext", 400)]
    [InlineData("fake.png", 400)]
    [InlineData("fake.jpg", 400)]
    [InlineData("fake.jpeg", 10)]
    [InlineData("fake.dcm", 400)]
    [InlineData("empty.dcm", 0)]
    [InlineData("empty.png", 0)]
    public void Convert_NonImageInput_Exit2_NamingIt(string name, int length)
    {
        var f = Out(name);
        File.WriteAllText(f, string.Concat(Enumerable.Repeat("not an image. ", 40))[..length]);
        AssertExit2Naming(f, f, Out("o.png"));
        AssertExit2Naming(f, f, Out("o.jpg"));
    }

    [Fact]
    public void Convert_ColourDicom_Exit2_NamingIt()
    {
        // RGB DICOM: the grayscale presentation pipeline refuses it; the message must still name the file.
        var rgb = Path.Combine(Root.Value, "tests", "data", "golden", "dicom", "jpeg12", "rgb12_ext_444.dcm");
        AssertExit2Naming(rgb, rgb, Out("o.png"));
    }

    [Theory]
    [InlineData("o.bmp")]
    [InlineData("o.tif")]
    [InlineData("o.dcm")]
    [InlineData("o")]
    [InlineData("o.png.txt")]
    public void Convert_UnknownOutputExtension_Exit2_NamingIt(string name)
    {
        var o = Out(name);
        AssertExit2Naming(o, Corpus("u12_explicit_le.dcm"), o);
        AssertExit2Naming(o, Cli("grey8.png"), o);
    }

    [Theory]
    [InlineData("--bits", "12", "--bits")]
    [InlineData("--quality", "0", "--quality")]
    [InlineData("--quality", "101", "--quality")]
    [InlineData("--normalize", "minmax", "--normalize")]
    [InlineData("--window", "1000", "--window")]
    [InlineData("--window", "1000,0", "--window")]
    [InlineData("--window", "1000,500,2", "--window")]
    [InlineData("--window", "a,b", "--window")]
    public void Convert_BadOption_Exit2_NamingIt(string option, string value, string named) =>
        AssertExit2Naming(named, Corpus("u12_explicit_le.dcm"), Out("o.png"), option, value);

    [Fact]
    public void Convert_Jpeg16Bit_Exit2()
    {
        var o = Out("o.jpg");
        AssertExit2Naming("JPEG", Corpus("u12_explicit_le.dcm"), o, "--bits", "16");
    }
}
