using Thorax.Models.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Encoders;

/// <summary>
/// Channel widths of an <see cref="Xception"/>: the two stem convolutions, the three entry-flow blocks, the middle
/// flow (width and block count) and the exit flow (block 12, conv3, conv4).
/// </summary>
public sealed record XceptionWidths(int Stem1, int Stem2, int Entry1, int Entry2, int Entry3, int MiddleBlocks, int Exit, int Conv3, int Conv4)
{
    /// <summary>Xception as published (Chollet 2017) and in timm's <c>legacy_xception</c>: 32, 64, 128, 256, 728, 8
    /// middle blocks, 1024, 1536, 2048.</summary>
    public static XceptionWidths Standard { get; } = new(32, 64, 128, 256, 728, 8, 1024, 1536, 2048);
}

/// <summary>
/// Xception (Chollet 2017) with timm's <c>legacy_xception</c> state-dict key names (<c>conv1.weight</c>,
/// <c>bn1.running_mean</c>, <c>block1.rep.0.conv1.weight</c> (depthwise), <c>block1.rep.0.pointwise.weight</c>,
/// <c>block1.skip.weight</c>, <c>block1.skipbn.*</c>, <c>conv3.conv1.weight</c>, <c>bn4.*</c>, <c>fc.weight</c>), which
/// are also Cadene's <c>pretrainedmodels</c> keys with <c>last_linear</c> renamed <c>fc</c>. 22.86 M parameters with the
/// 1000-class head. Feature taps as timm's <c>feature_info</c>: ReLU(block1) at stride 4 (128 channels), ReLU(block2) at
/// 8 (256), ReLU(block11) at 16 (728), act4 at 32 (2048); act2 at stride 2 (64) for decoders that want it.
/// </summary>
/// <remarks>
/// The stem convolutions of the reference are unpadded, so a 64-pixel input gives 31/29-pixel stem maps and taps of 15,
/// 8, 4, 2 pixels. <c>samePadding</c> pads them by 1 (segmentation_models' correction for its U-Net), which makes every
/// tap exactly input/stride; key names and shapes are the same either way.
/// </remarks>
public sealed class Xception : Module<Tensor, Tensor>, IStemFeatureEncoder
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly ReLU act1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly ReLU act2;
    private readonly XceptionBlock[] _blocks;
    private readonly SeparableConv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly ReLU act3;
    private readonly SeparableConv2d conv4;
    private readonly BatchNorm2d bn4;
    private readonly ReLU act4;
    private readonly Linear? fc;

    /// <param name="inChans">Input channels (1 or 3).</param>
    /// <param name="numClasses">Classifier outputs; 0 for no <c>fc</c> (forward returns pooled features).</param>
    /// <param name="dropRate">Dropout before <c>fc</c> (training only).</param>
    /// <param name="widths">Channel widths (null: <see cref="XceptionWidths.Standard"/>).</param>
    /// <param name="samePadding">Pad the stem convolutions by 1 (stride-exact taps; see remarks).</param>
    public Xception(int inChans = 3, int numClasses = 1000, double dropRate = 0, XceptionWidths? widths = null, bool samePadding = false)
        : base("xception")
    {
        if (inChans < 1) throw new ArgumentOutOfRangeException(nameof(inChans));
        if (numClasses < 0) throw new ArgumentOutOfRangeException(nameof(numClasses));
        if (dropRate is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(dropRate));
        var w = widths ?? XceptionWidths.Standard;
        if (w.MiddleBlocks < 1) throw new ArgumentException("Xception needs at least one middle-flow block", nameof(widths));
        InChans = inChans;
        NumClasses = numClasses;
        DropRate = dropRate;
        Widths = w;
        SamePadding = samePadding;
        var p = samePadding ? 1L : 0L;

        conv1 = Conv2d(inChans, w.Stem1, kernel_size: 3, stride: 2, padding: p, bias: false);
        bn1 = BatchNorm2d(w.Stem1);
        act1 = ReLU(inplace: true);
        conv2 = Conv2d(w.Stem1, w.Stem2, kernel_size: 3, stride: 1, padding: p, bias: false);
        bn2 = BatchNorm2d(w.Stem2);
        act2 = ReLU(inplace: true);

        var blocks = new List<XceptionBlock>
        {
            new(w.Stem2, w.Entry1, 2, 2, startWithRelu: false),
            new(w.Entry1, w.Entry2, 2, 2),
            new(w.Entry2, w.Entry3, 2, 2),
        };
        for (var i = 0; i < w.MiddleBlocks; i++) blocks.Add(new XceptionBlock(w.Entry3, w.Entry3, 3, 1));
        blocks.Add(new XceptionBlock(w.Entry3, w.Exit, 2, 2, growFirst: false));
        _blocks = blocks.ToArray();

        conv3 = new SeparableConv2d(w.Exit, w.Conv3, 3, 1, 1);
        bn3 = BatchNorm2d(w.Conv3);
        act3 = ReLU(inplace: true);
        conv4 = new SeparableConv2d(w.Conv3, w.Conv4, 3, 1, 1);
        bn4 = BatchNorm2d(w.Conv4);
        act4 = ReLU(inplace: true);
        if (numClasses > 0) fc = Linear(w.Conv4, numClasses);

        // Registration in timm's order: conv1, bn1, act1, conv2, bn2, act2, block1..blockN, conv3, ..., fc.
        register_module("conv1", conv1);
        register_module("bn1", bn1);
        register_module("act1", act1);
        register_module("conv2", conv2);
        register_module("bn2", bn2);
        register_module("act2", act2);
        for (var i = 0; i < _blocks.Length; i++) register_module($"block{i + 1}", _blocks[i]);
        register_module("conv3", conv3);
        register_module("bn3", bn3);
        register_module("act3", act3);
        register_module("conv4", conv4);
        register_module("bn4", bn4);
        register_module("act4", act4);
        if (fc is not null) register_module("fc", fc);

        FeatureChannels = [w.Entry1, w.Entry2, w.Entry3, w.Conv4];
        EncoderInit.KaimingConvUnitNorm(this);
        ConvolutionLayout.UseChannelsLast(this);
    }

    /// <summary>timm <c>legacy_xception</c> at the standard widths.</summary>
    public static Xception Create(int inChans = 3, int numClasses = 1000, double dropRate = 0, bool samePadding = false) =>
        new(inChans, numClasses, dropRate, null, samePadding);

    /// <inheritdoc/>
    public int InChans { get; }
    /// <summary>Outputs of the classifier head (0: no head).</summary>
    public int NumClasses { get; }
    /// <summary>Dropout rate before the classifier head.</summary>
    public double DropRate { get; }
    /// <summary>The channel widths the network was built with.</summary>
    public XceptionWidths Widths { get; }
    /// <summary>True for TensorFlow-style 'same' padding computed from the input size (as the TF-ported weights expect).</summary>
    public bool SamePadding { get; }
    /// <inheritdoc/>
    public IReadOnlyList<int> FeatureChannels { get; }
    /// <inheritdoc/>
    public IReadOnlyList<int> FeatureStrides { get; } = [4, 8, 16, 32];
    /// <inheritdoc/>
    public int StemChannels => Widths.Stem2;

    /// <summary>Channels of the pooled features (the input of <c>fc</c>).</summary>
    /// <summary>Channels of the pooled features the classifier head reads.</summary>
    public int NumFeatures => Widths.Conv4;

    /// <summary>Key of the first convolution (adapted by the input-channel rule when loading 3-channel weights).</summary>
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
        var outs = Run(input, taps: true);
        foreach (var t in outs) scope.MoveToOuter(t);
        return outs;
    }

    /// <summary>Logits [N, numClasses] (pooled features [N, C] without a classifier): global average pool, dropout, fc.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = Run(input, taps: false)[0];
        return EncoderInit.PoolAndClassify(x, fc, DropRate, training).MoveToOuterDisposeScope();
    }

    private Tensor[] Run(Tensor input, bool taps)
    {
        EncoderInit.CheckInput(input, InChans);
        var x = act1.call(bn1.call(conv1.call(input)));
        var stem = act2.call(bn2.call(conv2.call(x)));
        x = stem;
        var outs = new List<Tensor> { stem };
        var middleEnd = _blocks.Length - 1; // block12 (the exit block) follows the last middle block
        for (var i = 0; i < _blocks.Length; i++)
        {
            x = _blocks[i].call(x);
            if (taps && (i == 0 || i == 1 || i == middleEnd - 1)) outs.Add(functional.relu(x));
        }
        x = act3.call(bn3.call(conv3.call(x)));
        x = act4.call(bn4.call(conv4.call(x)));
        if (!taps) return [x];
        outs.Add(x);
        return outs.ToArray();
    }
}

/// <summary>Depthwise separable convolution with timm/Cadene keys: <c>conv1</c> (depthwise, groups = in channels, no
/// bias) then <c>pointwise</c> (1x1, no bias).</summary>
public sealed class SeparableConv2d : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly Conv2d pointwise;

    /// <summary>A depthwise convolution followed by a pointwise (1x1) convolution.</summary>
    public SeparableConv2d(int inChannels, int outChannels, int kernelSize = 1, int stride = 1, int padding = 0, int dilation = 1)
        : base("SeparableConv2d")
    {
        conv1 = Conv2d(inChannels, inChannels, kernel_size: kernelSize, stride: stride, padding: padding, dilation: dilation, groups: inChannels, bias: false);
        pointwise = Conv2d(inChannels, outChannels, kernel_size: 1, stride: 1, padding: 0L, bias: false);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var y = conv1.call(x);
        return pointwise.call(y);
    }
}

/// <summary>An Xception block (timm <c>legacy_xception.Block</c>): <c>rep</c> = [ReLU], SeparableConv, BN repeated,
/// then a stride-2 max-pool when strided; a 1x1 <c>skip</c> + <c>skipbn</c> shortcut when the shape changes.</summary>
public sealed class XceptionBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d? skip;
    private readonly BatchNorm2d? skipbn;
    private readonly Sequential rep;

    /// <summary>An Xception block: separable convolutions with a (strided) residual connection.</summary>
    public XceptionBlock(int inChannels, int outChannels, int reps, int strides = 1, bool startWithRelu = true, bool growFirst = true)
        : base("Block")
    {
        if (outChannels != inChannels || strides != 1)
        {
            skip = Conv2d(inChannels, outChannels, kernel_size: 1, stride: strides, padding: 0L, bias: false);
            skipbn = BatchNorm2d(outChannels);
        }
        var layers = new List<Module<Tensor, Tensor>>();
        for (var i = 0; i < reps; i++)
        {
            int inc, outc;
            if (growFirst)
            {
                inc = i == 0 ? inChannels : outChannels;
                outc = outChannels;
            }
            else
            {
                inc = inChannels;
                outc = i < reps - 1 ? inChannels : outChannels;
            }
            // the first ReLU is not in place: the block input also feeds the shortcut
            layers.Add(ReLU(inplace: i > 0));
            layers.Add(new SeparableConv2d(inc, outc, 3, 1, 1));
            layers.Add(BatchNorm2d(outc));
        }
        if (!startWithRelu) layers.RemoveAt(0);
        if (strides != 1) layers.Add(MaxPool2d(kernel_size: 3, stride: strides, padding: 1));
        rep = Sequential(layers);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = rep.call(input);
        var s = skip is null ? input : skipbn!.call(skip.call(input));
        return x.add_(s).MoveToOuterDisposeScope();
    }
}
