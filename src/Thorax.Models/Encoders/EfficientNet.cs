using Thorax.Models.Runtime;
using Thorax.Models.Vig;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Encoders;

/// <summary>
/// EfficientNet (Tan and Le 2019) with timm's <c>efficientnet_b0..b4</c> key names (<c>conv_stem.weight</c>,
/// <c>bn1.*</c>, <c>blocks.0.0.conv_dw.weight</c>, <c>blocks.0.0.se.conv_reduce.weight</c>, <c>blocks.0.0.conv_pw</c>,
/// <c>blocks.1.0.conv_pw/bn1/conv_dw/bn2/se/conv_pwl/bn3</c>, <c>conv_head</c>, <c>bn2</c>, <c>classifier</c>),
/// SiLU activations, symmetric ("same" for odd kernels) padding as timm's non-<c>tf_</c> variants, width and depth
/// scaled by timm's rules (channels rounded to multiples of 8, repeats ceil(r * depth)). 5.29 M parameters for B0 with
/// the 1000-class head. Taps: ends of blocks.1, blocks.2, blocks.4, blocks.6 (strides 4..32), and the stem (stride 2,
/// as segmentation_models' timm-efficientnet encoders give it).
/// </summary>
public sealed class EfficientNet : Module<Tensor, Tensor>, IStemFeatureEncoder
{
    // (kind, repeats, kernel, stride, expansion, channels): timm's efficientnet arch_def, SE ratio 0.25 throughout.
    private static readonly (bool Ds, int R, int K, int S, int E, int C)[] ArchDef =
    [
        (true, 1, 3, 1, 1, 16), (false, 2, 3, 2, 6, 24), (false, 2, 5, 2, 6, 40), (false, 3, 3, 2, 6, 80),
        (false, 3, 5, 1, 6, 112), (false, 4, 5, 2, 6, 192), (false, 1, 3, 1, 6, 320),
    ];

    private readonly Conv2d conv_stem;
    private readonly BatchNorm2d bn1;
    private readonly Sequential blocks;
    private readonly Conv2d conv_head;
    private readonly BatchNorm2d bn2;
    private readonly Linear? classifier;

    /// <param name="widthMultiplier">Channel multiplier (B0 1.0, B1 1.0, B2 1.1, B3 1.2, B4 1.4).</param>
    /// <param name="depthMultiplier">Repeat multiplier (B0 1.0, B1 1.1, B2 1.2, B3 1.4, B4 1.8).</param>
    /// <param name="inChans">Input channels (1 or 3).</param>
    /// <param name="numClasses">Classifier outputs; 0 for no <c>classifier</c>.</param>
    /// <param name="dropRate">Dropout before the classifier (training only).</param>
    /// <param name="dropPathRate">Stochastic depth, rising linearly over the blocks to this rate (training only).</param>
    /// <param name="name">Module name.</param>
    public EfficientNet(double widthMultiplier, double depthMultiplier, int inChans = 3, int numClasses = 1000, double dropRate = 0,
        double dropPathRate = 0, string name = "efficientnet") : base(name)
    {
        if (widthMultiplier <= 0 || depthMultiplier <= 0) throw new ArgumentOutOfRangeException(nameof(widthMultiplier));
        if (inChans < 1) throw new ArgumentOutOfRangeException(nameof(inChans));
        if (numClasses < 0) throw new ArgumentOutOfRangeException(nameof(numClasses));
        if (dropRate is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(dropRate));
        if (dropPathRate is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(dropPathRate));
        InChans = inChans;
        NumClasses = numClasses;
        DropRate = dropRate;
        int Ch(int c) => SeResNeXtBottleneck.MakeDivisible(c * widthMultiplier, 8, 0.9);

        var stem = Ch(32);
        conv_stem = Conv2d(inChans, stem, kernel_size: 3, stride: 2, padding: 1, bias: false);
        bn1 = BatchNorm2d(stem);
        var repeats = ArchDef.Select(a => (int)Math.Ceiling(a.R * depthMultiplier)).ToArray();
        var total = repeats.Sum();
        var stages = new List<Module<Tensor, Tensor>>();
        var inCh = stem;
        var idx = 0;
        var stageChannels = new List<int>();
        for (var s = 0; s < ArchDef.Length; s++)
        {
            var a = ArchDef[s];
            var outCh = Ch(a.C);
            var blockList = new List<Module<Tensor, Tensor>>();
            for (var r = 0; r < repeats[s]; r++)
            {
                var stride = r == 0 ? a.S : 1;
                var dp = dropPathRate * idx / total;
                blockList.Add(a.Ds
                    ? new EfficientNetDsBlock(inCh, outCh, a.K, stride, dp)
                    : new EfficientNetIrBlock(inCh, outCh, a.K, stride, a.E, dp));
                inCh = outCh;
                idx++;
            }
            stages.Add(Sequential(blockList));
            stageChannels.Add(outCh);
        }
        blocks = Sequential(stages);
        NumFeatures = Ch(1280);
        conv_head = Conv2d(inCh, NumFeatures, kernel_size: 1, padding: 0L, bias: false);
        bn2 = BatchNorm2d(NumFeatures);
        if (numClasses > 0) classifier = Linear(NumFeatures, numClasses);
        FeatureChannels = [stageChannels[1], stageChannels[2], stageChannels[4], stageChannels[6]];
        StemChannels = stem;
        RegisterComponents();
        EncoderInit.KaimingConvUnitNorm(this);
        ConvolutionLayout.UseChannelsLast(this);
    }

    /// <summary>timm <c>efficientnet_bN</c> for N = 0..4 (width, depth): (1.0, 1.0), (1.0, 1.1), (1.1, 1.2), (1.2, 1.4), (1.4, 1.8).</summary>
    public static EfficientNet B(int n, int inChans = 3, int numClasses = 1000, double dropRate = 0, double dropPathRate = 0) => n switch
    {
        0 => new(1.0, 1.0, inChans, numClasses, dropRate, dropPathRate, "efficientnet_b0"),
        1 => new(1.0, 1.1, inChans, numClasses, dropRate, dropPathRate, "efficientnet_b1"),
        2 => new(1.1, 1.2, inChans, numClasses, dropRate, dropPathRate, "efficientnet_b2"),
        3 => new(1.2, 1.4, inChans, numClasses, dropRate, dropPathRate, "efficientnet_b3"),
        4 => new(1.4, 1.8, inChans, numClasses, dropRate, dropPathRate, "efficientnet_b4"),
        _ => throw new ArgumentOutOfRangeException(nameof(n), $"EfficientNet-B{n} is not offered (B0..B4)"),
    };

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

    /// <summary>Channels of conv_head (the classifier's input): round(1280 * width).</summary>
    public int NumFeatures { get; }

    /// <summary>Key of the first convolution.</summary>
    public const string StemConvKey = "conv_stem.weight";

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
        var x = functional.silu(bn1.call(conv_stem.call(input)));
        var outs = new List<Tensor> { x };
        var i = 0;
        foreach (var (_, stage) in blocks.named_children())
        {
            x = ((Module<Tensor, Tensor>)stage).call(x);
            if (i is 1 or 2 or 4 or 6) outs.Add(x);
            i++;
        }
        foreach (var t in outs) scope.MoveToOuter(t);
        return outs.ToArray();
    }

    /// <summary>Logits (or pooled features without a classifier): conv_head, bn2, SiLU, global average pool, dropout, classifier.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        EncoderInit.CheckInput(input, InChans);
        var x = functional.silu(bn1.call(conv_stem.call(input)));
        x = blocks.call(x);
        x = functional.silu(bn2.call(conv_head.call(x)));
        return EncoderInit.PoolAndClassify(x, classifier, DropRate, training).MoveToOuterDisposeScope();
    }
}

/// <summary>timm's <c>DepthwiseSeparableConv</c> (stage 0): conv_dw, bn1 + SiLU, se, conv_pw, bn2; identity shortcut
/// when the shape is kept.</summary>
public sealed class EfficientNetDsBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv_dw;
    private readonly BatchNorm2d bn1;
    private readonly SqueezeExcite se;
    private readonly Conv2d conv_pw;
    private readonly BatchNorm2d bn2;
    private readonly DropPath drop_path;
    private readonly bool _skip;

    /// <summary>A depthwise-separable block (EfficientNet's first stage), with timm's key names.</summary>
    public EfficientNetDsBlock(int inCh, int outCh, int kernel, int stride, double dropPath) : base("DepthwiseSeparableConv")
    {
        conv_dw = Conv2d(inCh, inCh, kernel_size: kernel, stride: stride, padding: (stride - 1 + kernel - 1) / 2, groups: inCh, bias: false);
        bn1 = BatchNorm2d(inCh);
        se = new SqueezeExcite(inCh, (int)Math.Round(inCh * 0.25, MidpointRounding.ToEven), "conv_reduce", "conv_expand", relu: false);
        conv_pw = Conv2d(inCh, outCh, kernel_size: 1, padding: 0L, bias: false);
        bn2 = BatchNorm2d(outCh);
        drop_path = new DropPath(dropPath);
        _skip = stride == 1 && inCh == outCh;
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = functional.silu(bn1.call(conv_dw.call(x)));
        y = bn2.call(conv_pw.call(se.call(y)));
        if (_skip) y = drop_path.call(y).add_(x);
        return y.MoveToOuterDisposeScope();
    }
}

/// <summary>timm's <c>InvertedResidual</c> (MBConv): conv_pw (expand), bn1 + SiLU, conv_dw, bn2 + SiLU, se (reduced
/// to round(in * 0.25) channels), conv_pwl (project), bn3; identity shortcut when the shape is kept.</summary>
public sealed class EfficientNetIrBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv_pw;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv_dw;
    private readonly BatchNorm2d bn2;
    private readonly SqueezeExcite se;
    private readonly Conv2d conv_pwl;
    private readonly BatchNorm2d bn3;
    private readonly DropPath drop_path;
    private readonly bool _skip;

    /// <summary>An inverted-residual (MBConv) block of EfficientNet, with timm's key names.</summary>
    public EfficientNetIrBlock(int inCh, int outCh, int kernel, int stride, int expansion, double dropPath) : base("InvertedResidual")
    {
        var mid = SeResNeXtBottleneck.MakeDivisible(inCh * (double)expansion, 8, 0.9); // timm: make_divisible(in * e)
        conv_pw = Conv2d(inCh, mid, kernel_size: 1, padding: 0L, bias: false);
        bn1 = BatchNorm2d(mid);
        conv_dw = Conv2d(mid, mid, kernel_size: kernel, stride: stride, padding: (stride - 1 + kernel - 1) / 2, groups: mid, bias: false);
        bn2 = BatchNorm2d(mid);
        se = new SqueezeExcite(mid, (int)Math.Round(mid * (0.25 / expansion), MidpointRounding.ToEven), "conv_reduce", "conv_expand", relu: false);
        conv_pwl = Conv2d(mid, outCh, kernel_size: 1, padding: 0L, bias: false);
        bn3 = BatchNorm2d(outCh);
        drop_path = new DropPath(dropPath);
        _skip = stride == 1 && inCh == outCh;
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = functional.silu(bn1.call(conv_pw.call(x)));
        y = functional.silu(bn2.call(conv_dw.call(y)));
        y = bn3.call(conv_pwl.call(se.call(y)));
        if (_skip) y = drop_path.call(y).add_(x);
        return y.MoveToOuterDisposeScope();
    }
}
