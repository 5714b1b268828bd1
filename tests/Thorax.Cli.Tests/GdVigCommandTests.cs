using System.Text.Json;
using Thorax.Imaging;
using Thorax.Imaging.Codecs;
using Thorax.Models.GdVig;
using Thorax.Models.Tests.Vig;
using Thorax.Models.Weights;
using Thorax.Pipelines.GdVig;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Cli.Tests;

public sealed class GdVigCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "thorax-gdvig-cli-" + Guid.NewGuid().ToString("N"));

    public GdVigCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Predict_Json_Maps_AndBadInputs()
    {
        var weights = Path.Combine(_dir, "egd.safetensors");
        using (var net = GdVigModel.Create(GdVigVariant.EgdCxr)) SafeTensors.Save(weights, net.state_dict());
        var a = Path.Combine(_dir, "a.png");
        var img = new Image<byte>(256, 240);
        for (var i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (byte)(i * 7 % 251);
        Png.Write(a, img);
        var maps = Path.Combine(_dir, "maps");

        var (code, stdout, stderr) = CliRunner.Run("gdvig", "predict", "--weights", weights, "--variant", "egdcxr", a, "--json", "--maps", maps);
        Assert.True(code == 0, stderr);
        CliSchemas.AssertValid("gdvig-predict", stdout, lines: true);
        using var doc = JsonDocument.Parse(stdout.Trim());
        var o = doc.RootElement;
        Assert.Equal(a, o.GetProperty("file").GetString());
        Assert.Equal(3, o.GetProperty("logits").GetArrayLength());
        Assert.Equal(1.0, o.GetProperty("probabilities").EnumerateArray().Sum(p => p.GetDouble()), 5);
        Assert.InRange(o.GetProperty("predicted_class").GetInt32(), 0, 2);
        foreach (var f in new[] { "a.npy", "a_gaze.png", "a_overlay.png" }) Assert.True(File.Exists(Path.Combine(maps, f)), f);

        // a colour image fails with its name, the others still run; exit code 2
        var rgb = Path.Combine(_dir, "rgb.png");
        Png.Write(rgb, new Image<byte>(64, 64, 3));
        (code, stdout, stderr) = CliRunner.Run("gdvig", "predict", "--weights", weights, "--variant", "egdcxr", rgb, a);
        Assert.Equal(2, code);
        Assert.Contains(rgb, stderr);
        Assert.Contains("a.png: class", stdout);

        // a checkpoint whose values make the network overflow (the golden's tiny strict-loading file: one constant per
        // tensor): the NaN/inf is reported, not printed as a result; exit 1
        var dir = Path.GetDirectoryName(GoldenDir() + "/x")!;
        (code, stdout, stderr) = CliRunner.Run("gdvig", "predict", "--weights", Path.Combine(dir, "gdvig_egdcxr_checkpoint.pth"), "--variant", "egdcxr", a, "--json");
        Assert.Equal(1, code);
        Assert.Contains("non-finite", stderr);
        Assert.Contains(a, stderr);
        Assert.Equal("", stdout.Trim());

        // weights of the other variant: exit 2, naming the file and the variant to use
        (code, _, stderr) = CliRunner.Run("gdvig", "predict", "--weights", weights, "--variant", "siim", a);
        Assert.Equal(2, code);
        Assert.Contains(weights, stderr);
        Assert.Contains("--variant egdcxr", stderr);
    }

    private static string GoldenDir()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !Directory.Exists(Path.Combine(d.FullName, "tests", "data", "golden", "gdvig"))) d = d.Parent;
        return Path.Combine(d?.FullName ?? throw new DirectoryNotFoundException("tests/data/golden/gdvig"), "tests", "data", "golden", "gdvig");
    }

    private static float[] Decode(JsonElement e) =>
        e.GetProperty("dtype").GetString() == "float64"
            ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(Convert.FromBase64String(e.GetProperty("b64").GetString()!)).ToArray().Select(v => (float)v).ToArray()
            : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(e.GetProperty("b64").GetString()!)).ToArray();

    [Theory]
    [InlineData("egdcxr")]
    [InlineData("siim")]
    public void Predict_Fp64_MatchesTheAuthorsModelOnTheSamePng(string variant)
    {
        // tools/golden/gdvig/make_gdvig_golden.py (cli): the PNG through cv2.resize + albumentations' Normalize + /255,
        // the authors' GAViG of the variant on recipe weights in float64 (the input tensor is in the egdcxr file).
        var dir = GoldenDir();
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, $"gdvig_cli_{variant}.json")));
        using var inputDoc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "gdvig_cli_egdcxr.json")));
        var g = doc.RootElement;
        Assert.Equal(variant, g.GetProperty("variant").GetString());
        var png = Path.Combine(dir, g.GetProperty("image").GetString()!);

        var (x, _) = GdVigPredictor.Preprocess(GdVigPredictor.ReadGrey8(png));
        var expectedInput = Decode(inputDoc.RootElement.GetProperty("input_f32"));
        var input = x.data<float>().ToArray();
        var maxInputErr = input.Zip(expectedInput, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxInputErr <= 1e-9, $"preprocessing differs from the authors' by {maxInputErr:G3}");

        var weights = Path.Combine(_dir, "recipe.safetensors");
        using (var net = GdVigModel.Create(GdVigPredictor.ParseVariant(variant)))
        {
            WeightRecipe.Apply(net);
            SafeTensors.Save(weights, net.state_dict());
        }
        var maps = Path.Combine(_dir, "maps64");
        var (code, stdout, stderr) = CliRunner.Run("gdvig", "predict", "--weights", weights, "--variant", variant, "--precision", "fp64", png, "--json", "--maps", maps);
        Assert.True(code == 0, stderr);
        using var o = JsonDocument.Parse(stdout.Trim());
        var logits = o.RootElement.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var expected = Decode(g.GetProperty("logits_f64"));
        var scale = expected.Max(Math.Abs);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(logits[i] - expected[i]) <= 1e-4 * scale, $"logit {i}: {logits[i]} vs {expected[i]}");
        var (map, _, _) = Npy.ReadFloat32(Path.Combine(maps, Path.GetFileNameWithoutExtension(png) + ".npy"));
        var expectedMap = Decode(g.GetProperty("gaze_map_f64_as_f32"));
        var range = expectedMap.Max() - expectedMap.Min();
        var mapErr = map.Zip(expectedMap, (a, b) => Math.Abs(a - b)).Max() / range;
        Assert.True(mapErr <= 1e-4, $"gaze map off by {mapErr:G3} of its range");
    }

    [Fact]
    public void TrainEvaluate_OnASynthFolder_Json_Files_AndBadInput()
    {
        var data = Path.Combine(_dir, "synth");
        var (code, _, stderr) = CliRunner.Run("synth", "--out", data, "--n", "24", "--size", "64", "--seed", "2", "--ptx-rate", "0.5", "--dicom", "none", "--shortcut", "device", "--no-reports");
        Assert.True(code == 0, stderr);
        var run = Path.Combine(_dir, "run");
        string stdout;
        (code, stdout, stderr) = CliRunner.Run("gdvig", "train", "--data", data, "--run", run, "--channels", "8,16,32,64", "--blocks", "1,1,1,1", "--size", "96",
            "--epochs", "1", "--batch", "4", "--lr", "1e-3", "--json");
        Assert.True(code == 0, stderr);
        CliSchemas.AssertValid("gdvig-train", stdout);
        using (var doc = JsonDocument.Parse(stdout.Trim()))
        {
            Assert.Equal(1, doc.RootElement.GetProperty("version").GetInt32());
            Assert.Equal("gdvig", doc.RootElement.GetProperty("model").GetString());
            Assert.True(doc.RootElement.TryGetProperty("auc", out _));
            Assert.True(doc.RootElement.TryGetProperty("gaze_cc", out _));
        }
        var evalDir = Path.Combine(_dir, "eval");
        (code, stdout, stderr) = CliRunner.Run("gdvig", "evaluate", "--run", run, "--data", data, "--out", evalDir, "--json");
        Assert.True(code == 0, stderr);
        foreach (var f in new[] { "metrics.json", "predictions.csv", "table.md", "table.json", "report.html" }) Assert.True(File.Exists(Path.Combine(evalDir, f)), f);
        CliSchemas.AssertValid("gdvig-evaluate", stdout);
        using (var doc = JsonDocument.Parse(stdout.Trim()))
        {
            Assert.Equal("test", doc.RootElement.GetProperty("split").GetString());
            // synth folders carry masks/chest-tube: the attention on the shortcut is measured
            Assert.True(doc.RootElement.TryGetProperty("cam_tube_share", out _));
            Assert.True(doc.RootElement.TryGetProperty("graph_finding_share", out _));
        }
        Assert.True(File.Exists(Path.Combine(evalDir, "attention.csv")));

        // one node's neighbourhood with and without gaze, drawn
        var image = Directory.GetFiles(Path.Combine(data, "images"), "*.png").Order(StringComparer.Ordinal).First();
        var figure = Path.Combine(_dir, "graph.png");
        (code, stdout, stderr) = CliRunner.Run("gdvig", "graph", "--run", run, "--image", image, "--node", "20,30", "--out", figure, "--json");
        Assert.True(code == 0, stderr);
        CliSchemas.AssertValid("gdvig-graph", stdout);
        Assert.True(File.Exists(figure));
        using (var doc = JsonDocument.Parse(stdout.Trim()))
        {
            var rows = doc.RootElement.GetProperty("rows");
            Assert.Equal(2, rows.GetArrayLength());
            Assert.Equal(0.0, rows[1].GetProperty("lambda").GetDouble());
            Assert.Equal(4, rows[0].GetProperty("blocks").GetArrayLength());
            Assert.Equal(9, rows[0].GetProperty("blocks")[0].GetProperty("neighbours").GetArrayLength());
        }
        (code, _, stderr) = CliRunner.Run("gdvig", "graph", "--run", run, "--image", image, "--node", "640,3", "--out", figure);
        Assert.Equal(2, code);
        Assert.Contains("outside the 64x64 image", stderr);

        (code, _, stderr) = CliRunner.Run("gdvig", "evaluate", "--data", data);
        Assert.Equal(2, code);
        Assert.Contains("--run", stderr);
        (code, _, stderr) = CliRunner.Run("gdvig", "train", "--data", data, "--run", Path.Combine(_dir, "run2"), "--size", "128");
        Assert.Equal(2, code);
        Assert.Contains("k·dilation", stderr);
    }
}
