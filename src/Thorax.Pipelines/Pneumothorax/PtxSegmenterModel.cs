using System.Text.Json.Nodes;
using Thorax.Models.Runtime;
using Thorax.Models.Segmentation;
using Thorax.Models.Weights;
using Thorax.Pipelines.Classification;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Pipelines.Pneumothorax;

/// <summary>
/// A trained pneumothorax segmenter (FPN over the classifier's ResNet-18 encoder) loaded from a run folder written by
/// <see cref="PtxSegmenterTrainer"/>, with horizontal-flip test-time augmentation.
/// </summary>
public sealed class PtxSegmenterModel : IDisposable
{
    /// <summary>The weight files of a run: the best single epoch, windowed SWA, classic SWA.</summary>
    public static IReadOnlyDictionary<string, string> VariantFiles { get; } = new Dictionary<string, string>
    {
        ["best"] = "model.safetensors", ["window"] = "swa-window.safetensors", ["classic"] = "swa-classic.safetensors",
    };

    /// <summary>Images per forward pass.</summary>
    public const int InferenceBatch = 8;

    private PtxSegmenterModel(Fpn network, ClassifierArchitecture arch, int size, string variant, string runDirectory)
    {
        Network = network;
        Architecture = arch;
        Size = size;
        Variant = variant;
        RunDirectory = runDirectory;
    }

    /// <summary>The network, in eval mode.</summary>
    public Fpn Network { get; }

    /// <summary>Encoder layout and input normalisation.</summary>
    public ClassifierArchitecture Architecture { get; }

    /// <summary>Input size in pixels.</summary>
    public int Size { get; }

    /// <summary>Which weights were loaded (best, window, classic).</summary>
    public string Variant { get; }

    /// <summary>The run folder.</summary>
    public string RunDirectory { get; }

    /// <summary>A new FPN for <paramref name="arch"/> with fresh weights.</summary>
    public static Fpn CreateNetwork(ClassifierArchitecture arch, int pyramid, int segmentation) =>
        new(arch.CreateEmptyEncoder(), 1, pyramid, segmentation);

    /// <summary>Loads the <paramref name="variant"/> weights (best, window, classic) of a segmenter run.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">config.json or the variant's weight file is missing.</exception>
    /// <exception cref="InvalidDataException">config.json is malformed or of another method (field named).</exception>
    public static PtxSegmenterModel Load(string runDir, string variant = "window")
    {
        if (!VariantFiles.TryGetValue(variant, out var file))
            throw new ArgumentException($"segmenter weights must be one of {string.Join(", ", VariantFiles.Keys)}, got '{variant}'", nameof(variant));
        if (!Directory.Exists(runDir)) throw new DirectoryNotFoundException($"segmenter run folder not found: {runDir}");
        var configPath = Path.Combine(runDir, "config.json");
        var modelPath = Path.Combine(runDir, file);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{configPath} not found; is {runDir} a finished ptx train-segmenter run?", configPath);
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"{modelPath} not found; is {runDir} a finished ptx train-segmenter run?", modelPath);
        JsonObject config;
        try
        {
            config = JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject ?? throw new InvalidDataException($"{configPath}: not a JSON object");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{configPath}: not valid JSON ({e.Message})", e);
        }
        if (config["method"]?.GetValue<string>() != "ptx-segmenter")
            throw new InvalidDataException($"{configPath}: field 'method' is '{config["method"]}', expected ptx-segmenter (a run of thorax ptx train-segmenter)");
        var arch = ClassifierArchitecture.FromJson(config, configPath);
        int Int(string name) => config[name]?.GetValue<int>() ?? throw new InvalidDataException($"{configPath}: field '{name}' is missing");
        var size = Int("size");
        TorchRuntime.EnsureLoaded();
        var network = CreateNetwork(arch, Int("pyramid_channels"), Int("segmentation_channels"));
        try
        {
            StateDicts.LoadFile(network, modelPath, strict: true);
            network.eval();
            return new PtxSegmenterModel(network, arch, size, variant, Path.GetFullPath(runDir));
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Pixel probabilities [Size*Size] for grey images [Size*Size] in [0, 1].</summary>
    public float[][] Predict(IReadOnlyList<float[]> images, bool flipTta = true) => Predict(Network, Architecture, images, Size, flipTta);

    /// <summary>
    /// Sigmoid probabilities of <paramref name="network"/> in eval mode (left in eval mode); with
    /// <paramref name="flipTta"/> the mean of the plain and the horizontally flipped (and flipped back) prediction, as the
    /// first place's <c>FLIP</c> inference.
    /// </summary>
    public static float[][] Predict(Fpn network, ClassifierArchitecture arch, IReadOnlyList<float[]> images, int size, bool flipTta = true)
    {
        network.eval();
        var outs = new float[images.Count][];
        using var inference = torch.inference_mode();
        for (var i = 0; i < images.Count; i += InferenceBatch)
        {
            using var scope = torch.NewDisposeScope();
            var chunk = images.Skip(i).Take(InferenceBatch).ToList();
            var x = arch.Normalize(ClassifierTrainer.Stack(chunk, size));
            var p = network.call(x).sigmoid();
            if (flipTta) p = (p + network.call(x.flip(3)).sigmoid().flip(3)) * 0.5;
            var flat = p.contiguous().data<float>().ToArray();
            var plane = size * size;
            for (var b = 0; b < chunk.Count; b++) outs[i + b] = flat.AsSpan(b * plane, plane).ToArray();
        }
        return outs;
    }

    /// <inheritdoc />
    public void Dispose() => Network.Dispose();
}
