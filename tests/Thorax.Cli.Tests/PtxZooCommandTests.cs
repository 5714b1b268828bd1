using System.Text.Json.Nodes;

namespace Thorax.Cli.Tests;

/// <summary><c>thorax ptx train-classifier|train-segmenter --encoder</c> over the zoo, <c>ptx predict</c> rebuilding
/// both from their run folders, and <c>ptx real</c> on the real images of ../shared/data.</summary>
public class PtxZooCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    private static string? SharedData()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "shared", "data");
            if (Directory.Exists(Path.Combine(p, "siim")) && Directory.Exists(Path.Combine(p, "nih"))) return p;
        }
        return null;
    }

    [SkippableFact]
    public void PaperClassifier_ZooSegmenter_PredictFromTheRunFolders_AndTheRealImages()
    {
        var root = Directory.CreateTempSubdirectory("thorax-cli-ptxzoo-").FullName;
        try
        {
            var synth = Path.Combine(root, "synth");
            Assert.Equal(0, Run("synth", "--out", synth, "--n", "40", "--size", "64", "--seed", "5", "--ptx-rate", "0.6", "--dicom", "none", "--no-reports").Code);
            var cls = Path.Combine(root, "cls");
            var (code, output, err) = Run("ptx", "train-classifier", "--data", synth, "--run", cls, "--encoder", "paper", "--size", "64", "--epochs", "1",
                "--freeze-epochs", "1", "--batch", "4", "--json");
            Assert.True(code == 0, err);
            Assert.Contains("xception starts from random weights", err);
            CliSchemas.AssertValid("classify-eval", output);
            Assert.Equal("xception", JsonNode.Parse(File.ReadAllText(Path.Combine(cls, "config.json")))!["encoder"]!.GetValue<string>());

            var seg = Path.Combine(root, "seg");
            (code, output, err) = Run("ptx", "train-segmenter", "--data", synth, "--run", seg, "--encoder", "efficientnet_b0", "--decoder", "scse",
                "--decoder-channels", "32,32,16,16,16", "--size", "64", "--epochs", "1", "--freeze-epochs", "1", "--batch", "2", "--swa-window", "1", "--json");
            Assert.True(code == 0, err);
            CliSchemas.AssertValid("ptx-train-segmenter", output);
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(seg, "config.json")))!;
            Assert.Equal("efficientnet_b0", config["encoder"]!.GetValue<string>());
            Assert.Equal("scse-unet", config["decoder"]!.GetValue<string>());

            var image = Directory.GetFiles(Path.Combine(synth, "images"), "*.png").Order(StringComparer.Ordinal).First();
            (code, output, err) = Run("ptx", "predict", "--classifier", cls, "--segmenter", seg, image, "--out", Path.Combine(root, "pred"), "--json");
            Assert.True(code == 0, err);
            CliSchemas.AssertValid("ptx-predict", output);

            // albunet is ResNet-34 only; imagenet weights are ML.NET's ResNet-18: both refused with exit 2 and the reason
            (code, _, err) = Run("ptx", "train-segmenter", "--data", synth, "--run", Path.Combine(root, "bad"), "--encoder", "xception", "--decoder", "albunet", "--size", "64");
            Assert.Equal(2, code);
            Assert.Contains("resnet34", err);
            (code, _, err) = Run("ptx", "train-classifier", "--data", synth, "--run", Path.Combine(root, "bad2"), "--encoder", "xception", "--weights", "imagenet", "--size", "64");
            Assert.Equal(2, code);
            Assert.Contains("resnet18 only", err);

            var shared = SharedData();
            Skip.If(shared is null, "real data '../shared/data/siim' and 'nih' not found next to the repository; the ptx real part is skipped");
            (code, output, err) = Run("ptx", "real", "--classifier", cls, "--segmenter", seg, "--data", shared!, "--out", Path.Combine(root, "real"), "--json");
            Assert.True(code == 0, err);
            CliSchemas.AssertValid("ptx-real", output);
            var real = JsonNode.Parse(output)!;
            Assert.Equal(4, real["images"]!.AsArray().Count);
            Assert.Equal(3, real["scored"]!.GetValue<int>());
            Assert.Null(real["images"]![3]!["dice"]);
            Assert.Equal("nih", real["images"]![3]!["source"]!.GetValue<string>());
            Assert.True(File.Exists(Path.Combine(root, "real", "00000013_005.overlay.png")));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }
}
