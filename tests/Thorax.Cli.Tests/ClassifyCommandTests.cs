using System.Text.Json.Nodes;

namespace Thorax.Cli.Tests;

/// <summary><c>thorax classify train|eval</c> end to end on a small synth folder, with the ImageNet ResNet-18 found offline.</summary>
public class ClassifyCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void TrainResumeAndEval_OnASynthFolder_WriteTheRunFiles()
    {
        var root = Directory.CreateTempSubdirectory("thorax-cli-classify-").FullName;
        var synth = Path.Combine(root, "synth");
        Assert.Equal(0, Run("synth", "--out", synth, "--n", "30", "--size", "64", "--seed", "3", "--dicom", "none").Code);
        var run = Path.Combine(root, "run");
        string[] train = ["classify", "train", "--data", synth, "--run", run, "--size", "32", "--batch", "8", "--threads", "2", "--json"];
        var (code, output, err) = Run([.. train, "--epochs", "1"]);
        Assert.True(code == 0, err);
        CliSchemas.AssertValid("classify-eval", output);
        var metrics = JsonNode.Parse(output)!.AsObject();
        Assert.Equal("test", metrics["split"]!.GetValue<string>());
        Assert.Equal("pneumothorax", metrics["label"]!.GetValue<string>());
        Assert.True(metrics.ContainsKey("auc_by_ptx_size"));
        foreach (var f in new[] { "model.safetensors", "config.json", "history.csv", "metrics.json", "predictions.csv" })
            Assert.True(File.Exists(Path.Combine(run, f)), f + " missing");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "config.json")))!;
        Assert.Equal("imagenet", config["weights"]!.GetValue<string>());
        Assert.Equal("cntk", config["encoder_padding"]!.GetValue<string>());   // ML.NET's CNTK export, found in the NuGet cache

        (code, _, err) = Run([.. train, "--epochs", "2"]);
        Assert.True(code == 0, err);
        Assert.Contains("resuming after epoch 1", err);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run, "history.csv")).Length);

        (code, output, err) = Run("classify", "eval", "--run", run, "--data", synth, "--split", "test", "--json");
        Assert.True(code == 0, err);
        CliSchemas.AssertValid("classify-eval", output);
        var eval = JsonNode.Parse(output)!;
        Assert.Equal(metrics["studies"]!.GetValue<int>(), eval["studies"]!.GetValue<int>());
        var predictions = File.ReadAllLines(Path.Combine(run, "eval-test", "predictions.csv"));
        Assert.Equal("id,label,probability,split", predictions[0]);
        Assert.Equal(File.ReadAllLines(Path.Combine(synth, "splits", "test.txt")).Length, predictions.Length - 1);
        Directory.Delete(root, true);
    }

    [Fact]
    public void UnknownLabel_MissingData_AndBadSplit_Exit2_NamingTheFileOrOption()
    {
        var root = Directory.CreateTempSubdirectory("thorax-cli-classify-bad-").FullName;
        var synth = Path.Combine(root, "synth");
        Assert.Equal(0, Run("synth", "--out", synth, "--n", "6", "--size", "64", "--seed", "3", "--dicom", "none").Code);
        var (code, _, err) = Run("classify", "train", "--data", synth, "--run", Path.Combine(root, "run"), "--label", "effusion");
        Assert.Equal(2, code);
        Assert.Contains("studies.csv", err);
        Assert.Contains("'effusion'", err);
        Assert.Contains("chest_tube", err);
        Assert.False(Directory.Exists(Path.Combine(root, "run")));
        (code, _, err) = Run("classify", "train", "--data", Path.Combine(root, "nothing"), "--run", Path.Combine(root, "run"));
        Assert.Equal(2, code);
        Assert.Contains("nothing", err);
        (code, _, err) = Run("classify", "eval", "--run", Path.Combine(root, "run"), "--data", synth, "--split", "dev");
        Assert.Equal(2, code);
        Assert.Contains("--split", err);
        (code, _, err) = Run("classify", "train", "--data", synth, "--run", Path.Combine(root, "run"), "--batch", "1");
        Assert.Equal(2, code);
        Assert.Contains("batch", err);
        Directory.Delete(root, true);
    }
}
