using Thorax.Models.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Encoders;

/// <summary>
/// Inception-ResNet-v2 (Szegedy et al. 2017) with timm's <c>inception_resnet_v2</c> key names (<c>conv2d_1a.conv.weight</c>,
/// <c>conv2d_1a.bn.*</c> (eps 0.001), <c>mixed_5b.branch1.1.conv.weight</c>, <c>repeat.0.branch2.2.*</c>,
/// <c>repeat.0.conv2d.weight</c>/<c>.bias</c>, <c>mixed_6a</c>, <c>repeat_1</c> (20 Block17), <c>mixed_7a</c>,
/// <c>repeat_2</c> (9 Block8), <c>block8</c>, <c>conv2d_7b</c>, <c>classif</c>), also Cadene's keys with
/// <c>last_linear</c> renamed <c>classif</c>. 55.84 M parameters with the 1000-class head. Taps as timm's
/// <c>feature_info</c>: conv2d_2b (stride 2, 64 channels), conv2d_4a (4, 192), repeat (8, 320), repeat_1 (16, 1088),
/// conv2d_7b (32, 1536).
/// </summary>
/// <remarks>
/// The reference's stem and reduction layers are unpadded, so taps are not exactly input/stride (96 pixels give 45, 20,
/// 9, 4, 1) and inputs under 75 pixels are too small. <c>samePadding</c> pads every unpadded 3x3 convolution and
/// max-pool by 1, segmentation_models' correction for U-Nets (64 pixels give 32, 16, 8, 4, 2); keys are the same.
/// </remarks>
public sealed class InceptionResNetV2 : Module<Tensor, Tensor>, IStemFeatureEncoder
{
    private readonly IrBasicConv conv2d_1a, conv2d_2a, conv2d_2b, conv2d_3b, conv2d_4a;
    private readonly MaxPool2d maxpool_3a, maxpool_5a;
    private readonly IrMixed5b mixed_5b;
    private readonly Sequential repeat;
    private readonly IrMixed6a mixed_6a;
    private readonly Sequential repeat_1;
    private readonly IrMixed7a mixed_7a;
    private readonly Sequential repeat_2;
    private readonly IrBlock8 block8;
    private readonly IrBasicConv conv2d_7b;
    private readonly Linear? classif;

    /// <summary>Inception-ResNet-v2 with timm's key names.</summary>
    public InceptionResNetV2(int inChans = 3, int numClasses = 1000, double dropRate = 0, bool samePadding = false) : base("inception_resnet_v2")
    {
        if (inChans < 1) throw new ArgumentOutOfRangeException(nameof(inChans));
        if (numClasses < 0) throw new ArgumentOutOfRangeException(nameof(numClasses));
        if (dropRate is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(dropRate));
        InChans = inChans;
        NumClasses = numClasses;
        DropRate = dropRate;
        SamePadding = samePadding;
        var p = samePadding ? 1 : 0;
        conv2d_1a = new IrBasicConv(inChans, 32, 3, 2, p);
        conv2d_2a = new IrBasicConv(32, 32, 3, 1, p);
        conv2d_2b = new IrBasicConv(32, 64, 3, 1, 1);
        maxpool_3a = MaxPool2d(kernel_size: 3, stride: 2, padding: p);
        conv2d_3b = new IrBasicConv(64, 80, 1);
        conv2d_4a = new IrBasicConv(80, 192, 3, 1, p);
        maxpool_5a = MaxPool2d(kernel_size: 3, stride: 2, padding: p);
        mixed_5b = new IrMixed5b();
        repeat = Sequential(Enumerable.Range(0, 10).Select(_ => (Module<Tensor, Tensor>)new IrBlock35(0.17)));
        mixed_6a = new IrMixed6a(p);
        repeat_1 = Sequential(Enumerable.Range(0, 20).Select(_ => (Module<Tensor, Tensor>)new IrBlock17(0.10)));
        mixed_7a = new IrMixed7a(p);
        repeat_2 = Sequential(Enumerable.Range(0, 9).Select(_ => (Module<Tensor, Tensor>)new IrBlock8(0.20, false)));
        block8 = new IrBlock8(1.0, true);
        conv2d_7b = new IrBasicConv(2080, 1536, 1);
        if (numClasses > 0) classif = Linear(1536, numClasses);
        RegisterComponents();
        EncoderInit.KaimingConvUnitNorm(this);
        ConvolutionLayout.UseChannelsLast(this);
    }

    /// <inheritdoc/>
    public int InChans { get; }
    /// <summary>Outputs of the classifier head (0: no head).</summary>
    public int NumClasses { get; }
    /// <summary>Dropout rate before the classifier head.</summary>
    public double DropRate { get; }
    /// <summary>True for TensorFlow-style 'same' padding computed from the input size (as the TF-ported weights expect).</summary>
    public bool SamePadding { get; }
    /// <inheritdoc/>
    public IReadOnlyList<int> FeatureChannels { get; } = [192, 320, 1088, 1536];
    /// <inheritdoc/>
    public IReadOnlyList<int> FeatureStrides { get; } = [4, 8, 16, 32];
    /// <inheritdoc/>
    public int StemChannels => 64;
    /// <summary>Channels of the pooled features the classifier head reads.</summary>
    public int NumFeatures => 1536;

    /// <summary>Key of the first convolution.</summary>
    public const string StemConvKey = "conv2d_1a.conv.weight";

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
        var r = Run(input);
        foreach (var t in r) scope.MoveToOuter(t);
        return r;
    }

    /// <summary>Logits (or pooled features without a classifier): global average pool, dropout, classif.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return EncoderInit.PoolAndClassify(Run(input)[^1], classif, DropRate, training).MoveToOuterDisposeScope();
    }

    private Tensor[] Run(Tensor input)
    {
        EncoderInit.CheckInput(input, InChans);
        var s2 = conv2d_2b.call(conv2d_2a.call(conv2d_1a.call(input)));
        var c4 = conv2d_4a.call(conv2d_3b.call(maxpool_3a.call(s2)));
        if (c4.shape[2] < 3 || c4.shape[3] < 3)
            throw new ArgumentException($"input [{string.Join(", ", input.shape)}] is too small for Inception-ResNet-v2 without same padding (at least 75 pixels)", nameof(input));
        var c8 = repeat.call(mixed_5b.call(maxpool_5a.call(c4)));
        var c16 = repeat_1.call(mixed_6a.call(c8));
        var c32 = conv2d_7b.call(block8.call(repeat_2.call(mixed_7a.call(c16))));
        return [s2, c4, c8, c16, c32];
    }
}

/// <summary>timm's <c>BasicConv2d</c>: conv (no bias), bn (eps 0.001), ReLU.</summary>
public sealed class IrBasicConv : Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly BatchNorm2d bn;

    /// <summary>A convolution without bias, BatchNorm and ReLU (timm's BasicConv2d).</summary>
    public IrBasicConv(int cin, int cout, int k, int s = 1, int p = 0) : this(cin, cout, (k, k), s, (p, p)) { }

    /// <summary>A convolution without bias, BatchNorm and ReLU (timm's BasicConv2d).</summary>
    public IrBasicConv(int cin, int cout, (int H, int W) k, int s, (int H, int W) p) : base("BasicConv2d")
    {
        conv = Conv2d(cin, cout, kernel_size: (k.H, k.W), stride: (s, s), padding: (p.H, p.W), bias: false);
        bn = BatchNorm2d(cout, eps: 0.001);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return functional.relu(bn.call(conv.call(x))).MoveToOuterDisposeScope();
    }
}

internal static class IrOps
{
    public static Tensor Cat(params Tensor[] parts) => cat(parts, 1);
}

/// <summary>Mixed_5b: 96 + 64 + 96 + 64 = 320 channels.</summary>
public sealed class IrMixed5b : Module<Tensor, Tensor>
{
    private readonly IrBasicConv branch0;
    private readonly Sequential branch1, branch2, branch3;

    /// <summary>Inception-ResNet-v2's Mixed_5b block (timm's key names).</summary>
    public IrMixed5b() : base("Mixed_5b")
    {
        branch0 = new IrBasicConv(192, 96, 1);
        branch1 = Sequential(new IrBasicConv(192, 48, 1), new IrBasicConv(48, 64, 5, 1, 2));
        branch2 = Sequential(new IrBasicConv(192, 64, 1), new IrBasicConv(64, 96, 3, 1, 1), new IrBasicConv(96, 96, 3, 1, 1));
        branch3 = Sequential(AvgPool2d(kernel_size: 3, stride: 1, padding: 1, count_include_pad: false), new IrBasicConv(192, 64, 1));
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return IrOps.Cat(branch0.call(x), branch1.call(x), branch2.call(x), branch3.call(x)).MoveToOuterDisposeScope();
    }
}

/// <summary>Block35 (35x35 grid in the paper): residual of three branches, scaled, ReLU.</summary>
public sealed class IrBlock35 : Module<Tensor, Tensor>
{
    private readonly IrBasicConv branch0;
    private readonly Sequential branch1, branch2;
    private readonly Conv2d conv2d;
    private readonly double _scale;

    /// <summary>Inception-ResNet-v2's Block35 (Inception-ResNet-A): branches concatenated, projected, scaled and added to the input.</summary>
    public IrBlock35(double scale) : base("Block35")
    {
        _scale = scale;
        branch0 = new IrBasicConv(320, 32, 1);
        branch1 = Sequential(new IrBasicConv(320, 32, 1), new IrBasicConv(32, 32, 3, 1, 1));
        branch2 = Sequential(new IrBasicConv(320, 32, 1), new IrBasicConv(32, 48, 3, 1, 1), new IrBasicConv(48, 64, 3, 1, 1));
        conv2d = Conv2d(128, 320, kernel_size: 1, padding: 0L);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var o = conv2d.call(IrOps.Cat(branch0.call(x), branch1.call(x), branch2.call(x)));
        return functional.relu(o.mul_(_scale).add_(x)).MoveToOuterDisposeScope();
    }
}

/// <summary>Mixed_6a (reduction to stride 16): 384 + 384 + 320 = 1088 channels.</summary>
public sealed class IrMixed6a : Module<Tensor, Tensor>
{
    private readonly IrBasicConv branch0;
    private readonly Sequential branch1;
    private readonly MaxPool2d branch2;

    /// <summary>Inception-ResNet-v2's Mixed_6a reduction block.</summary>
    public IrMixed6a(int p) : base("Mixed_6a")
    {
        branch0 = new IrBasicConv(320, 384, 3, 2, p);
        branch1 = Sequential(new IrBasicConv(320, 256, 1), new IrBasicConv(256, 256, 3, 1, 1), new IrBasicConv(256, 384, 3, 2, p));
        branch2 = MaxPool2d(kernel_size: 3, stride: 2, padding: p);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return IrOps.Cat(branch0.call(x), branch1.call(x), branch2.call(x)).MoveToOuterDisposeScope();
    }
}

/// <summary>Block17: 1x7 / 7x1 factorised branch, residual scaled, ReLU.</summary>
public sealed class IrBlock17 : Module<Tensor, Tensor>
{
    private readonly IrBasicConv branch0;
    private readonly Sequential branch1;
    private readonly Conv2d conv2d;
    private readonly double _scale;

    /// <summary>Inception-ResNet-v2's Block17 (Inception-ResNet-B): branches concatenated, projected, scaled and added to the input.</summary>
    public IrBlock17(double scale) : base("Block17")
    {
        _scale = scale;
        branch0 = new IrBasicConv(1088, 192, 1);
        branch1 = Sequential(new IrBasicConv(1088, 128, 1), new IrBasicConv(128, 160, (1, 7), 1, (0, 3)), new IrBasicConv(160, 192, (7, 1), 1, (3, 0)));
        conv2d = Conv2d(384, 1088, kernel_size: 1, padding: 0L);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var o = conv2d.call(IrOps.Cat(branch0.call(x), branch1.call(x)));
        return functional.relu(o.mul_(_scale).add_(x)).MoveToOuterDisposeScope();
    }
}

/// <summary>Mixed_7a (reduction to stride 32): 384 + 288 + 320 + 1088 = 2080 channels.</summary>
public sealed class IrMixed7a : Module<Tensor, Tensor>
{
    private readonly Sequential branch0, branch1, branch2;
    private readonly MaxPool2d branch3;

    /// <summary>Inception-ResNet-v2's Mixed_7a reduction block.</summary>
    public IrMixed7a(int p) : base("Mixed_7a")
    {
        branch0 = Sequential(new IrBasicConv(1088, 256, 1), new IrBasicConv(256, 384, 3, 2, p));
        branch1 = Sequential(new IrBasicConv(1088, 256, 1), new IrBasicConv(256, 288, 3, 2, p));
        branch2 = Sequential(new IrBasicConv(1088, 256, 1), new IrBasicConv(256, 288, 3, 1, 1), new IrBasicConv(288, 320, 3, 2, p));
        branch3 = MaxPool2d(kernel_size: 3, stride: 2, padding: p);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return IrOps.Cat(branch0.call(x), branch1.call(x), branch2.call(x), branch3.call(x)).MoveToOuterDisposeScope();
    }
}

/// <summary>Block8: 1x3 / 3x1 factorised branch, residual scaled, ReLU unless it is the last block.</summary>
public sealed class IrBlock8 : Module<Tensor, Tensor>
{
    private readonly IrBasicConv branch0;
    private readonly Sequential branch1;
    private readonly Conv2d conv2d;
    private readonly double _scale;
    private readonly bool _noRelu;

    /// <summary>Inception-ResNet-v2's Block8 (Inception-ResNet-C), optionally without the final ReLU.</summary>
    public IrBlock8(double scale, bool noRelu) : base("Block8")
    {
        _scale = scale;
        _noRelu = noRelu;
        branch0 = new IrBasicConv(2080, 192, 1);
        branch1 = Sequential(new IrBasicConv(2080, 192, 1), new IrBasicConv(192, 224, (1, 3), 1, (0, 1)), new IrBasicConv(224, 256, (3, 1), 1, (1, 0)));
        conv2d = Conv2d(448, 2080, kernel_size: 1, padding: 0L);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var o = conv2d.call(IrOps.Cat(branch0.call(x), branch1.call(x))).mul_(_scale).add_(x);
        return (_noRelu ? o : functional.relu(o)).MoveToOuterDisposeScope();
    }
}
