using System.Text.Json.Nodes;
using Thorax.Models.Encoders;
using Thorax.Models.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Pipelines.Classification;

/// <summary>
/// A binary image classifier: an encoder of the zoo (<see cref="EncoderZoo"/>; globally average-pooled features, no
/// classifier of its own) and a linear head giving one logit per image. State-dict keys are the encoder's own keys
/// (torchvision / timm) under <c>encoder.</c> and <c>head.weight</c>/<c>head.bias</c>.
/// </summary>
public sealed class ImageClassifier : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> encoder;
    private readonly Linear head;

    /// <summary>Wraps <paramref name="encoder"/> (an <see cref="IFeatureEncoder"/> built without a classifier, so that its
    /// forward gives pooled features) and adds a fresh linear head.</summary>
    /// <exception cref="ArgumentException">The encoder is not an <see cref="IFeatureEncoder"/> or has its own classifier.</exception>
    public ImageClassifier(Module<Tensor, Tensor> encoder) : base(nameof(ImageClassifier))
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (encoder is not IFeatureEncoder fe) throw new ArgumentException($"{encoder.GetName()} does not implement IFeatureEncoder", nameof(encoder));
        if (encoder is ResNet { NumClasses: not 0 }) throw new ArgumentException("the encoder must end at the pooled features (numClasses 0)", nameof(encoder));
        this.encoder = encoder;
        NumFeatures = fe.FeatureChannels[^1];
        head = Linear(NumFeatures, 1);
        RegisterComponents();
    }

    /// <summary>The encoder (also an <see cref="IFeatureEncoder"/>).</summary>
    public Module<Tensor, Tensor> Encoder => encoder;

    /// <summary>Width of the pooled features the head reads.</summary>
    public int NumFeatures { get; }

    /// <summary>Normalised RGB [N, 3, H, W] to logits [N].</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var features = encoder.call(input);
        if (features.dim() != 2 || features.shape[1] != NumFeatures)
            throw new InvalidOperationException($"{encoder.GetName()} gave [{string.Join(", ", features.shape)}], not pooled features [N, {NumFeatures}] (built with a classifier?)");
        return head.call(features).squeeze(1).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// How a classifier's (or the pneumothorax segmenter's) encoder is built and fed: which encoder of the zoo, its layout
/// and the input normalisation (per channel, on grey values in [0, 1] copied to three channels). Stored in the run's
/// <c>config.json</c> so that a run is rebuilt exactly from its folder.
/// </summary>
/// <remarks>
/// <c>resnet18</c> (the default) keeps its own fields: the blocks per stage, padding and BatchNorm epsilon (ML.NET's
/// ImageNet export is a [2,2,2,3] CNTK variant). Every other <see cref="EncoderZoo"/> name is built by the zoo with three
/// input channels and no classifier; <see cref="SamePadding"/> records the stride-exact padding of Xception and
/// Inception-ResNet-v2 (segmenters use it, classifiers do not). Run folders written before <see cref="Encoder"/> existed
/// have no such field and load as ResNet-18.
/// </remarks>
/// <param name="Weights">Where the encoder's initial weights came from: <c>imagenet</c>, <c>none</c> or a file path.</param>
/// <param name="Layers">Basic blocks per stage (resnet18 only; empty otherwise).</param>
/// <param name="Padding"><c>cntk</c> (CNTK's asymmetric pads, as the ImageNet export has) or <c>torchvision</c> (resnet18
/// only; <c>zoo</c> otherwise).</param>
/// <param name="BnEpsilon">BatchNorm epsilon (resnet18 only).</param>
/// <param name="Mean">Per-channel mean subtracted from the [0, 1] input, in the network's channel order.</param>
/// <param name="Std">Per-channel divisor after the subtraction.</param>
public sealed record ClassifierArchitecture(string Weights, IReadOnlyList<int> Layers, string Padding, double BnEpsilon, IReadOnlyList<float> Mean, IReadOnlyList<float> Std)
{
    /// <summary>The default encoder, with its own layout fields.</summary>
    public const string DefaultEncoder = "resnet18";

    /// <summary>Zoo name of the encoder (canonical, see <see cref="EncoderZoo.Spec"/>). Default resnet18.</summary>
    public string Encoder { get; init; } = DefaultEncoder;

    /// <summary>Xception / Inception-ResNet-v2: stride-exact padding (<see cref="EncoderOptions.SamePadding"/>).</summary>
    public bool SamePadding { get; init; }

    /// <summary>Whether this is the default ResNet-18 with its own layout fields.</summary>
    public bool IsResNet18 => Encoder == DefaultEncoder;

    /// <summary>torchvision's ImageNet mean (RGB).</summary>
    public static IReadOnlyList<float> ImageNetMean { get; } = [0.485f, 0.456f, 0.406f];

    /// <summary>torchvision's ImageNet standard deviation (RGB).</summary>
    public static IReadOnlyList<float> ImageNetStd { get; } = [0.229f, 0.224f, 0.225f];

    /// <summary>The Inception mean/std (0.5, 0.5) timm uses for Xception and Inception-ResNet-v2.</summary>
    public static IReadOnlyList<float> InceptionMeanStd { get; } = [0.5f, 0.5f, 0.5f];

    /// <summary>The canonical zoo name of <paramref name="encoder"/> (aliases accepted; unknown names listed in the error).</summary>
    public static string Canonical(string encoder) => EncoderZoo.Spec(encoder).Name;

    /// <summary>
    /// Builds the ResNet-18 classifier for <paramref name="weights"/> (see <see cref="CreateEncoder(string, string, bool)"/>).
    /// The head is initialised from the global torch generator.
    /// </summary>
    /// <exception cref="FileNotFoundException">The ONNX file or the weight file is missing.</exception>
    public static (ImageClassifier Network, ClassifierArchitecture Architecture) Create(string weights) => Create(DefaultEncoder, weights);

    /// <summary>The classifier of zoo encoder <paramref name="encoder"/> starting from <paramref name="weights"/> (no
    /// stride-exact padding: the encoder as timm/torchvision define it). The head is initialised from the global torch
    /// generator.</summary>
    public static (ImageClassifier Network, ClassifierArchitecture Architecture) Create(string encoder, string weights)
    {
        var (enc, arch) = CreateEncoder(encoder, weights, samePadding: false);
        try
        {
            return (new ImageClassifier(enc), arch);
        }
        catch
        {
            enc.Dispose();
            throw;
        }
    }

    /// <summary>The ResNet-18 encoder alone (see <see cref="CreateEncoder(string, string, bool)"/>).</summary>
    public static (ResNet Encoder, ClassifierArchitecture Architecture) CreateEncoder(string weights)
    {
        var (enc, arch) = CreateEncoder(DefaultEncoder, weights, false);
        return ((ResNet)enc, arch);
    }

    /// <summary>
    /// The encoder alone (pooled features, no classifier), with its initial weights and input convention; used by the
    /// classifier and by decoders such as the pneumothorax FPN.
    /// <list type="bullet">
    /// <item><c>resnet18</c> + <c>imagenet</c>: the ImageNet ResNet-18 of <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>
    /// (<see cref="ResNetOnnx.LoadImageNetResNet18"/>: blocks [2,2,2,3], CNTK padding) with that export's own input
    /// convention (BGR on the 0..255 scale minus the per-channel means of its mean image; for grey input the channel order
    /// only decides which mean each channel gets), i.e. mean = means/255 and std = 1/255 on [0, 1] input; a
    /// <c>.onnx</c> file of that export works the same;</item>
    /// <item><c>resnet18</c> + <c>none</c>: torchvision's ResNet-18 ([2,2,2,2]) with random weights and ImageNet mean/std;</item>
    /// <item><c>resnet18</c> + a file: a torchvision ResNet-18 state dict (safetensors or <c>torch.save</c>; <c>fc.*</c> keys
    /// are ignored, every other key must fit) with ImageNet mean/std;</item>
    /// <item>any other zoo encoder: <c>none</c> (random, the zoo's initialisation) or a file loaded by key name through
    /// <see cref="EncoderZoo.LoadWeights"/> (torch.save / safetensors / ResNet ONNX; a <c>module.</c> or <c>encoder.</c>
    /// prefix is accepted, a 3-channel stem as is, a classifier of the file left out; strict otherwise: every missing,
    /// unexpected and mis-shaped key is named); timm's mean/std (0.5 for Xception and Inception-ResNet-v2, ImageNet's
    /// otherwise). <c>imagenet</c> is refused: no pretrained file of those encoders ships here.</item>
    /// </list>
    /// </summary>
    /// <exception cref="ArgumentException">Unknown encoder, or <c>imagenet</c> for an encoder other than resnet18.</exception>
    /// <exception cref="FileNotFoundException">The ONNX file or the weight file is missing.</exception>
    public static (Module<Tensor, Tensor> Encoder, ClassifierArchitecture Architecture) CreateEncoder(string encoder, string weights, bool samePadding)
    {
        ArgumentException.ThrowIfNullOrEmpty(weights);
        var name = Canonical(encoder);
        if (name != DefaultEncoder) return CreateZooEncoder(name, weights, samePadding);
        var onnx = weights.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);
        if (weights == "imagenet" || onnx)
        {
            if (onnx && !File.Exists(weights)) throw new FileNotFoundException($"--weights: no file {weights}", weights);
            var pretrained = ResNetOnnx.LoadImageNetResNet18(onnx ? weights : null);
            var meansBgr = pretrained.Preprocessing.ChannelMeansBgr();
            pretrained.Preprocessing.Dispose();
            var enc = pretrained.Model;
            var padding = enc.Padding is null ? "torchvision" : enc.Padding == ResNetPadding.Cntk ? "cntk"
                : throw new InvalidDataException($"{pretrained.OnnxPath}: unexpected padding {enc.Padding}");
            var arch = new ClassifierArchitecture(onnx ? Path.GetFullPath(weights) : "imagenet", enc.Layers.ToArray(), padding, pretrained.Layout.BnEpsilon,
                meansBgr.Select(m => m / 255f).ToArray(), [1 / 255f, 1 / 255f, 1 / 255f]);
            return (enc, arch);
        }
        var resnet = ResNet.ResNet18();
        try
        {
            if (weights != "none")
            {
                if (!File.Exists(weights)) throw new FileNotFoundException($"--weights: no file {weights} (use imagenet, none or a ResNet-18 state-dict file)", weights);
                var sd = StateDicts.ReadFile(weights);
                try
                {
                    var kept = sd.Where(kv => !kv.Key.StartsWith("fc.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
                    StateDicts.Load(resnet, kept, strict: true, source: weights);
                }
                finally
                {
                    sd.DisposeAll();
                }
            }
            var arch = new ClassifierArchitecture(weights == "none" ? "none" : Path.GetFullPath(weights), resnet.Layers.ToArray(), "torchvision", 1e-5,
                ImageNetMean, ImageNetStd);
            return (resnet, arch);
        }
        catch
        {
            resnet.Dispose();
            throw;
        }
    }

    private static (Module<Tensor, Tensor>, ClassifierArchitecture) CreateZooEncoder(string name, string weights, bool samePadding)
    {
        if (weights == "imagenet")
            throw new ArgumentException($"--weights imagenet is ML.NET's ResNet-18 ONNX export, which only the resnet18 encoder uses; give {name} a weight file " +
                                        "(torch.save / safetensors of timm or torchvision keys) or none");
        if (weights != "none" && !File.Exists(weights)) throw new FileNotFoundException($"--weights: no file {weights} (a {name} weight file, or none)", weights);
        var inception = name is "xception" or "inception_resnet_v2";
        var arch = new ClassifierArchitecture(weights == "none" ? "none" : Path.GetFullPath(weights), [], "zoo", 0,
            inception ? InceptionMeanStd : ImageNetMean, inception ? InceptionMeanStd : ImageNetStd) { Encoder = name, SamePadding = samePadding };
        var enc = arch.CreateEmptyEncoder();
        try
        {
            if (weights != "none") LoadEncoderWeights(enc, name, weights);
            return (enc, arch);
        }
        catch
        {
            enc.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads <paramref name="path"/> into a zoo encoder by key name, strictly: a whole checkpoint of a classifier
    /// (<c>encoder.</c> + <c>head.</c>) or of a segmenter (<c>encoder.</c> + decoder keys) gives its <c>encoder.</c> part;
    /// otherwise the file is the encoder's own state dict (a <c>module.</c> prefix and a foreign classifier are accepted).
    /// </summary>
    /// <exception cref="StateDictException">Missing, unexpected or mis-shaped keys (each named, with the file).</exception>
    public static EncoderWeightsReport LoadEncoderWeights(Module encoder, string name, string path)
    {
        string? prefix = null;
        if (!path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            var sd = StateDicts.ReadFile(path);
            try
            {
                var keys = sd.Keys.Select(k => k.StartsWith("module.", StringComparison.Ordinal) ? k[7..] : k).ToList();
                if (keys.Any(k => k.StartsWith("encoder.", StringComparison.Ordinal)) && !encoder.state_dict().Keys.Any(k => k.StartsWith("encoder.", StringComparison.Ordinal)))
                    prefix = sd.Keys.First().StartsWith("module.", StringComparison.Ordinal) ? "module.encoder." : "encoder.";
            }
            finally
            {
                sd.DisposeAll();
            }
        }
        return EncoderZoo.LoadWeights(encoder, name, path, strict: true, prefix: prefix);
    }

    /// <summary>A network of this architecture with fresh weights (to load a run's <c>model.safetensors</c> into).</summary>
    public ImageClassifier CreateEmpty() => new(CreateEmptyEncoder());

    /// <summary>An encoder of this architecture with fresh weights (no classifier, three input channels).</summary>
    public Module<Tensor, Tensor> CreateEmptyEncoder()
    {
        if (!IsResNet18) return EncoderZoo.Create(Encoder, new EncoderOptions(InChans: 3, NumClasses: 0, DropRate: 0, SamePadding: SamePadding));
        var padding = Padding switch
        {
            "cntk" => ResNetPadding.Cntk,
            "torchvision" => null,
            _ => throw new InvalidDataException($"encoder padding '{Padding}' is neither cntk nor torchvision"),
        };
        return new ResNet("resnet", ResNetBlock.Basic, Layers, 3, 0, padding, BnEpsilon);
    }

    /// <summary>Grey images [N, 1, H, W] in [0, 1] to the network input [N, 3, H, W].</summary>
    public Tensor Normalize(Tensor grey)
    {
        using var scope = NewDisposeScope();
        var mean = tensor(Mean.ToArray(), [1L, 3, 1, 1], device: grey.device);
        var std = tensor(Std.ToArray(), [1L, 3, 1, 1], device: grey.device);
        return ((grey.expand(-1, 3, -1, -1) - mean) / std).MoveToOuterDisposeScope();
    }

    /// <summary>The architecture as config.json fields (resnet18 exactly as before the zoo; other encoders:
    /// <c>encoder</c>, <c>weights</c>, <c>same_padding</c>, <c>input_mean</c>, <c>input_std</c>).</summary>
    public JsonObject ToJson()
    {
        var j = new JsonObject { ["encoder"] = Encoder, ["weights"] = Weights };
        if (IsResNet18)
        {
            j["encoder_layers"] = new JsonArray(Layers.Select(l => (JsonNode?)l).ToArray());
            j["encoder_padding"] = Padding;
            j["bn_eps"] = BnEpsilon;
        }
        else j["same_padding"] = SamePadding;
        j["input_mean"] = new JsonArray(Mean.Select(m => (JsonNode?)(double)m).ToArray());
        j["input_std"] = new JsonArray(Std.Select(s => (JsonNode?)(double)s).ToArray());
        return j;
    }

    /// <summary>Reads <see cref="ToJson"/>'s fields from a run's config (<paramref name="source"/> named in errors); a
    /// config without <c>encoder</c> is a ResNet-18 run.</summary>
    /// <exception cref="InvalidDataException">A field is missing or malformed.</exception>
    public static ClassifierArchitecture FromJson(JsonObject config, string source)
    {
        T Field<T>(string name)
        {
            try
            {
                return config[name] is { } n ? n.GetValue<T>() : throw new InvalidDataException($"{source}: field '{name}' is missing");
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{source}: field '{name}' is not a {typeof(T).Name}", e);
            }
        }
        T[] Array<T>(string name, int length)
        {
            if (config[name] is not JsonArray a || a.Count != length) throw new InvalidDataException($"{source}: field '{name}' must be an array of {length} numbers");
            try
            {
                return a.Select(x => x!.GetValue<T>()).ToArray();
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
            {
                throw new InvalidDataException($"{source}: field '{name}' must be an array of {length} numbers", e);
            }
        }
        var encoder = config["encoder"] is null ? DefaultEncoder : Field<string>("encoder");
        string name;
        try
        {
            name = Canonical(encoder);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: field 'encoder': {e.Message}", e);
        }
        var mean = Array<double>("input_mean", 3).Select(v => (float)v).ToArray();
        var std = Array<double>("input_std", 3).Select(v => (float)v).ToArray();
        if (name != DefaultEncoder)
            return new ClassifierArchitecture(Field<string>("weights"), [], "zoo", 0, mean, std) { Encoder = name, SamePadding = config["same_padding"] is not null && Field<bool>("same_padding") };
        return new ClassifierArchitecture(Field<string>("weights"), Array<int>("encoder_layers", 4), Field<string>("encoder_padding"), Field<double>("bn_eps"), mean, std);
    }
}
