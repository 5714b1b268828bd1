using Thorax.Models.Inference;
using Thorax.Models.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Encoders;

/// <summary>Residual block kinds: two 3x3 convolutions (ResNet-18/34) or 1x1-3x3-1x1 with 4x expansion (ResNet-50+).</summary>
public enum ResNetBlock
{
    /// <summary>Two 3x3 convolutions (ResNet-18/34), expansion 1.</summary>
    Basic,

    /// <summary>1x1, 3x3, 1x1 convolutions with 4x expansion (ResNet-50 and deeper).</summary>
    Bottleneck,
}

/// <summary>Explicit zero padding of a 2-D map, in ONNX order: rows before, columns before, rows after, columns after.</summary>
public readonly record struct Pad2d(int Top, int Left, int Bottom, int Right)
{
    /// <summary>The same padding <paramref name="p"/> on all four sides.</summary>
    public static Pad2d Symmetric(int p) => new(p, p, p, p);

    /// <summary>True when all four sides have the same padding (a convolution's own <c>padding</c> can do it).</summary>
    public bool IsSymmetric => Top == Left && Left == Bottom && Bottom == Right;

    /// <summary>True when no side is padded.</summary>
    public bool IsZero => Top == 0 && Left == 0 && Bottom == 0 && Right == 0;
    /// <summary>The order <c>torch.nn.functional.pad</c> takes for the last two dimensions: left, right, top, bottom.</summary>
    internal long[] ToTorch() => [Left, Right, Top, Bottom];

    /// <summary>The pads in ONNX order, e.g. <c>[0,0,1,1]</c>.</summary>
    public override string ToString() => $"[{Top},{Left},{Bottom},{Right}]";
}

/// <summary>
/// Explicit (possibly asymmetric) padding of the down-sampling layers, applied by <c>F.pad</c> in front of an unpadded
/// convolution or max-pool. Only needed for weights trained with such padding (CNTK's exports pad 3 before / 2 after on
/// the stem and 1 / 0 on the stride-2 layers); torchvision's symmetric padding is the default (a null
/// <see cref="ResNetPadding"/>). At even input sizes both give the same result, because the leading pads agree and the
/// extra trailing row/column of the symmetric version is never reached by a window; at odd sizes output sizes differ.
/// </summary>
/// <param name="Stem">Pads of the 7x7 stride-2 stem convolution.</param>
/// <param name="MaxPool">Pads of the 3x3 stride-2 max-pool (padded with -inf, as ONNX and PyTorch do).</param>
/// <param name="StridedConv">Pads of the 3x3 stride-2 convolution of the first block of layers 2-4.</param>
/// <param name="Downsample">Pads of the 1x1 stride-2 shortcut convolution.</param>
public sealed record ResNetPadding(Pad2d Stem, Pad2d MaxPool, Pad2d StridedConv, Pad2d Downsample)
{
    /// <summary>The padding of CNTK 2.x ResNet exports (e.g. ML.NET's ResNet18.onnx).</summary>
    public static ResNetPadding Cntk { get; } = new(new Pad2d(3, 3, 2, 2), new Pad2d(1, 1, 0, 0), new Pad2d(1, 1, 0, 0), default);

    /// <summary>torchvision's padding written out explicitly (same result as a null <see cref="ResNetPadding"/>).</summary>
    public static ResNetPadding Torchvision { get; } = new(Pad2d.Symmetric(3), Pad2d.Symmetric(1), Pad2d.Symmetric(1), default);
}

/// <summary>
/// ResNet (He et al. 2016) with torchvision's state-dict key names (<c>conv1.weight</c>, <c>bn1.running_mean</c>,
/// <c>layer1.0.conv1.weight</c>, <c>layer2.0.downsample.0.weight</c>, <c>fc.weight</c>), configurable block counts,
/// <c>in_chans</c>, an optional classifier and <see cref="forward_features"/> giving the stride 4, 8, 16 and 32 maps.
/// <see cref="forward"/> returns logits when <c>numClasses &gt; 0</c>, otherwise the globally average-pooled features
/// [N, C] (timm's <c>num_classes=0</c> convention).
/// </summary>
public sealed class ResNet : Module<Tensor, Tensor>, IStemFeatureEncoder, IFoldsBatchNorms
{
    // Field order is registration order: torchvision's module order.
    private readonly Conv2d conv1;
    private BatchNorm2d? bn1;
    private readonly ReLU relu;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Linear? fc;

    private readonly long[]? _stemPad;
    private readonly long[]? _maxPoolPad;

    /// <param name="name">Module name.</param>
    /// <param name="block">Block kind.</param>
    /// <param name="layers">Blocks per stage (four stages), e.g. [2,2,2,2] for ResNet-18.</param>
    /// <param name="inChans">Input channels (1 for grey radiographs, 3 for RGB).</param>
    /// <param name="numClasses">Classifier outputs; 0 for no <c>fc</c> (forward returns pooled features).</param>
    /// <param name="padding">Explicit padding for weights trained with asymmetric padding; null for torchvision's.</param>
    /// <param name="bnEps">BatchNorm epsilon.</param>
    public ResNet(string name, ResNetBlock block, IReadOnlyList<int> layers, int inChans = 3, int numClasses = 0,
        ResNetPadding? padding = null, double bnEps = 1e-5) : base(name)
    {
        if (layers.Count != 4 || layers.Any(n => n < 1))
            throw new ArgumentException("a ResNet has four stages of at least one block each", nameof(layers));
        if (inChans < 1) throw new ArgumentOutOfRangeException(nameof(inChans));
        if (numClasses < 0) throw new ArgumentOutOfRangeException(nameof(numClasses));

        Block = block;
        Layers = layers.ToArray();
        InChans = inChans;
        NumClasses = numClasses;
        Padding = padding;
        var expansion = block == ResNetBlock.Basic ? 1 : 4;

        if (padding is null)
        {
            conv1 = Conv2d(inChans, 64, kernel_size: 7, stride: 2, padding: 3, bias: false);
            maxpool = MaxPool2d(kernel_size: 3, stride: 2, padding: 1);
        }
        else
        {
            conv1 = Conv2d(inChans, 64, kernel_size: 7, stride: 2, padding: TorchSharp.Padding.Valid, bias: false);
            maxpool = MaxPool2d(kernel_size: 3, stride: 2, padding: 0);
            _stemPad = padding.Stem.IsZero ? null : padding.Stem.ToTorch();
            _maxPoolPad = padding.MaxPool.IsZero ? null : padding.MaxPool.ToTorch();
        }
        bn1 = BatchNorm2d(64, eps: bnEps);
        relu = ReLU(inplace: true);

        var inPlanes = 64;
        Sequential MakeLayer(int planes, int blocks, int stride)
        {
            var modules = new List<Module<Tensor, Tensor>>();
            for (var i = 0; i < blocks; i++)
            {
                var s = i == 0 ? stride : 1;
                var withDownsample = i == 0 && (s != 1 || inPlanes != planes * expansion);
                modules.Add(block == ResNetBlock.Basic
                    ? new ResNetBasicBlock(inPlanes, planes, s, withDownsample, padding, bnEps)
                    : new ResNetBottleneck(inPlanes, planes, s, withDownsample, padding, bnEps));
                inPlanes = planes * expansion;
            }
            return Sequential(modules);
        }

        layer1 = MakeLayer(64, Layers[0], 1);
        layer2 = MakeLayer(128, Layers[1], 2);
        layer3 = MakeLayer(256, Layers[2], 2);
        layer4 = MakeLayer(512, Layers[3], 2);
        avgpool = AdaptiveAvgPool2d(1);
        if (numClasses > 0) fc = Linear(512 * expansion, numClasses);
        FeatureChannels = [64 * expansion, 128 * expansion, 256 * expansion, 512 * expansion];

        RegisterComponents();

        using (no_grad())
        {
            foreach (var (_, m) in named_modules())
            {
                switch (m)
                {
                    case Conv2d c:
                        init.kaiming_normal_(c.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                        break;
                    case BatchNorm2d bn:
                        init.ones_(bn.weight);
                        init.zeros_(bn.bias);
                        break;
                }
            }
        }
        ConvolutionLayout.UseChannelsLast(this);
    }

    /// <summary>ResNet-18: basic blocks [2,2,2,2].</summary>
    public static ResNet ResNet18(int inChans = 3, int numClasses = 0, ResNetPadding? padding = null) =>
        new("resnet18", ResNetBlock.Basic, [2, 2, 2, 2], inChans, numClasses, padding);

    /// <summary>ResNet-34: basic blocks [3,4,6,3].</summary>
    public static ResNet ResNet34(int inChans = 3, int numClasses = 0, ResNetPadding? padding = null) =>
        new("resnet34", ResNetBlock.Basic, [3, 4, 6, 3], inChans, numClasses, padding);

    /// <summary>ResNet-50: bottleneck blocks [3,4,6,3].</summary>
    public static ResNet ResNet50(int inChans = 3, int numClasses = 0, ResNetPadding? padding = null) =>
        new("resnet50", ResNetBlock.Bottleneck, [3, 4, 6, 3], inChans, numClasses, padding);

    /// <summary>The residual block kind.</summary>
    public ResNetBlock Block { get; }

    /// <summary>Blocks per stage (<c>layer1</c>..<c>layer4</c>), e.g. [2, 2, 2, 2] for ResNet-18.</summary>
    public IReadOnlyList<int> Layers { get; }

    /// <summary>Input channels of the stem convolution.</summary>
    public int InChans { get; }

    /// <summary>Outputs of the <c>fc</c> head (0: no head, forward gives the pooled features).</summary>
    public int NumClasses { get; }

    /// <summary>Explicit asymmetric paddings (the ONNX export's), or null for torchvision's symmetric ones.</summary>
    public ResNetPadding? Padding { get; }

    /// <summary>Channels of the four <see cref="forward_features"/> maps.</summary>
    public IReadOnlyList<int> FeatureChannels { get; }

    /// <summary>Strides (input pixels per map pixel) of the four <see cref="forward_features"/> maps.</summary>
    public IReadOnlyList<int> FeatureStrides { get; } = [4, 8, 16, 32];

    /// <summary>Channels of the pooled features (the input of <c>fc</c>).</summary>
    public int NumFeatures => FeatureChannels[^1];

    /// <summary>The outputs of layer1..layer4: strides 4, 8, 16, 32 (for a 224 input: 56, 28, 14, 7 pixels).</summary>
    public Tensor[] forward_features(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = Stem(input);
        var c2 = layer1.call(x);
        var c3 = layer2.call(c2);
        var c4 = layer3.call(c3);
        var c5 = layer4.call(c4);
        var result = new[] { c2, c3, c4, c5 };
        foreach (var t in result) scope.MoveToOuter(t);
        return result;
    }

    /// <summary>Channels of the stride-2 map (the stem's ReLU output, before the max-pool).</summary>
    public int StemChannels => 64;

    /// <summary>relu(bn1(conv1)) at stride 2, then the layer1..layer4 outputs.</summary>
    public Tensor[] forward_features_with_stem(Tensor input)
    {
        using var scope = NewDisposeScope();
        var s = StemConv(input);
        var c2 = layer1.call(MaxPool(s));
        var c3 = layer2.call(c2);
        var c4 = layer3.call(c3);
        var c5 = layer4.call(c4);
        var result = new[] { s, c2, c3, c4, c5 };
        foreach (var t in result) scope.MoveToOuter(t);
        return result;
    }

    /// <summary>The stem and stages as AlbuNet (SIIM first place) composes them: conv1, bn1, relu, then its own pool.</summary>
    internal (Conv2d Conv1, BatchNorm2d Bn1, ReLU Relu, Sequential[] Layers) Parts =>
        (conv1, bn1 ?? throw new InvalidOperationException("the stem's bn1 was folded for inference; compose AlbuNet from an unfused ResNet"), relu, [layer1, layer2, layer3, layer4]);

    /// <summary>Logits [N, numClasses], or pooled features [N, C] when the module has no classifier.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = layer4.call(layer3.call(layer2.call(layer1.call(Stem(input)))));
        var pooled = avgpool.call(x).flatten(1);
        var result = fc is null ? pooled : fc.call(pooled);
        return result.MoveToOuterDisposeScope();
    }

    private Tensor Stem(Tensor input) => MaxPool(StemConv(input));

    private Tensor StemConv(Tensor input)
    {
        if (input.dim() != 4 || input.shape[1] != InChans)
            throw new ArgumentException($"expected input [N, {InChans}, H, W], got [{string.Join(", ", input.shape)}]", nameof(input));
        var x = _stemPad is null ? input : functional.pad(input, _stemPad);
        return relu.call(ModuleFusion.Norm(bn1, conv1.call(x)));
    }

    /// <inheritdoc/>
    public void FoldBatchNorms() => ModuleFusion.FoldChild(this, conv1, "bn1", ref bn1);

    private Tensor MaxPool(Tensor x)
    {
        if (_maxPoolPad is not null) x = functional.pad(x, _maxPoolPad, value: double.NegativeInfinity);
        return maxpool.call(x);
    }
}

/// <summary>Two 3x3 convolutions with an identity or 1x1-convolution shortcut (torchvision's <c>BasicBlock</c> keys).</summary>
public sealed class ResNetBasicBlock : Module<Tensor, Tensor>, IFoldsBatchNorms
{
    private readonly Conv2d conv1;
    private BatchNorm2d? bn1;
    private readonly ReLU relu;
    private readonly Conv2d conv2;
    private BatchNorm2d? bn2;
    private readonly Sequential? downsample;
    private readonly long[]? _conv1Pad;
    private readonly long[]? _downsamplePad;

    /// <summary>torchvision's BasicBlock: two 3x3 convolutions with BatchNorm and a residual connection (downsampled when the shape changes).</summary>
    public ResNetBasicBlock(int inPlanes, int planes, int stride, bool withDownsample, ResNetPadding? padding = null,
        double bnEps = 1e-5) : base("BasicBlock")
    {
        var explicitPad = padding is not null && stride != 1;
        conv1 = Conv2d(inPlanes, planes, kernel_size: 3, stride: stride, padding: explicitPad ? 0L : 1L, bias: false);
        if (explicitPad && !padding!.StridedConv.IsZero) _conv1Pad = padding.StridedConv.ToTorch();
        bn1 = BatchNorm2d(planes, eps: bnEps);
        relu = ReLU(inplace: true);
        conv2 = Conv2d(planes, planes, kernel_size: 3, stride: 1, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes, eps: bnEps);
        if (withDownsample)
        {
            downsample = Sequential(Conv2d(inPlanes, planes, kernel_size: 1, stride: stride, padding: TorchSharp.Padding.Valid, bias: false),
                BatchNorm2d(planes, eps: bnEps));
            if (explicitPad && !padding!.Downsample.IsZero) _downsamplePad = padding.Downsample.ToTorch();
        }
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = relu.call(ModuleFusion.Norm(bn1, conv1.call(_conv1Pad is null ? x : functional.pad(x, _conv1Pad))));
        y = ModuleFusion.Norm(bn2, conv2.call(y));
        var identity = downsample is null ? x : downsample.call(_downsamplePad is null ? x : functional.pad(x, _downsamplePad));
        return relu.call(y.add_(identity)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void FoldBatchNorms()
    {
        ModuleFusion.FoldChild(this, conv1, "bn1", ref bn1);
        ModuleFusion.FoldChild(this, conv2, "bn2", ref bn2);
    }
}

/// <summary>1x1 reduce, 3x3 (carrying the stride, as torchvision does), 1x1 expand by 4 (torchvision's
/// <c>Bottleneck</c> keys).</summary>
public sealed class ResNetBottleneck : Module<Tensor, Tensor>, IFoldsBatchNorms
{
    private readonly Conv2d conv1;
    private BatchNorm2d? bn1;
    private readonly Conv2d conv2;
    private BatchNorm2d? bn2;
    private readonly Conv2d conv3;
    private BatchNorm2d? bn3;
    private readonly ReLU relu;
    private readonly Sequential? downsample;
    private readonly long[]? _conv2Pad;
    private readonly long[]? _downsamplePad;

    /// <summary>torchvision's Bottleneck: 1x1, 3x3 and 1x1 convolutions with BatchNorm and a residual connection (downsampled when the shape changes).</summary>
    public ResNetBottleneck(int inPlanes, int planes, int stride, bool withDownsample, ResNetPadding? padding = null,
        double bnEps = 1e-5) : base("Bottleneck")
    {
        var explicitPad = padding is not null && stride != 1;
        conv1 = Conv2d(inPlanes, planes, kernel_size: 1, stride: 1, padding: TorchSharp.Padding.Valid, bias: false);
        bn1 = BatchNorm2d(planes, eps: bnEps);
        conv2 = Conv2d(planes, planes, kernel_size: 3, stride: stride, padding: explicitPad ? 0L : 1L, bias: false);
        if (explicitPad && !padding!.StridedConv.IsZero) _conv2Pad = padding.StridedConv.ToTorch();
        bn2 = BatchNorm2d(planes, eps: bnEps);
        conv3 = Conv2d(planes, planes * 4, kernel_size: 1, stride: 1, padding: TorchSharp.Padding.Valid, bias: false);
        bn3 = BatchNorm2d(planes * 4, eps: bnEps);
        relu = ReLU(inplace: true);
        if (withDownsample)
        {
            downsample = Sequential(Conv2d(inPlanes, planes * 4, kernel_size: 1, stride: stride, padding: TorchSharp.Padding.Valid, bias: false),
                BatchNorm2d(planes * 4, eps: bnEps));
            if (explicitPad && !padding!.Downsample.IsZero) _downsamplePad = padding.Downsample.ToTorch();
        }
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = relu.call(ModuleFusion.Norm(bn1, conv1.call(x)));
        y = relu.call(ModuleFusion.Norm(bn2, conv2.call(_conv2Pad is null ? y : functional.pad(y, _conv2Pad))));
        y = ModuleFusion.Norm(bn3, conv3.call(y));
        var identity = downsample is null ? x : downsample.call(_downsamplePad is null ? x : functional.pad(x, _downsamplePad));
        return relu.call(y.add_(identity)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void FoldBatchNorms()
    {
        ModuleFusion.FoldChild(this, conv1, "bn1", ref bn1);
        ModuleFusion.FoldChild(this, conv2, "bn2", ref bn2);
        ModuleFusion.FoldChild(this, conv3, "bn3", ref bn3);
    }
}
