using System.Text.Json.Nodes;
using Thorax.Pipelines.Classification;

namespace Thorax.Pipelines.Tests.Classification;

public class ClassifierTrainerTests
{
    private static ClassifierOptions Options(int epochs) => new()
    {
        Weights = "none", Size = 32, Epochs = epochs, BatchSize = 4, LearningRate = 1e-3, Deterministic = true,
    };

    [Fact]
    public void KilledRun_ResumesToTheUninterruptedRunsWeights_AndWritesTheRunFiles()
    {
        var data = ClassificationFixture.Write();
        var dataset = ClassificationDataset.Load(data, ClassificationLabel.Parse("pneumothorax"));
        var straight = Directory.CreateTempSubdirectory("thorax-cls-straight-").FullName;
        var resumed = Directory.CreateTempSubdirectory("thorax-cls-resumed-").FullName;
        var full = new ClassifierTrainer(Options(2)).Train(dataset, straight);
        new ClassifierTrainer(Options(1)).Train(dataset, resumed);   // "killed" after epoch 1
        var trainer = new ClassifierTrainer(Options(2));
        var resumedAfter = -1;
        trainer.Resumed += e => resumedAfter = e;
        var rest = trainer.Train(dataset, resumed);
        Assert.Equal(1, resumedAfter);
        Assert.Equal(2, rest.Fit.History.Count);
        Assert.Equal(full.Fit.History.Select(h => h.TrainLoss), rest.Fit.History.Select(h => h.TrainLoss));
        Assert.Equal(full.Fit.BestEpoch, rest.Fit.BestEpoch);
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "model.safetensors")), File.ReadAllBytes(Path.Combine(resumed, "model.safetensors")));
        Assert.Equal(File.ReadAllText(Path.Combine(straight, "predictions.csv")), File.ReadAllText(Path.Combine(resumed, "predictions.csv")));

        var history = File.ReadAllLines(Path.Combine(resumed, "history.csv"));
        Assert.Equal("epoch,train_loss,val_loss,val_auc,lr,seconds,steps,partial", history[0]);
        Assert.Equal(3, history.Length);
        var predictions = File.ReadAllLines(Path.Combine(resumed, "predictions.csv"));
        Assert.Equal("id,label,probability,split", predictions[0]);
        Assert.Equal(new[] { "s19,1", "s20,0", "s21,1", "s22,0", "s23,0" }, predictions.Skip(1).Select(l => string.Join(",", l.Split(',').Take(2))));
        Assert.All(predictions.Skip(1), l => Assert.EndsWith(",test", l));
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(resumed, "metrics.json")))!.AsObject();
        foreach (var key in new[] { "auc", "auc_ci95", "accuracy", "sensitivity", "specificity", "auc_by_ptx_size", "auc_by_ptx_location", "auc_by_shortcut_cue", "best_epoch", "val_auc", "train_seconds" })
            Assert.True(metrics.ContainsKey(key), $"metrics.json lacks '{key}'");
        Assert.Equal(5, metrics["studies"]!.GetValue<int>());
        Assert.Equal(rest.Evaluation.Auc, metrics["auc"]!.GetValue<double>(), 6);

        // The run folder reloads to the same predictions (within float rounding); eval on the validation split writes its own files.
        using var model = ClassifierModel.Load(resumed);
        Assert.Equal("torchvision", model.Architecture.Padding);
        var outDir = Path.Combine(resumed, "eval-validation");
        var (evaluation, preds) = model.Evaluate(dataset, "validation", outDir);
        Assert.Equal(5, preds.Count);
        Assert.Equal("validation", evaluation.Split);
        Assert.True(File.Exists(Path.Combine(outDir, "metrics.json")));
        var (testEval, testPreds) = model.Evaluate(dataset, "test", Path.Combine(resumed, "eval-test"));
        // A loaded run is fused for inference (batch norms folded): the same probabilities up to float rounding.
        Assert.Equal(rest.Predictions.Count, testPreds.Count);
        foreach (var (trained, loaded) in rest.Predictions.Zip(testPreds))
            Assert.Equal(trained.Probability, loaded.Probability, 1e-5);
        foreach (var d in new[] { data, straight, resumed }) Directory.Delete(d, true);
    }

    [Fact]
    public void Resume_WithAnotherLabel_IsAnErrorNamingBoth()
    {
        var data = ClassificationFixture.Write();
        var run = Directory.CreateTempSubdirectory("thorax-cls-fp-").FullName;
        new ClassifierTrainer(Options(1)).Train(ClassificationDataset.Load(data, ClassificationLabel.Parse("pneumothorax")), run);
        var e = Assert.Throws<InvalidDataException>(() =>
            new ClassifierTrainer(Options(2) with { Label = "chest_tube" }).Train(ClassificationDataset.Load(data, ClassificationLabel.Parse("chest_tube")), run));
        Assert.Contains("label=pneumothorax", e.Message);
        Assert.Contains("label=chest_tube", e.Message);
        foreach (var d in new[] { data, run }) Directory.Delete(d, true);
    }

    [Fact]
    public void BadOptionsAndRunFolders_AreNamed()
    {
        Assert.Contains("batch", Assert.Throws<ArgumentException>(() => new ClassifierTrainer(Options(1) with { BatchSize = 1 })).Message);
        Assert.Contains("size", Assert.Throws<ArgumentException>(() => new ClassifierTrainer(Options(1) with { Size = 16 })).Message);
        var missing = Path.Combine(Path.GetTempPath(), "thorax-no-such-weights.safetensors");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => ClassifierArchitecture.Create(missing)).Message);
        var empty = Directory.CreateTempSubdirectory("thorax-cls-empty-").FullName;
        Assert.Contains("config.json", Assert.Throws<FileNotFoundException>(() => ClassifierModel.Load(empty)).Message);
        File.WriteAllText(Path.Combine(empty, "config.json"), """{"method":"image-classifier","encoder":"resnet18","weights":"none","encoder_layers":[2,2,2],"encoder_padding":"torchvision","bn_eps":1e-5,"input_mean":[0,0,0],"input_std":[1,1,1],"label":"x","size":32}""");
        File.WriteAllText(Path.Combine(empty, "model.safetensors"), "");
        var e = Assert.Throws<InvalidDataException>(() => ClassifierModel.Load(empty));
        Assert.Contains("encoder_layers", e.Message);
        Assert.Contains("config.json", e.Message);
        Directory.Delete(empty, true);
    }

    /// <summary>Issue 12: <c>--device</c>. The CPU named explicitly (any case) trains bit-identically to the default and keeps
    /// the fingerprint (a run started on one device resumes on another); a loaded run's parameters are on the device asked for.</summary>
    [Fact]
    public void Device_CpuNamedExplicitly_IsTheDefaultRun_AndLoadPutsTheParametersOnIt()
    {
        var data = ClassificationFixture.Write();
        var dataset = ClassificationDataset.Load(data, ClassificationLabel.Parse("pneumothorax"));
        var byDefault = Directory.CreateTempSubdirectory("thorax-cls-dev-default-").FullName;
        var named = Directory.CreateTempSubdirectory("thorax-cls-dev-cpu-").FullName;
        var a = new ClassifierTrainer(Options(1)).Train(dataset, byDefault);
        var b = new ClassifierTrainer(Options(1) with { Device = " CPU " }).Train(dataset, named);
        Assert.Equal("cpu", Options(1).Device);
        Assert.Equal(Options(1).Fingerprint(), (Options(1) with { Device = "cuda:3" }).Fingerprint());
        Assert.Equal(a.Fit.History.Select(h => h.TrainLoss), b.Fit.History.Select(h => h.TrainLoss));
        Assert.Equal(File.ReadAllBytes(Path.Combine(byDefault, "model.safetensors")), File.ReadAllBytes(Path.Combine(named, "model.safetensors")));
        Assert.Equal(File.ReadAllText(Path.Combine(byDefault, "predictions.csv")), File.ReadAllText(Path.Combine(named, "predictions.csv")));

        using var loaded = ClassifierModel.Load(byDefault);
        using var onCpu = ClassifierModel.Load(byDefault, TorchSharp.torch.CPU);
        Assert.Equal(TorchSharp.DeviceType.CPU, onCpu.Device.type);
        Assert.All(onCpu.Network.parameters(), p => Assert.Equal(TorchSharp.DeviceType.CPU, p.device_type));
        var images = ClassifierTrainer.LoadImages(dataset, dataset.Split("test"), 32).Values.ToList();
        Assert.Equal(loaded.Predict(images), onCpu.Predict(images));
        Assert.Throws<ArgumentException>(() => new ClassifierTrainer(Options(1) with { Device = "gpu0" }).Train(dataset, named));
        foreach (var d in new[] { data, byDefault, named }) Directory.Delete(d, true);
    }
}
