using Thorax.Cli.Bench;
using Thorax.Cli;

namespace Thorax.Cli.Tests;

/// <summary>The verbs' exit codes and outputs: 0 success, 2 bad input with a message naming the file or option.</summary>
public class CliTests
{
    private static string? Shared(string relative)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "shared", "data", relative);
            if (File.Exists(p) || Directory.Exists(p)) return p;
        }
        return null;
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void Info_Json_ReportsThreads()
    {
        var (code, output, _) = Run("info", "--json");
        Assert.Equal(0, code);
        CliSchemas.AssertValid("info", output);
        Assert.Contains("\"threads\"", output);
    }

    [Fact]
    public void DicomInfo_MissingFile_Exits2_NamingIt()
    {
        var (code, _, err) = Run("dicom", "info", "/nonexistent/x.dcm");
        Assert.Equal(2, code);
        Assert.Contains("/nonexistent/x.dcm", err);
    }

    [SkippableFact]
    public void DicomInfo_RealSiimFile_PrintsPixelHash()
    {
        var f = Shared("siim/1.2.276.0.7230010.3.1.4.8323329.301.1517875162.280319.dcm");
        Skip.If(f is null, "../shared/data/siim is absent");
        var (code, output, _) = Run("dicom", "info", f!, "--json");
        Assert.Equal(0, code);
        CliSchemas.AssertValid("dicom-info", output);
        Assert.Contains("\"pixel_sha256\"", output);
        Assert.Contains("\"rows\": 1024", output.Replace("\"rows\":1024", "\"rows\": 1024"));
    }

    [SkippableFact]
    public void Convert_DicomToPng_WritesAFileThatReadsBack()
    {
        var f = Shared("siim/modified-monochrome1-of-6904.dcm");
        Skip.If(f is null, "../shared/data/siim is absent");
        var outPath = Path.Combine(Path.GetTempPath(), $"thorax-convert-{Guid.NewGuid():N}.png");
        var (code, _, err) = Run("convert", f!, outPath, "--bits", "16");
        Assert.True(code == 0, err);
        var png = Thorax.Imaging.Codecs.Png.Read(outPath);
        Assert.Equal(1024, png.Width);
        Assert.NotNull(png.Image16);
        File.Delete(outPath);
    }

    [Fact]
    public void Convert_BadOptions_Exit2()
    {
        Assert.Equal(2, Run("convert", "a.dcm", "b.png", "--bits", "12").Code);
        Assert.Equal(2, Run("convert", "/nonexistent.png", "b.png").Code);
    }

    [SkippableFact]
    public void SiimRleStats_RealCsv_CountsUnionPixels()
    {
        var f = Shared("siim/train-rle.csv.gz");
        Skip.If(f is null, "../shared/data/siim is absent");
        var (code, output, _) = Run("siim", "rle-stats", f!, "--json");
        Assert.Equal(0, code);
        CliSchemas.AssertValid("siim-rle-stats", output);
        Assert.Contains("10133", output);
        Assert.Contains("69274", output);
    }

    [Fact]
    public void MetricsClassify_BinaryCsv_PrintsAuc()
    {
        var csv = Path.Combine(Path.GetTempPath(), $"thorax-cls-{Guid.NewGuid():N}.csv");
        File.WriteAllText(csv, "label,p\n0,0.1\n0,0.4\n1,0.35\n1,0.8\n");
        var (code, output, err) = Run("metrics", "classify", "--csv", csv, "--json");
        Assert.True(code == 0, err);
        CliSchemas.AssertValid("metrics-classify", output);
        Assert.Contains("0.75", output); // sklearn roc_auc_score([0,0,1,1],[.1,.4,.35,.8]) = 0.75
        File.Delete(csv);
    }

    [Fact]
    public void MetricsSegmentAndSaliency_Json_MatchTheirSchemas()
    {
        var root = Directory.CreateTempSubdirectory("thorax-cli-metrics-").FullName;
        var (pred, truth) = (Path.Combine(root, "pred"), Path.Combine(root, "truth"));
        Directory.CreateDirectory(pred);
        Directory.CreateDirectory(truth);
        static void Square(string path, int at)
        {
            var img = new Thorax.Imaging.Image<byte>(16, 16);
            for (var y = at; y < at + 6; y++) for (var x = at; x < at + 6; x++) img.Data[y * 16 + x] = 255;
            Thorax.Imaging.Codecs.Png.Write(path, img);
        }
        Square(Path.Combine(pred, "a.png"), 2);
        Square(Path.Combine(truth, "a.png"), 3);
        var (code, output, err) = Run("metrics", "segment", "--pred", pred, "--truth", truth, "--json");
        Assert.True(code == 0, err);
        CliSchemas.AssertValid("metrics-segment", output);
        Assert.Contains("\"mean_iou\"", output); // 25 / 47: 6x6 squares offset by one pixel
        Assert.Contains("0.5319", output);
        (code, output, err) = Run("metrics", "saliency", "--pred", pred, "--truth", truth, "--json");
        Assert.True(code == 0, err);
        CliSchemas.AssertValid("metrics-saliency", output);
        Directory.Delete(root, true);
    }

    [Fact]
    public void Bench_BadDevice_Exit2()
    {
        Assert.Equal(2, Run("bench", "engine", "--device", "tpu").Code);
    }

    [Fact]
    public void LungsCompare_ThenPredict_TableAndOutputs_AndABadInputIsSkippedWithExit2()
    {
        // With oneDNN on (the default): the trainer's backward runs with zero-filled allocations
        // (TorchRuntime.Backward), which keeps libtorch 2.10's padded-channel NaN defect out of one-epoch, width-4 runs.
        LungsCompareThenPredict();
    }

    private static void LungsCompareThenPredict()
    {
        var root = Directory.CreateTempSubdirectory("thorax-cli-lungs-").FullName;
        var synth = Path.Combine(root, "synth");
        Assert.Equal(0, Run("synth", "--out", synth, "--n", "10", "--size", "64", "--seed", "3").Code);
        var cmp = Path.Combine(root, "cmp");
        var (code, _, err) = Run("lungs", "compare", "--data", synth, "--out", cmp, "--size", "32", "--epochs", "1", "--models", "sa-unet,unet", "--base-channels", "4");
        Assert.True(code == 0, err);
        var table = File.ReadAllText(Path.Combine(cmp, "table.md"));
        Assert.Contains("| U-Net |", table);
        Assert.Contains("| SA-UNet |", table);
        Assert.True(table.IndexOf("| U-Net |", StringComparison.Ordinal) < table.IndexOf("| SA-UNet |", StringComparison.Ordinal), "paper order");

        var image = Directory.GetFiles(Path.Combine(synth, "images"), "*.png")[0];
        var bogus = Path.Combine(root, "bogus.png");
        File.WriteAllText(bogus, "not a png");
        var outDir = Path.Combine(root, "pred");
        var (pcode, pout, perr) = Run("lungs", "predict", "--model", Path.Combine(cmp, "unet"), bogus, image, "--out", outDir);
        Assert.Equal(2, pcode);
        Assert.Contains("bogus.png", perr);
        Assert.Contains("1 of 2 inputs failed", perr);
        var name = Path.GetFileNameWithoutExtension(image);
        foreach (var suffix in new[] { "-mask.png", "-masked.png", "-overlay.png" }) Assert.True(File.Exists(Path.Combine(outDir, name + suffix)), pout);
        Assert.False(File.Exists(Path.Combine(outDir, "bogus-mask.png")));
        var (tcode, tout, terr) = Run("lungs", "train", "--data", synth, "--out", Path.Combine(root, "train"), "--size", "32", "--epochs", "1",
            "--base-channels", "4", "--json");
        Assert.True(tcode == 0, terr);
        CliSchemas.AssertValid("lungs-train", tout);
        var (ecode, eout, eerr) = Run("lungs", "eval", "--model", Path.Combine(cmp, "unet"), "--data", synth, "--json");
        Assert.True(ecode == 0, eerr);
        CliSchemas.AssertValid("lungs-eval", eout);
        // bf16 inference through the CLI (the network converted to bfloat16), and an unknown precision refused by name
        var (bcode, bout, berr) = Run("lungs", "eval", "--model", Path.Combine(cmp, "unet"), "--data", synth, "--precision", "bf16", "--json");
        Assert.True(bcode == 0, berr);
        CliSchemas.AssertValid("lungs-eval", bout);
        var (fcode, _, ferr) = Run("lungs", "predict", "--model", Path.Combine(cmp, "unet"), image, "--out", Path.Combine(root, "pred16"), "--precision", "fp16");
        Assert.Equal(2, fcode);
        Assert.Contains("--precision", ferr);
        Assert.Contains("fp16", ferr);

        // The synth studies as real-style backgrounds (images/ + masks/), studies with findings on them, and the
        // realism audit of the trained U-Net on those.
        var bg = Path.Combine(root, "bg");
        Directory.CreateDirectory(Path.Combine(bg, "images"));
        Directory.CreateDirectory(Path.Combine(bg, "masks"));
        foreach (var f in Directory.GetFiles(Path.Combine(synth, "images")))
        {
            File.Copy(f, Path.Combine(bg, "images", Path.GetFileName(f)));
            File.Copy(Path.Combine(synth, "masks", "lungs", Path.GetFileName(f)), Path.Combine(bg, "masks", Path.GetFileName(f)));
        }
        var onBg = Path.Combine(root, "on-bg");
        var (scode, sout, serr) = Run("synth", "--background", bg, "--out", onBg, "--n", "6", "--size", "64", "--ptx-rate", "1", "--dicom", "none");
        Assert.True(scode == 0, serr);
        Assert.Contains("backgrounds: 6 used, 0 skipped", sout);
        var (rcode, rout, rerr) = Run("lungs", "realism", "--model", Path.Combine(cmp, "unet"), "--data", onBg, "--background", bg, "--json");
        Assert.True(rcode == 0, rerr);
        CliSchemas.AssertValid("lungs-realism", rout);
        using (var doc = System.Text.Json.JsonDocument.Parse(rout))
        {
            var all = doc.RootElement.GetProperty("groups")[0];
            Assert.Equal("all", all.GetProperty("group").GetString());
            Assert.Equal(6, all.GetProperty("studies").GetInt32());
            Assert.InRange(all.GetProperty("dice_background").GetDouble(), 0, 1);
        }
        Directory.Delete(root, true);
    }

    [Fact]
    public void SynthBackground_WithoutUsablePairs_Exits2_NamingTheFolder()
    {
        var root = Directory.CreateTempSubdirectory("thorax-cli-bg-").FullName;
        var (code, _, err) = Run("synth", "--background", root, "--out", Path.Combine(root, "out"), "--n", "2", "--size", "64");
        Assert.Equal(2, code);
        Assert.Contains(root, err);
        Assert.Contains("pairs.csv", err);
        Directory.Delete(root, true);
    }

    [Fact]
    public void LungsCompare_UnknownModel_Exits2_ListingTheValidOnes()
    {
        var (code, _, err) = Run("lungs", "compare", "--data", "/nonexistent", "--out", "/tmp/never", "--models", "unet,resnet");
        Assert.Equal(2, code);
        Assert.Contains("resnet", err);
        Assert.Contains("sa-unet", err);
        Assert.False(Directory.Exists("/tmp/never"));
    }
}
