using Thorax.Models.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Encoders;

/// <summary>
/// SE-ResNeXt (Xie et al. 2017 with Hu et al.'s squeeze-and-excitation) with timm's <c>ResNet</c> key names, as in
/// <c>seresnext50_32x4d</c>: <c>conv1</c>, <c>bn1</c>, <c>layer1.0.conv2.weight</c> (grouped 3x3 carrying the stride),
/// <c>layer1.0.se.fc1.weight</c>/<c>.bias</c>, <c>layer1.0.se.fc2.*</c>, <c>layer1.0.downsample.0.weight</c>,
/// <c>fc.*</c>. 27.56 M parameters with the 1000-class head. Taps: layer1..layer4 (strides 4..32; 256, 512, 1024,
/// 2048 channels) and the stem's ReLU (stride 2, 64 channels).
/// </summary>
public sealed class SeResNeXt : Module<Tensor, Tensor>, IStemFeatureEncoder
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly ReLU act1;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly Linear? fc;

    /// <param name="layers">Bottleneck blocks per stage, e.g. [3,4,6,3] for the 50-layer network.</param>
    /// <param name="cardinality">Groups of the 3x3 convolutions (32).</param>
    /// <param name="baseWidth">Channels per group at the first stage (4).</param>
    /// <param name="inChans">Input channels (1 or 3).</param>
    /// <param name="numClasses">Classifier outputs; 0 for no <c>fc</c> (forward returns pooled features).</param>
    /// <param name="dropRate">Dropout before <c>fc</c> (training only).</param>
    /// <param name="stemWidth">Channels of the stem convolution (64).</param>
    /// <param name="planes">Planes of the four stages (64, 128, 256, 512; outputs are 4x that).</param>
    public SeResNeXt(IReadOnlyList<int> layers, int cardinality = 32, int baseWidth = 4, int inChans = 3, int numClasses = 1000,
        double dropRate = 0, int stemWidth = 64, IReadOnlyList<int>? planes = null) : base("seresnext")
    {
        if (layers.Count != 4 || layers.Any(n => n < 1)) throw new ArgumentException("four stages of at least one block each", nameof(layers));
        if (inChans < 1) throw new ArgumentOutOfRangeException(nameof(inChans));
        if (numClasses < 0) throw new ArgumentOutOfRangeException(nameof(numClasses));
        if (dropRate is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(dropRate));
        var p = planes ?? [64, 128, 256, 512];
        if (p.Count != 4) throw new ArgumentException("four stage widths", nameof(planes));
        InChans = inChans;
        NumClasses = numClasses;
        DropRate = dropRate;

        conv1 = Conv2d(inChans, stemWidth, kernel_size: 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(stemWidth);
        act1 = ReLU(inplace: true);
        maxpool = MaxPool2d(kernel_size: 3, stride: 2, padding: 1);
        var inPlanes = stemWidth;
        Sequential Stage(int planesN, int blocks, int stride)
        {
            var mods = new List<Module<Tensor, Tensor>>();
            for (var i = 0; i < blocks; i++)
            {
                var s = i == 0 ? stride : 1;
                mods.Add(new SeResNeXtBottleneck(inPlanes, planesN, s, cardinality, baseWidth, i == 0 && (s != 1 || inPlanes != planesN * 4)));
                inPlanes = planesN * 4;
            }
            return Sequential(mods);
        }
        layer1 = Stage(p[0], layers[0], 1);
        layer2 = Stage(p[1], layers[1], 2);
        layer3 = Stage(p[2], layers[2], 2);
        layer4 = Stage(p[3], layers[3], 2);
        if (numClasses > 0) fc = Linear(p[3] * 4, numClasses);
        FeatureChannels = p.Select(x => x * 4).ToArray();
        StemChannels = stemWidth;
        RegisterComponents();
        EncoderInit.KaimingConvUnitNorm(this);
        ConvolutionLayout.UseChannelsLast(this);
    }

    /// <summary>timm <c>seresnext50_32x4d</c>: [3,4,6,3], 32 groups of 4 channels.</summary>
    public static SeResNeXt SeResNeXt50_32x4d(int inChans = 3, int numClasses = 1000, double dropRate = 0) =>
        new([3, 4, 6, 3], 32, 4, inChans, numClasses, dropRate);

    /// <inheritdoc/>
    public int InChans { get; }
    /// <summary>Outputs of the classifier head (0: no head).</summary>
    public int NumClasses { get; }
    /// <summary>Dropout rate before the classifier head.</summary>
    public double DropRate { get; }
    /// <inheritdoc/>
    public IReadOnlyList<int> FeatureChannels { get; }
    /// <inheritdoc/>
    public IReadOnlyList<int> FeatureStrides { get; } = [4, 8, 16, 32];
    /// <inheritdoc/>
    public int StemChannels { get; }
    /// <summary>Channels of the pooled features the classifier head reads.</summary>
    public int NumFeatures => FeatureChannels[^1];

    /// <summary>Key of the first convolution.</summary>
    public const string StemConvKey = "conv1.weight";

    /// <inheritdoc/>
    public Tensor[] forward_features(Tensor input)
    {
        var all = forward_features_with_stem(input);
        all[0].Dispose();
        return all[1..];
    }

    /// <inheritdoc/>
    public Tensor[] forward_features_with_stem(Tensor input)
    {
        using var scope = NewDisposeScope();
        EncoderInit.CheckInput(input, InChans);
        var s = act1.call(bn1.call(conv1.call(input)));
        var c2 = layer1.call(maxpool.call(s));
        var c3 = layer2.call(c2);
        var c4 = layer3.call(c3);
        var c5 = layer4.call(c4);
        var r = new[] { s, c2, c3, c4, c5 };
        foreach (var t in r) scope.MoveToOuter(t);
        return r;
    }

    /// <summary>Logits (or pooled features without a classifier): global average pool, dropout, fc.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        EncoderInit.CheckInput(input, InChans);
        var x = maxpool.call(act1.call(bn1.call(conv1.call(input))));
        x = layer4.call(layer3.call(layer2.call(layer1.call(x))));
        return EncoderInit.PoolAndClassify(x, fc, DropRate, training).MoveToOuterDisposeScope();
    }
}

/// <summary>timm's ResNet <c>Bottleneck</c> with cardinality and an SE module (keys conv1, bn1, conv2, bn2, conv3, bn3,
/// se.fc1, se.fc2, downsample.0, downsample.1): width = floor(planes * baseWidth / 64) * cardinality.</summary>
public sealed class SeResNeXtBottleneck : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly SqueezeExcite se;
    private readonly Sequential? downsample;

    /// <summary>An SE-ResNeXt bottleneck: 1x1, grouped 3x3 and 1x1 convolutions, squeeze-and-excitation, residual connection.</summary>
    public SeResNeXtBottleneck(int inPlanes, int planes, int stride, int cardinality, int baseWidth, bool withDownsample) : base("Bottleneck")
    {
        var width = (int)Math.Floor(planes * (baseWidth / 64.0)) * cardinality;
        if (width < 1) throw new ArgumentException($"bottleneck width {width} from planes {planes}, base width {baseWidth}, cardinality {cardinality}");
        var outPlanes = planes * 4;
        conv1 = Conv2d(inPlanes, width, kernel_size: 1, padding: 0L, bias: false);
        bn1 = BatchNorm2d(width);
        conv2 = Conv2d(width, width, kernel_size: 3, stride: stride, padding: 1, groups: cardinality, bias: false);
        bn2 = BatchNorm2d(width);
        conv3 = Conv2d(width, outPlanes, kernel_size: 1, padding: 0L, bias: false);
        bn3 = BatchNorm2d(outPlanes);
        se = new SqueezeExcite(outPlanes, MakeDivisible(outPlanes / 16.0, 8, 0.0), "fc1", "fc2", relu: true);
        if (withDownsample)
            downsample = Sequential(Conv2d(inPlanes, outPlanes, kernel_size: 1, stride: stride, padding: 0L, bias: false), BatchNorm2d(outPlanes));
        RegisterComponents();
    }

    /// <summary>timm's <c>make_divisible</c>: the nearest multiple of <paramref name="divisor"/> (at least it), bumped
    /// by one divisor when rounding lost more than 1 - <paramref name="roundLimit"/> of the value.</summary>
    public static int MakeDivisible(double v, int divisor = 8, double roundLimit = 0.9)
    {
        var newV = Math.Max(divisor, (int)(v + divisor / 2.0) / divisor * divisor);
        if (newV < roundLimit * v) newV += divisor;
        return newV;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = functional.relu(bn1.call(conv1.call(x)));
        y = functional.relu(bn2.call(conv2.call(y)));
        y = se.call(bn3.call(conv3.call(y)));
        var shortcut = downsample is null ? x : downsample.call(x);
        return functional.relu(y.add_(shortcut)).MoveToOuterDisposeScope();
    }
}

/// <summary>Squeeze-and-excitation: x * sigmoid(expand(act(reduce(mean over H, W)))), the 1x1 convolutions (with bias)
/// registered under the reference's names (timm ResNet: fc1/fc2 with ReLU; EfficientNet: conv_reduce/conv_expand
/// with SiLU).</summary>
public sealed class SqueezeExcite : Module<Tensor, Tensor>
{
    private readonly Conv2d _reduce;
    private readonly Conv2d _expand;
    private readonly bool _relu;

    /// <summary>Squeeze-and-excitation: global average pool, reduce, activation, expand, sigmoid gate on the input's channels.</summary>
    public SqueezeExcite(int channels, int reducedChannels, string reduceName, string expandName, bool relu) : base("SqueezeExcite")
    {
        _reduce = Conv2d(channels, reducedChannels, kernel_size: 1, padding: 0L, bias: true);
        _expand = Conv2d(reducedChannels, channels, kernel_size: 1, padding: 0L, bias: true);
        _relu = relu;
        register_module(reduceName, _reduce);
        register_module(expandName, _expand);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var s = _reduce.call(x.mean([2, 3], keepdim: true));
        s = _relu ? functional.relu(s) : functional.silu(s);
        return x.mul(functional.sigmoid(_expand.call(s))).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override void RegisterComponents() { }
}
