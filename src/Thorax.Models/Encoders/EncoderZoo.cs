using Thorax.Models.Weights;
using Thorax.Models.Weights.Onnx;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Encoders;

/// <summary>How an encoder of the zoo is built.</summary>
/// <param name="InChans">Input channels (1 for grey radiographs, 3 for RGB).</param>
/// <param name="NumClasses">Classifier outputs (the encoder's own timm/torchvision head); 0 for none, so that
/// <c>forward</c> returns globally average-pooled features.</param>
/// <param name="DropRate">Dropout before the classifier (timm encoders only; ResNet and DenseNet have none).</param>
/// <param name="SamePadding">Xception and Inception-ResNet-v2: pad the unpadded reference layers so every tap is
/// exactly input/stride (segmentation_models' correction; needed by U-Net decoders). Others ignore it.</param>
public sealed record EncoderOptions(int InChans = 3, int NumClasses = 0, double DropRate = 0, bool SamePadding = false);

/// <summary>One encoder of the zoo.</summary>
/// <param name="Name">Zoo name (timm's model name where timm has it).</param>
/// <param name="KeySource">Where the state-dict key names come from, e.g. <c>timm legacy_xception</c>.</param>
/// <param name="StemConvKey">Key of the first convolution's weight (adapted when input channels differ).</param>
/// <param name="HeadPrefix">Prefix of the classifier's keys (<c>fc.</c>, <c>classifier.</c>, <c>classif.</c>).</param>
/// <param name="ParamsWithHead">Parameters with the 1000-class head, as timm/torchvision report them.</param>
/// <param name="Channels">Channels of the maps at strides 2, 4, 8, 16, 32 (the stride-2 map first).</param>
/// <param name="Factory">Builds the module (which implements <see cref="IFeatureEncoder"/>).</param>
public sealed record EncoderSpec(string Name, string KeySource, string StemConvKey, string HeadPrefix, long ParamsWithHead,
    IReadOnlyList<int> Channels, Func<EncoderOptions, Module<Tensor, Tensor>> Factory);

/// <summary>What <see cref="EncoderZoo.LoadWeights"/> did.</summary>
/// <param name="Result">Keys that did not load (empty after a strict load).</param>
/// <param name="AdaptedStem">The file's first convolution had other input channels and was adapted by timm's rule.</param>
/// <param name="DroppedHeadKeys">Classifier keys of the file left out because the module has no classifier or one
/// of another size (timm's rule for pretrained weights; the module's classifier keeps its initialisation).</param>
public sealed record EncoderWeightsReport(LoadStateDictResult Result, bool AdaptedStem, IReadOnlyList<string> DroppedHeadKeys);

/// <summary>
/// The encoders by name, as segmentation_models and timm users know them, each with the key names of the zoo its
/// weights come from, so a pretrained file loads by name (<see cref="LoadWeights"/>).
/// </summary>
public static class EncoderZoo
{
    private static readonly EncoderSpec[] Specs =
    [
        new("resnet18", "torchvision resnet18", "conv1.weight", "fc.", 11_689_512, [64, 64, 128, 256, 512], o => Tv(o, ResNet.ResNet18(o.InChans, o.NumClasses))),
        new("resnet34", "torchvision resnet34", "conv1.weight", "fc.", 21_797_672, [64, 64, 128, 256, 512], o => Tv(o, ResNet.ResNet34(o.InChans, o.NumClasses))),
        new("resnet50", "torchvision resnet50", "conv1.weight", "fc.", 25_557_032, [64, 256, 512, 1024, 2048], o => Tv(o, ResNet.ResNet50(o.InChans, o.NumClasses))),
        new("resnet18_mlnet", "torchvision keys of ML.NET's ResNet18.onnx graph (CNTK export: blocks [2,2,2,3], asymmetric pads)", "conv1.weight", "fc.", 0,
            [64, 64, 128, 256, 512], o => Tv(o, new ResNet("resnet18_mlnet", ResNetBlock.Basic, [2, 2, 2, 3], o.InChans, o.NumClasses, ResNetPadding.Cntk))),
        new("densenet121", "torchvision densenet121", "features.conv0.weight", "classifier.", 7_978_856, [64, 256, 512, 1024, 1024], o => Tv(o, DenseNet.DenseNet121(o.InChans, o.NumClasses))),
        new("densenet169", "torchvision densenet169", "features.conv0.weight", "classifier.", 14_149_480, [64, 256, 512, 1280, 1664], o => Tv(o, DenseNet.DenseNet169(o.InChans, o.NumClasses))),
        new("densenet201", "torchvision densenet201", "features.conv0.weight", "classifier.", 20_013_928, [64, 256, 512, 1792, 1920], o => Tv(o, DenseNet.DenseNet201(o.InChans, o.NumClasses))),
        new("xception", "timm legacy_xception (Cadene xception with last_linear -> fc)", Xception.StemConvKey, "fc.", 22_855_952,
            [64, 128, 256, 728, 2048], o => Xception.Create(o.InChans, o.NumClasses, o.DropRate, o.SamePadding)),
        new("seresnext50_32x4d", "timm seresnext50_32x4d", SeResNeXt.StemConvKey, "fc.", 27_559_896,
            [64, 256, 512, 1024, 2048], o => SeResNeXt.SeResNeXt50_32x4d(o.InChans, o.NumClasses, o.DropRate)),
        new("efficientnet_b0", "timm efficientnet_b0", EfficientNet.StemConvKey, "classifier.", 5_288_548, [32, 24, 40, 112, 320], o => EfficientNet.B(0, o.InChans, o.NumClasses, o.DropRate)),
        new("efficientnet_b1", "timm efficientnet_b1", EfficientNet.StemConvKey, "classifier.", 7_794_184, [32, 24, 40, 112, 320], o => EfficientNet.B(1, o.InChans, o.NumClasses, o.DropRate)),
        new("efficientnet_b2", "timm efficientnet_b2", EfficientNet.StemConvKey, "classifier.", 9_109_994, [32, 24, 48, 120, 352], o => EfficientNet.B(2, o.InChans, o.NumClasses, o.DropRate)),
        new("efficientnet_b3", "timm efficientnet_b3", EfficientNet.StemConvKey, "classifier.", 12_233_232, [40, 32, 48, 136, 384], o => EfficientNet.B(3, o.InChans, o.NumClasses, o.DropRate)),
        new("efficientnet_b4", "timm efficientnet_b4", EfficientNet.StemConvKey, "classifier.", 19_341_616, [48, 32, 56, 160, 448], o => EfficientNet.B(4, o.InChans, o.NumClasses, o.DropRate)),
        new("inception_resnet_v2", "timm inception_resnet_v2 (Cadene inceptionresnetv2 with last_linear -> classif)", InceptionResNetV2.StemConvKey, "classif.", 55_843_464,
            [64, 192, 320, 1088, 1536], o => new InceptionResNetV2(o.InChans, o.NumClasses, o.DropRate, o.SamePadding)),
    ];

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["legacy_xception"] = "xception",
        ["inceptionresnetv2"] = "inception_resnet_v2",
        ["se_resnext50_32x4d"] = "seresnext50_32x4d",
        ["efficientnet-b0"] = "efficientnet_b0", ["efficientnet-b1"] = "efficientnet_b1", ["efficientnet-b2"] = "efficientnet_b2",
        ["efficientnet-b3"] = "efficientnet_b3", ["efficientnet-b4"] = "efficientnet_b4",
    };

    /// <summary>The zoo's names (aliases such as <c>legacy_xception</c>, <c>inceptionresnetv2</c>, <c>efficientnet-b0</c>
    /// are accepted too).</summary>
    public static IReadOnlyList<string> Names { get; } = Specs.Select(s => s.Name).ToArray();

    /// <summary>All specifications, in <see cref="Names"/> order.</summary>
    public static IReadOnlyList<EncoderSpec> All => Specs;

    /// <summary>The specification of <paramref name="name"/> (case-insensitive, aliases accepted).</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the valid ones.</exception>
    public static EncoderSpec Spec(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var n = name.Trim();
        if (Aliases.TryGetValue(n, out var canonical)) n = canonical;
        return Specs.FirstOrDefault(s => string.Equals(s.Name, n, StringComparison.OrdinalIgnoreCase))
               ?? throw new ArgumentException($"unknown encoder '{name}'; valid names: {string.Join(", ", Names)}", nameof(name));
    }

    /// <summary>A freshly initialised encoder (training mode) that implements <see cref="IFeatureEncoder"/>.</summary>
    public static Module<Tensor, Tensor> Create(string name, int inChans = 3, int numClasses = 0, double dropRate = 0, bool samePadding = false) =>
        Create(name, new EncoderOptions(inChans, numClasses, dropRate, samePadding));

    /// <summary>A freshly initialised encoder (training mode) that implements <see cref="IFeatureEncoder"/>.</summary>
    public static Module<Tensor, Tensor> Create(string name, EncoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.InChans < 1) throw new ArgumentException($"in_chans must be positive, got {options.InChans}", nameof(options));
        if (options.NumClasses < 0) throw new ArgumentException($"num_classes must be >= 0, got {options.NumClasses}", nameof(options));
        return Spec(name).Factory(options);
    }

    private static Module<Tensor, Tensor> Tv(EncoderOptions o, Module<Tensor, Tensor> m)
    {
        if (o.DropRate != 0)
        {
            m.Dispose();
            throw new ArgumentException("torchvision ResNet and DenseNet have no dropout before the classifier; use drop rate 0");
        }
        return m;
    }

    /// <summary>
    /// Loads a weight file into an encoder built by <see cref="Create(string, EncoderOptions)"/>: torch.save (a plain
    /// state dict or one nested under <c>model</c> / <c>state_dict</c> / <paramref name="key"/>), safetensors, or (ResNets)
    /// an ONNX ResNet graph whose weights are mapped to torchvision names. Keys prefixed by <c>module.</c> (DataParallel)
    /// are accepted, and <paramref name="prefix"/> selects a sub-dictionary (e.g. <c>encoder.</c> of a segmentation
    /// checkpoint). A first convolution with 3 input channels is adapted to the module's (timm's
    /// <c>adapt_input_conv</c>: summed over the channels for 1, repeated and scaled by 3/in_chans otherwise), and a
    /// classifier the module lacks or has at another size is left out (reported).
    /// </summary>
    /// <param name="encoder">The module (its name in the zoo is <paramref name="name"/>).</param>
    /// <param name="name">The zoo name the module was built from.</param>
    /// <param name="path">The weight file.</param>
    /// <param name="strict">Throw <see cref="StateDictException"/> naming every missing, unexpected and mis-shaped key.</param>
    /// <param name="key">torch.save files: the top-level entry holding the state dict.</param>
    /// <param name="prefix">Only keys starting with this prefix, with it removed.</param>
    public static EncoderWeightsReport LoadWeights(Module encoder, string name, string path, bool strict = true, string? key = null, string? prefix = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var spec = Spec(name);
        var onnx = path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);
        var sd = onnx ? ReadOnnx(path, encoder, prefix) : StateDicts.ReadFile(path, key);
        try
        {
            if (onnx)
            {
                // ONNX graphs carry no BatchNorm step counters: start them at 0, as PyTorch does for old checkpoints
                foreach (var (k, t) in encoder.state_dict())
                    if (k.EndsWith("num_batches_tracked", StringComparison.Ordinal) && !sd.ContainsKey(k)) sd[k] = zeros_like(t);
            }
            return LoadStateDict(encoder, spec, sd, strict, path, prefix);
        }
        finally
        {
            sd.DisposeAll();
        }
    }

    /// <summary><see cref="LoadWeights"/> for a dictionary already in memory (not disposed here).</summary>
    public static EncoderWeightsReport LoadStateDict(Module encoder, EncoderSpec spec, IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true,
        string? source = null, string? prefix = null)
    {
        var sd = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var owned = new List<Tensor>();
        try
        {
            var p = prefix ?? "";
            if (prefix is null && stateDict.Count > 0 && stateDict.Keys.All(k => k.StartsWith("module.", StringComparison.Ordinal))) p = "module.";
            foreach (var (k, t) in stateDict)
                if (k.StartsWith(p, StringComparison.Ordinal)) sd[k[p.Length..]] = t;
            if (sd.Count == 0)
                throw new WeightFileException(source ?? "<state dict>", $"no key starts with '{p}'");

            var own = encoder.state_dict();
            var adapted = false;
            if (sd.TryGetValue(spec.StemConvKey, out var stem) && own.TryGetValue(spec.StemConvKey, out var ownStem)
                && stem.dim() == 4 && ownStem.dim() == 4 && stem.shape[1] != ownStem.shape[1])
            {
                var a = AdaptInputConv(stem, (int)ownStem.shape[1], source);
                owned.Add(a);
                sd[spec.StemConvKey] = a;
                adapted = true;
            }
            var dropped = new List<string>();
            foreach (var k in sd.Keys.Where(k => k.StartsWith(spec.HeadPrefix, StringComparison.Ordinal)).ToList())
            {
                if (!own.TryGetValue(k, out var mine) || !mine.shape.SequenceEqual(sd[k].shape))
                {
                    dropped.Add(k);
                    sd.Remove(k);
                }
            }
            // keys of the module's own head are then missing: not an error when the file's head was dropped
            var result = StateDicts.Load(encoder, sd, strict: false, source);
            if (dropped.Count > 0)
                result = result with { MissingKeys = result.MissingKeys.Where(k => !k.StartsWith(spec.HeadPrefix, StringComparison.Ordinal)).ToList() };
            if (strict && !result.IsComplete) throw new StateDictException(source is null ? spec.Name : $"{spec.Name} from {source}", result);
            return new EncoderWeightsReport(result, adapted, dropped);
        }
        finally
        {
            foreach (var t in owned) t.Dispose();
        }
    }

    /// <summary>
    /// timm's <c>adapt_input_conv</c>: a first-convolution weight [O, I, kH, kW] for <paramref name="inChans"/> input
    /// channels. 1: summed over the input channels (or over each group of 3 when I &gt; 3); otherwise from 3 channels:
    /// repeated to cover <paramref name="inChans"/> and scaled by 3 / <paramref name="inChans"/>.
    /// </summary>
    /// <exception cref="WeightFileException">The weight cannot be adapted (names the source and the shapes).</exception>
    public static Tensor AdaptInputConv(Tensor weight, int inChans, string? source = null)
    {
        var i = weight.shape[1];
        if (i == inChans) return weight.clone();
        using var scope = NewDisposeScope();
        var w = weight.to_type(ScalarType.Float32);
        Tensor result;
        if (inChans == 1)
        {
            if (i > 3)
            {
                if (i % 3 != 0) throw new WeightFileException(source ?? "<state dict>", $"cannot adapt a first convolution of {i} input channels to 1 (not a multiple of 3)");
                result = w.reshape(w.shape[0], i / 3, 3, w.shape[2], w.shape[3]).sum(2);
            }
            else result = w.sum(1, keepdim: true);
        }
        else
        {
            if (i != 3) throw new WeightFileException(source ?? "<state dict>", $"cannot adapt a first convolution of {i} input channels to {inChans} (timm adapts 3-channel weights only)");
            var repeat = (inChans + 2) / 3;
            result = w.repeat(1, repeat, 1, 1).narrow(1, 0, inChans).mul(3.0 / inChans);
        }
        return result.to_type(weight.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>The weights of an ONNX file under the module's state-dict names. A graph exported from PyTorch keeps
    /// the state-dict names on its initializers when nothing was folded (<c>torch.onnx.export(...,
    /// training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False)</c>; an eval-mode export folds BatchNorm into
    /// the convolutions and renames them): when any initializer carries one of the module's names (after
    /// <c>module.</c> / <paramref name="prefix"/>), the float initializers are taken by name and the strict load names
    /// whatever is missing. Otherwise the graph is walked as a ResNet (ML.NET's ResNet18.onnx and other exports whose
    /// initializers have their own names).</summary>
    private static Dictionary<string, Tensor> ReadOnnx(string path, Module encoder, string? prefix)
    {
        var model = OnnxReader.ReadFile(path);
        var own = encoder.state_dict().Keys.ToHashSet(StringComparer.Ordinal);
        static string Strip(string k, string? p) =>
            p is not null && k.StartsWith(p, StringComparison.Ordinal) ? k[p.Length..]
            : k.StartsWith("module.", StringComparison.Ordinal) ? k["module.".Length..] : k;
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (model.Graph.Initializers.Any(t => own.Contains(Strip(t.Name, prefix))))
        {
            foreach (var t in model.Graph.Initializers)
                if (t.DataType == OnnxDataType.Float) d[t.Name] = tensor(t.GetFloats(), t.Dims.ToArray());
            return d;
        }
        ResNetOnnxLayout layout;
        try { layout = ResNetOnnx.ReadLayout(model); }
        catch (OnnxFormatException e)
        {
            throw new WeightFileException(path, "no initializer of this ONNX graph carries a state-dict name of the encoder, and it is not a ResNet graph (" + e.Message +
                "); export it from PyTorch with torch.onnx.export(model, x, f, training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False) so the weights keep their names");
        }
        foreach (var (k, t) in layout.Weights) d[k] = tensor(t.GetFloats(), t.Dims.ToArray());
        return d;
    }
}
