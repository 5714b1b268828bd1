using Thorax.Dicom;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Pipelines.Lungs;

namespace Thorax.Pipelines.Tests.Lungs;

/// <summary>
/// <c>LungModel.Predict(bytes)</c>, the one call a service makes with the bytes of a request: DICOM (the committed 12-bit
/// uncompressed and JPEG Baseline files), PNG and JPEG give the mask <c>PredictFile</c> writes for the same file, and a
/// malformed body raises the format's own exception naming it while the model stays usable. The run folder holds a
/// U-Net whose output bias is set to the median logit of the first image, so its masks are neither empty nor full and a
/// wrong pixel path shows.
/// </summary>
public sealed class LungModelPredictBytesTests : IDisposable
{
    private const int Size = 32;
    private readonly string _dir = Directory.CreateTempSubdirectory("thorax-lung-bytes-").FullName;
    private readonly string _run;

    public LungModelPredictBytesTests()
    {
        _run = Path.Combine(_dir, "run");
        LungTestRun.Write(_run, Dicom("uncompressed12.dcm"), Size);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static string Dicom(string name)
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "tests", "data", "golden", "synthetic", name))) d = d.Parent;
        Assert.True(d is not null, "tests/data/golden/synthetic/" + name + " not found above the test assembly");
        return Path.Combine(d!.FullName, "tests", "data", "golden", "synthetic", name);
    }

    private static Image<byte> Grey8(Image<float> unit)
    {
        var g = new Image<byte>(unit.Width, unit.Height);
        for (var i = 0; i < g.Pixels.Length; i++) g.Pixels[i] = (byte)Math.Clamp(MathF.Round(unit.Pixels[i] * 255f), 0f, 255f);
        return g;
    }

    /// <summary>The mask PredictFile writes for <paramref name="path"/>.</summary>
    private byte[] FileMask(LungModel model, string path)
    {
        var outDir = Path.Combine(_dir, "out-" + Path.GetFileName(path));
        model.PredictFile(path, outDir);
        return Png.Read(Path.Combine(outDir, Path.GetFileNameWithoutExtension(path) + "-mask.png")).Image8!.Pixels.ToArray();
    }

    private static void AssertNonTrivial(byte[] mask, string what)
    {
        var lung = mask.Count(v => v != 0);
        Assert.True(lung > 0 && lung < mask.Length, $"{what}: {lung} of {mask.Length} pixels set; the check needs a mask that is neither empty nor full");
    }

    [Theory]
    [InlineData("uncompressed12.dcm")]
    [InlineData("jpeg_baseline8.dcm")]
    public void DicomBytes_GiveTheMaskOfTheFile(string name)
    {
        using var model = LungModel.Load(_run);
        var path = Dicom(name);
        var mask = model.Predict(File.ReadAllBytes(path), name);
        var info = DicomPixelData.Create(DicomFile.Open(path)).Info;
        Assert.Equal(info.Columns * info.Rows, mask.Pixels.Length);
        Assert.Equal((info.Columns, info.Rows), (mask.Width, mask.Height));
        Assert.Equal(FileMask(model, path), mask.Pixels.ToArray());
        if (name == "uncompressed12.dcm") AssertNonTrivial(mask.Pixels.ToArray(), name);
    }

    [Fact]
    public void PngAndJpegBytes_GiveTheMaskOfTheFile()
    {
        using var model = LungModel.Load(_run);
        var grey = Grey8(XrayImage.ReadUnit(Dicom("uncompressed12.dcm")));
        var png = Path.Combine(_dir, "chest.png");
        var jpg = Path.Combine(_dir, "chest.jpg");
        Png.Write(png, grey);
        Jpeg.Write(jpg, grey, quality: 90);
        foreach (var path in new[] { png, jpg })
        {
            var mask = model.Predict(File.ReadAllBytes(path), Path.GetFileName(path));
            Assert.Equal(FileMask(model, path), mask.Pixels.ToArray());
            AssertNonTrivial(mask.Pixels.ToArray(), path);
        }
        // The PNG holds the DICOM's 8-bit rendering, so both give the same mask.
        Assert.Equal(model.Predict(File.ReadAllBytes(Dicom("uncompressed12.dcm")), "dcm").Pixels.ToArray(),
            model.Predict(File.ReadAllBytes(png), "png").Pixels.ToArray());
    }

    /// <summary>
    /// bf16 inference (<c>lungs predict/eval --precision bf16</c>): the network runs in bfloat16 and gives a binary mask at the input's size;
    /// other precisions are refused by name.
    /// </summary>
    [Fact]
    public void Bf16Model_RunsInBFloat16_AndGivesABinaryMask()
    {
        var bytes = File.ReadAllBytes(Dicom("uncompressed12.dcm"));
        using var bf16 = LungModel.Load(_run, precision: TorchSharp.torch.ScalarType.BFloat16);
        Assert.Equal(TorchSharp.torch.ScalarType.BFloat16, bf16.Precision);
        Assert.All(bf16.Network.parameters(), p => Assert.Equal(TorchSharp.torch.ScalarType.BFloat16, p.dtype));
        var mask = bf16.Predict(bytes, "bf16");
        var info = DicomPixelData.Create(DicomFile.Parse(bytes, "x")).Info;
        Assert.Equal((info.Columns, info.Rows), (mask.Width, mask.Height));
        Assert.All(mask.Pixels.ToArray(), v => Assert.True(v is 0 or 255));
        // No numeric comparison with float32 here: this run's untrained U-Net gives logits spread over about 0.001 only, and
        // bf16 moved them by 0.00015 rms (12% of that spread; measured), which says nothing about a trained network; the
        // numeric evidence is the trained demo run's validation Dice in README ("bf16 on CPU": 0.9601 in both).
        var e = Assert.Throws<ArgumentException>(() => LungModel.Load(_run, precision: TorchSharp.torch.ScalarType.Float16));
        Assert.Contains("Float16", e.Message);
    }

    [Fact]
    public void MalformedBodies_RaiseTheFormatsException_NamingTheBody_AndTheModelStaysUsable()
    {
        using var model = LungModel.Load(_run);
        var bytes = File.ReadAllBytes(Dicom("uncompressed12.dcm"));
        var expected = model.Predict(bytes, "ok").Pixels.ToArray();

        var truncated = Assert.ThrowsAny<DicomException>(() => model.Predict(bytes.AsMemory(0, 300), "request body"));
        Assert.Contains("request body", truncated.Message);
        var noPixels = Assert.ThrowsAny<DicomException>(() => model.Predict(bytes.AsMemory(0, bytes.Length - 1000), "request body"));
        Assert.Contains("request body", noPixels.Message);
        Assert.ThrowsAny<DicomException>(() => model.Predict(Array.Empty<byte>(), "empty body"));

        var png = Png.Encode(new Image<byte>(40, 40));
        var badPng = Assert.Throws<ImageFormatException>(() => model.Predict(png.AsMemory(0, png.Length - 20), "upload.png"));
        Assert.Contains("upload.png", badPng.Message);

        Assert.Equal(expected, model.Predict(bytes, "again").Pixels.ToArray());
    }
}
