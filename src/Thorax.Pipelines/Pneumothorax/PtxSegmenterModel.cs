using Thorax.Models.Inference;
using Thorax.Training;
using System.Text.Json.Nodes;
using Thorax.Models.Encoders;
using Thorax.Models.Runtime;
using Thorax.Models.Segmentation;
using Thorax.Models.Segmentation.Zoo;
using Thorax.Models.Weights;
using Thorax.Pipelines.Classification;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Pipelines.Pneumothorax;

/// <summary>
/// The decoder of a pneumothorax segmenter: <c>fpn</c> (the paper; widths pyramid, segmentation), <c>unet</c> /
/// <c>scse-unet</c> (segmentation_models' U-Net, widths of the five decoder blocks) or <c>albunet</c> (the SIIM first
/// place's, ResNet-34 only; width num_filters).
/// </summary>
/// <param name="Name">Canonical decoder name.</param>
/// <param name="Channels">Its widths.</param>
public sealed record PtxDecoder(string Name, IReadOnlyList<int> Channels)
{
    /// <summary>Decoder names (<c>scse</c> is accepted for <c>scse-unet</c>).</summary>
    public static IReadOnlyList<string> Names { get; } = ["fpn", "unet", "scse-unet", "albunet"];

    /// <summary>The canonical decoder name.</summary>
    /// <exception cref="ArgumentException">Unknown decoder (valid names listed).</exception>
    public static string Canonical(string name)
    {
        var n = (name ?? "").Trim().ToLowerInvariant();
        if (n == "scse") n = "scse-unet";
        return Names.Contains(n) ? n : throw new ArgumentException($"unknown decoder '{name}'; valid: fpn, unet, scse (scse-unet), albunet");
    }

    /// <summary>segmentation_models' U-Net decoder widths.</summary>
    public static IReadOnlyList<int> UnetDefault { get; } = [256, 128, 64, 32, 16];

    /// <summary>The decoder <paramref name="name"/> with <paramref name="channels"/> or its defaults (fpn: 256,128; U-Nets:
    /// 256,128,64,32,16; albunet: 32).</summary>
    public static PtxDecoder Of(string name, IReadOnlyList<int>? channels = null)
    {
        var n = Canonical(name);
        var ch = channels ?? n switch { "fpn" => [256, 128], "albunet" => [32], _ => UnetDefault };
        var expected = n switch { "fpn" => 2, "albunet" => 1, _ => 5 };
        if (ch.Count != expected) throw new ArgumentException($"decoder {n} takes {expected} width(s), got {string.Join(",", ch)}");
        if (ch.Any(c => c < 1)) throw new ArgumentException($"decoder widths must be positive, got {string.Join(",", ch)}");
        if (n == "fpn" && ch[1] % 32 != 0) throw new ArgumentException($"fpn segmentation channels must be a multiple of 32 (GroupNorm), got {ch[1]}");
        if (n == "scse-unet" && ch.Any(c => c < 16)) throw new ArgumentException($"scse-unet decoder widths must be at least 16 (squeeze ratio 16), got {string.Join(",", ch)}");
        return new PtxDecoder(n, ch.ToArray());
    }

    /// <summary>Input side multiple the network needs (64 for AlbuNet, 32 otherwise).</summary>
    public int SizeMultiple => Name == "albunet" ? 64 : 32;
}

/// <summary>
/// A trained pneumothorax segmenter (a decoder over a zoo encoder; by default FPN over the classifier's ResNet-18) loaded from a run folder written by
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

    private PtxSegmenterModel(Module<Tensor, Tensor> network, ClassifierArchitecture arch, PtxDecoder decoder, int size, string variant, string runDirectory)
    {
        Network = network;
        Architecture = arch;
        Decoder = decoder;
        Size = size;
        Variant = variant;
        RunDirectory = runDirectory;
    }

    /// <summary>The network, in eval mode.</summary>
    public Module<Tensor, Tensor> Network { get; }

    /// <summary>Encoder layout and input normalisation.</summary>
    public ClassifierArchitecture Architecture { get; }

    /// <summary>The decoder.</summary>
    public PtxDecoder Decoder { get; }

    /// <summary>Input size in pixels.</summary>
    public int Size { get; }

    /// <summary>Which weights were loaded (best, window, classic).</summary>
    public string Variant { get; }

    /// <summary>The run folder.</summary>
    public string RunDirectory { get; }

    /// <summary>A new FPN for <paramref name="arch"/> with fresh weights.</summary>
    public static Fpn CreateNetwork(ClassifierArchitecture arch, int pyramid, int segmentation) =>
        new(arch.CreateEmptyEncoder(), 1, pyramid, segmentation);

    /// <summary>A new segmenter (one output channel) of <paramref name="decoder"/> over the encoder of
    /// <paramref name="arch"/>, with fresh weights; or over <paramref name="encoder"/> (owned by the network from now on;
    /// for AlbuNet, which builds its own ResNet-34, its weights are copied and it is disposed).</summary>
    /// <exception cref="ArgumentException">AlbuNet over another encoder than resnet34.</exception>
    public static Module<Tensor, Tensor> CreateNetwork(ClassifierArchitecture arch, PtxDecoder decoder, Module<Tensor, Tensor>? encoder = null)
    {
        if (decoder.Name == "albunet")
        {
            if (arch.Encoder != "resnet34") throw new ArgumentException($"albunet is defined on resnet34 only, not {arch.Encoder}");
            var albu = new AlbuNet(1, decoder.Channels[0], 3);
            if (encoder is not null)
            {
                using (encoder)
                {
                    // AlbuNet's ResNet-34 keeps torchvision's fc (unused); every other key comes from the encoder.
                    var r = StateDicts.Load(albu.Encoder, encoder.state_dict(), strict: false, source: "the initial resnet34 encoder");
                    if (r.UnexpectedKeys.Count > 0 || r.Mismatches.Count > 0 || r.MissingKeys.Any(k => !k.StartsWith("fc.", StringComparison.Ordinal)))
                        throw new StateDictException("albunet encoder", r);
                }
            }
            return albu;
        }
        var enc = encoder ?? arch.CreateEmptyEncoder();
        try
        {
            if (decoder.Name == "fpn") return new Fpn(enc, 1, decoder.Channels[0], decoder.Channels[1]);
            var fe = (IFeatureEncoder)enc;
            return new EncoderDecoder(enc, new UnetDecoder(SegmentationZoo.EncoderChannels(fe, withStem: true), decoder.Channels, scse: decoder.Name == "scse-unet"), 1,
                $"{arch.Encoder}-{decoder.Name}");
        }
        catch
        {
            enc.Dispose();
            throw;
        }
    }

    /// <summary>The encoder module of a network made by <see cref="CreateNetwork(ClassifierArchitecture, PtxDecoder, Module{Tensor, Tensor})"/>.</summary>
    public static Module<Tensor, Tensor> EncoderOf(Module<Tensor, Tensor> network) => network switch
    {
        Fpn f => f.EncoderModule,
        EncoderDecoder e => e.Encoder,
        AlbuNet a => a.Encoder,
        _ => throw new ArgumentException($"{network.GetName()} is not a pneumothorax segmenter network"),
    };

    /// <summary>The decoder recorded in a segmenter run's config: <c>decoder</c> and <c>decoder_channels</c>, or for
    /// runs before the zoo (and FPN runs) <c>pyramid_channels</c> / <c>segmentation_channels</c>; no <c>decoder</c> field = fpn.</summary>
    /// <exception cref="InvalidDataException">A field is missing or malformed (named with <paramref name="source"/>).</exception>
    public static PtxDecoder DecoderFromJson(JsonObject config, string source)
    {
        try
        {
            var name = config["decoder"]?.GetValue<string>() ?? "fpn";
            if (PtxDecoder.Canonical(name) == "fpn")
            {
                int Int(string field) => config[field]?.GetValue<int>() ?? throw new InvalidDataException($"{source}: field '{field}' is missing");
                return PtxDecoder.Of("fpn", [Int("pyramid_channels"), Int("segmentation_channels")]);
            }
            if (config["decoder_channels"] is not JsonArray a) throw new InvalidDataException($"{source}: field 'decoder_channels' is missing");
            return PtxDecoder.Of(name, a.Select(x => x!.GetValue<int>()).ToArray());
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or NullReferenceException)
        {
            throw new InvalidDataException($"{source}: field 'decoder' / 'decoder_channels': {e.Message}", e);
        }
    }

    /// <summary>The decoder's config.json fields (inverse of <see cref="DecoderFromJson"/>).</summary>
    public static void DecoderToJson(PtxDecoder decoder, JsonObject config)
    {
        config["decoder"] = decoder.Name;
        if (decoder.Name == "fpn")
        {
            config["pyramid_channels"] = decoder.Channels[0];
            config["segmentation_channels"] = decoder.Channels[1];
        }
        config["decoder_channels"] = new JsonArray(decoder.Channels.Select(c => (JsonNode?)c).ToArray());
    }

    /// <summary>Where the network runs (its parameters' device).</summary>
    public Device Device => Devices.DeviceOf(Network);

    /// <summary>Loads the <paramref name="variant"/> weights (best, window, classic) of a segmenter run, read on the CPU
    /// and moved to <paramref name="device"/> (default CPU).</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">config.json or the variant's weight file is missing.</exception>
    /// <exception cref="InvalidDataException">config.json is malformed or of another method (field named).</exception>
    public static PtxSegmenterModel Load(string runDir, string variant = "window", Device? device = null)
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
        var decoder = DecoderFromJson(config, configPath);
        var size = config["size"]?.GetValue<int>() ?? throw new InvalidDataException($"{configPath}: field 'size' is missing");
        TorchRuntime.EnsureLoaded();
        var network = CreateNetwork(arch, decoder);
        try
        {
            StateDicts.LoadFile(network, modelPath, strict: true);
            network.FuseForInference(); // eval mode, batch norms folded into their convolutions (README "Engine")
            network.MoveTo(device);
            return new PtxSegmenterModel(network, arch, decoder, size, variant, Path.GetFullPath(runDir));
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
    /// first place's <c>FLIP</c> inference. Computed on the network's device.
    /// </summary>
    public static float[][] Predict(Module<Tensor, Tensor> network, ClassifierArchitecture arch, IReadOnlyList<float[]> images, int size, bool flipTta = true)
    {
        network.eval();
        var outs = new float[images.Count][];
        var device = Devices.DeviceOf(network);
        using var inference = torch.inference_mode();
        for (var i = 0; i < images.Count; i += InferenceBatch)
        {
            using var quiet = TorchGc.Quiet(); // README "Engine": no collection during native calls
            using var scope = torch.NewDisposeScope();
            var chunk = images.Skip(i).Take(InferenceBatch).ToList();
            var x = arch.Normalize(ClassifierTrainer.Stack(chunk, size).MoveTo(device));
            var p = network.call(x).sigmoid();
            if (flipTta) p = (p + network.call(x.flip(3)).sigmoid().flip(3)) * 0.5;
            var flat = p.OnCpu().contiguous().data<float>().ToArray();
            var plane = size * size;
            for (var b = 0; b < chunk.Count; b++) outs[i + b] = flat.AsSpan(b * plane, plane).ToArray();
        }
        return outs;
    }

    /// <inheritdoc />
    public void Dispose() => Network.Dispose();
}
