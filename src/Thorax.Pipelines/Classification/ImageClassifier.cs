using System.Text.Json.Nodes;
using Thorax.Models.Encoders;
using Thorax.Models.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Pipelines.Classification;

/// <summary>
/// A binary image classifier: a ResNet encoder (globally average-pooled features) and a linear head giving one logit per
/// image. State-dict keys are the encoder's torchvision keys under <c>encoder.</c> and <c>head.weight</c>/<c>head.bias</c>.
/// </summary>
public sealed class ImageClassifier : Module<Tensor, Tensor>
{
    private readonly ResNet encoder;
    private readonly Linear head;

    /// <summary>Wraps <paramref name="encoder"/> (no <c>fc</c>) and adds a fresh linear head.</summary>
    /// <exception cref="ArgumentException">The encoder has its own classifier.</exception>
    public ImageClassifier(ResNet encoder) : base(nameof(ImageClassifier))
    {
        if (encoder.NumClasses != 0) throw new ArgumentException("the encoder must end at the pooled features (numClasses 0)", nameof(encoder));
        this.encoder = encoder;
        head = Linear(encoder.NumFeatures, 1);
        RegisterComponents();
    }

    /// <summary>The encoder.</summary>
    public ResNet Encoder => encoder;

    /// <summary>Normalised RGB [N, 3, H, W] to logits [N].</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return head.call(encoder.call(input)).squeeze(1).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// How a classifier's network is built and fed: the encoder's layout (blocks per stage, padding, BatchNorm epsilon)
/// and the input normalisation (per channel, on grey values in [0, 1] copied to three channels). Stored in the run's
/// <c>config.json</c> so that a run is rebuilt exactly.
/// </summary>
/// <param name="Weights">Where the encoder's initial weights came from: <c>imagenet</c>, <c>none</c> or a file path.</param>
/// <param name="Layers">Basic blocks per stage.</param>
/// <param name="Padding"><c>cntk</c> (CNTK's asymmetric pads, as the ImageNet export has) or <c>torchvision</c>.</param>
/// <param name="BnEpsilon">BatchNorm epsilon.</param>
/// <param name="Mean">Per-channel mean subtracted from the [0, 1] input, in the network's channel order.</param>
/// <param name="Std">Per-channel divisor after the subtraction.</param>
public sealed record ClassifierArchitecture(string Weights, IReadOnlyList<int> Layers, string Padding, double BnEpsilon, IReadOnlyList<float> Mean, IReadOnlyList<float> Std)
{
    /// <summary>torchvision's ImageNet mean (RGB).</summary>
    public static IReadOnlyList<float> ImageNetMean { get; } = [0.485f, 0.456f, 0.406f];

    /// <summary>torchvision's ImageNet standard deviation (RGB).</summary>
    public static IReadOnlyList<float> ImageNetStd { get; } = [0.229f, 0.224f, 0.225f];

    /// <summary>
    /// Builds the network for <paramref name="weights"/>:
    /// <list type="bullet">
    /// <item><c>imagenet</c>: the ImageNet ResNet-18 of <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>
    /// (<see cref="ResNetOnnx.LoadImageNetResNet18"/>: blocks [2,2,2,3], CNTK padding) with that export's own input
    /// convention (BGR on the 0..255 scale minus the per-channel means of its mean image; for grey input the channel order
    /// only decides which mean each channel gets), i.e. mean = means/255 and std = 1/255 on [0, 1] input;</item>
    /// <item><c>none</c>: torchvision's ResNet-18 ([2,2,2,2]) with random weights and ImageNet mean/std;</item>
    /// <item>a file: a torchvision ResNet-18 state dict (safetensors or <c>torch.save</c>; <c>fc.*</c> keys are ignored,
    /// every other key must fit) with ImageNet mean/std.</item>
    /// </list>
    /// The head is initialised from the global torch generator.
    /// </summary>
    /// <exception cref="FileNotFoundException">The ONNX file or the weight file is missing.</exception>
    public static (ImageClassifier Network, ClassifierArchitecture Architecture) Create(string weights)
    {
        var (encoder, arch) = CreateEncoder(weights);
        return (new ImageClassifier(encoder), arch);
    }

    /// <summary>The encoder alone (pooled features, no <c>fc</c>) with the same weights and input convention as
    /// <see cref="Create"/>; used by decoders such as the pneumothorax FPN.</summary>
    public static (ResNet Encoder, ClassifierArchitecture Architecture) CreateEncoder(string weights)
    {
        ArgumentException.ThrowIfNullOrEmpty(weights);
        if (weights == "imagenet")
        {
            var pretrained = ResNetOnnx.LoadImageNetResNet18();
            var meansBgr = pretrained.Preprocessing.ChannelMeansBgr();
            pretrained.Preprocessing.Dispose();
            var enc = pretrained.Model;
            var padding = enc.Padding is null ? "torchvision" : enc.Padding == ResNetPadding.Cntk ? "cntk"
                : throw new InvalidDataException($"{pretrained.OnnxPath}: unexpected padding {enc.Padding}");
            var arch = new ClassifierArchitecture("imagenet", enc.Layers.ToArray(), padding, pretrained.Layout.BnEpsilon,
                meansBgr.Select(m => m / 255f).ToArray(), [1 / 255f, 1 / 255f, 1 / 255f]);
            return (enc, arch);
        }
        var encoder = ResNet.ResNet18();
        try
        {
            if (weights != "none")
            {
                if (!File.Exists(weights)) throw new FileNotFoundException($"--weights: no file {weights} (use imagenet, none or a ResNet-18 state-dict file)", weights);
                var sd = StateDicts.ReadFile(weights);
                try
                {
                    var kept = sd.Where(kv => !kv.Key.StartsWith("fc.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
                    StateDicts.Load(encoder, kept, strict: true, source: weights);
                }
                finally
                {
                    sd.DisposeAll();
                }
            }
            var arch = new ClassifierArchitecture(weights == "none" ? "none" : Path.GetFullPath(weights), encoder.Layers.ToArray(), "torchvision", 1e-5,
                ImageNetMean, ImageNetStd);
            return (encoder, arch);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>A network of this architecture with fresh weights (to load a run's <c>model.safetensors</c> into).</summary>
    public ImageClassifier CreateEmpty() => new(CreateEmptyEncoder());

    /// <summary>An encoder of this architecture with fresh weights.</summary>
    public ResNet CreateEmptyEncoder()
    {
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

    /// <summary>The architecture as config.json fields.</summary>
    public JsonObject ToJson() => new()
    {
        ["encoder"] = "resnet18", ["weights"] = Weights, ["encoder_layers"] = new JsonArray(Layers.Select(l => (JsonNode?)l).ToArray()),
        ["encoder_padding"] = Padding, ["bn_eps"] = BnEpsilon,
        ["input_mean"] = new JsonArray(Mean.Select(m => (JsonNode?)(double)m).ToArray()),
        ["input_std"] = new JsonArray(Std.Select(s => (JsonNode?)(double)s).ToArray()),
    };

    /// <summary>Reads <see cref="ToJson"/>'s fields from a run's config (<paramref name="source"/> named in errors).</summary>
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
        if (Field<string>("encoder") != "resnet18") throw new InvalidDataException($"{source}: field 'encoder' must be resnet18");
        return new ClassifierArchitecture(Field<string>("weights"), Array<int>("encoder_layers", 4), Field<string>("encoder_padding"), Field<double>("bn_eps"),
            Array<double>("input_mean", 3).Select(v => (float)v).ToArray(), Array<double>("input_std", 3).Select(v => (float)v).ToArray());
    }
}
