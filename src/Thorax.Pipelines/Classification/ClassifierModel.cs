using Thorax.Models.Inference;
using Thorax.Training;
using System.Text.Json.Nodes;
using Thorax.Models.Runtime;
using Thorax.Models.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Pipelines.Classification;

/// <summary>A trained classifier loaded from a run folder (<c>config.json</c> + <c>model.safetensors</c>), and the
/// inference helpers the trainer shares.</summary>
public sealed class ClassifierModel : IDisposable
{
    private ClassifierModel(ImageClassifier network, ClassifierArchitecture architecture, string label, int size, string runDirectory)
    {
        Network = network;
        Architecture = architecture;
        Label = label;
        Size = size;
        RunDirectory = runDirectory;
    }

    /// <summary>The network, in eval mode.</summary>
    public ImageClassifier Network { get; }

    /// <summary>Encoder layout and input normalisation.</summary>
    public ClassifierArchitecture Architecture { get; }

    /// <summary>The label spec the run was trained on.</summary>
    public string Label { get; }

    /// <summary>Input size in pixels.</summary>
    public int Size { get; }

    /// <summary>The run folder.</summary>
    public string RunDirectory { get; }

    /// <summary>Where the network runs (its parameters' device).</summary>
    public Device Device => Devices.DeviceOf(Network);

    /// <summary>Loads a run written by <see cref="ClassifierTrainer"/>; the weights are read on the CPU and moved to
    /// <paramref name="device"/> (default CPU; see <see cref="TorchRuntime.ParseDevice"/>).</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">config.json or model.safetensors is missing.</exception>
    /// <exception cref="InvalidDataException">config.json is malformed or of another method (field named).</exception>
    public static ClassifierModel Load(string runDir, Device? device = null)
    {
        if (!Directory.Exists(runDir)) throw new DirectoryNotFoundException($"run folder not found: {runDir}");
        var configPath = Path.Combine(runDir, "config.json");
        var modelPath = Path.Combine(runDir, "model.safetensors");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{configPath} not found; is {runDir} a finished classify train run?", configPath);
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"{modelPath} not found; is {runDir} a finished classify train run?", modelPath);
        JsonObject config;
        try
        {
            config = JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject ?? throw new InvalidDataException($"{configPath}: not a JSON object");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{configPath}: not valid JSON ({e.Message})", e);
        }
        if (config["method"]?.GetValue<string>() != "image-classifier")
            throw new InvalidDataException($"{configPath}: field 'method' is '{config["method"]}', expected image-classifier (a run of thorax classify train)");
        var arch = ClassifierArchitecture.FromJson(config, configPath);
        var label = config["label"]?.GetValue<string>() ?? throw new InvalidDataException($"{configPath}: field 'label' is missing");
        var size = config["size"]?.GetValue<int>() ?? throw new InvalidDataException($"{configPath}: field 'size' is missing");
        TorchRuntime.EnsureLoaded();
        var network = arch.CreateEmpty();
        try
        {
            StateDicts.LoadFile(network, modelPath, strict: true);
            network.FuseForInference(); // eval mode, batch norms folded into their convolutions (README "Engine")
            network.MoveTo(device);
            return new ClassifierModel(network, arch, label, size, Path.GetFullPath(runDir));
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Probabilities of the positive class for grey [Size*Size] images in [0, 1].</summary>
    public double[] Predict(IReadOnlyList<float[]> images) => Predict(Network, Architecture, images, Size);

    /// <summary>Logits of <paramref name="network"/> for grey images, in eval mode (the mode is left at eval), computed on
    /// the network's device.</summary>
    public static double[] Logits(ImageClassifier network, ClassifierArchitecture arch, IReadOnlyList<float[]> images, int size)
    {
        network.eval();
        var outs = new double[images.Count];
        var device = Devices.DeviceOf(network);
        using var inference = torch.inference_mode();
        for (var i = 0; i < images.Count; i += ClassifierTrainer.InferenceBatch)
        {
            using var quiet = TorchGc.Quiet(); // README "Engine": no collection during native calls
            using var scope = torch.NewDisposeScope();
            var chunk = images.Skip(i).Take(ClassifierTrainer.InferenceBatch).ToList();
            var logits = network.call(arch.Normalize(ClassifierTrainer.Stack(chunk, size).MoveTo(device))).to(ScalarType.Float64).OnCpu().data<double>().ToArray();
            logits.CopyTo(outs, i);
        }
        return outs;
    }

    /// <summary>Probabilities (sigmoid of <see cref="Logits"/>).</summary>
    public static double[] Predict(ImageClassifier network, ClassifierArchitecture arch, IReadOnlyList<float[]> images, int size) =>
        Logits(network, arch, images, size).Select(z => 1 / (1 + Math.Exp(-z))).ToArray();

    /// <summary>
    /// Evaluates on one split of <paramref name="dataset"/> (which must have this run's label) and writes
    /// <c>metrics.json</c> and <c>predictions.csv</c> into <paramref name="outDir"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The split is unknown or empty.</exception>
    public (ClassificationEvaluation Evaluation, IReadOnlyList<ClassificationPrediction> Predictions) Evaluate(ClassificationDataset dataset, string split,
        string outDir, int seed = 42)
    {
        if (!ClassificationDataset.SplitNames.Contains(split))
            throw new ArgumentException($"--split must be one of {string.Join(", ", ClassificationDataset.SplitNames)}, got '{split}'");
        var studies = dataset.Split(split);
        if (studies.Count == 0) throw new ArgumentException($"{dataset.Root}: the {split} split is empty");
        var images = ClassifierTrainer.LoadImages(dataset, studies, Size);
        var p = Predict(studies.Select(s => images[s.Id]).ToList());
        var predictions = studies.Select((s, i) => new ClassificationPrediction(s, p[i])).ToList();
        var evaluation = ClassificationEvaluation.Compute(split, Label, predictions, seed);
        var json = evaluation.ToJson();
        json["run"] = RunDirectory;
        json["data"] = dataset.Root;
        ClassificationEvaluation.WriteFiles(outDir, json, predictions);
        return (evaluation, predictions);
    }

    /// <inheritdoc />
    public void Dispose() => Network.Dispose();
}
