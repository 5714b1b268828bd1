using Thorax.Models.Encoders;
using Thorax.Models.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Segmentation;

/// <summary>
/// Feature Pyramid Network for semantic segmentation (Kirillov et al.'s panoptic FPN head, as segmentation_models_pytorch
/// builds it) over any <see cref="IFeatureEncoder"/> with stride 4, 8, 16 and 32 taps. State-dict keys are
/// segmentation_models_pytorch's: the encoder's own keys under <c>encoder.</c>, <c>decoder.p5</c>,
/// <c>decoder.p{4,3,2}.skip_conv</c>, <c>decoder.seg_blocks.{i}.block.{j}.block.{0,1}</c> (3x3 convolution without bias,
/// GroupNorm(32)) and <c>segmentation_head.0</c> (1x1 convolution), so a smp FPN checkpoint of a matching encoder loads
/// by name.
/// </summary>
/// <remarks>
/// Forward: <c>p5 = conv1x1(c5)</c>; each finer level is the nearest x2 upsample of the coarser one plus a 1x1 lateral
/// convolution of the encoder map; each level goes through 3x3 conv + GroupNorm + ReLU blocks with x2 bilinear
/// (align_corners=true) upsampling until stride 4 (3, 2, 1, 0 upsamplings for p5..p2); the four maps are summed
/// (merge policy "add"), Dropout2d, then the head's 1x1 convolution and a x4 bilinear upsample (align_corners=true) give
/// logits at the input resolution. Input height and width must be multiples of 32.
/// </remarks>
public sealed class Fpn : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> encoder;
    private readonly FpnDecoder decoder;
    private readonly Sequential segmentation_head;

    /// <param name="encoder">A module implementing <see cref="IFeatureEncoder"/> with four taps at strides 4, 8, 16, 32
    /// (e.g. <see cref="ResNet"/> without a classifier); owned by the FPN from now on.</param>
    /// <param name="classes">Output channels.</param>
    /// <param name="pyramidChannels">Channels of the pyramid levels (smp default 256).</param>
    /// <param name="segmentationChannels">Channels of the segmentation blocks (smp default 128; a multiple of 32 for GroupNorm(32)).</param>
    /// <param name="dropout">Dropout2d probability after the merge (smp default 0.2).</param>
    /// <exception cref="ArgumentException">The encoder is not an <see cref="IFeatureEncoder"/>, its strides are not 4..32,
    /// or a width is invalid.</exception>
    public Fpn(Module<Tensor, Tensor> encoder, int classes = 1, int pyramidChannels = 256, int segmentationChannels = 128, double dropout = 0.2)
        : base(nameof(Fpn))
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (encoder is not IFeatureEncoder features)
            throw new ArgumentException($"the encoder ({encoder.GetType().Name}) does not implement IFeatureEncoder", nameof(encoder));
        if (!features.FeatureStrides.SequenceEqual([4, 8, 16, 32]))
            throw new ArgumentException($"FPN needs encoder taps at strides 4, 8, 16, 32; {encoder.GetType().Name} gives {string.Join(", ", features.FeatureStrides)}", nameof(encoder));
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), classes, "at least one class");
        if (pyramidChannels < 1) throw new ArgumentOutOfRangeException(nameof(pyramidChannels), pyramidChannels, "must be positive");
        if (segmentationChannels < 32 || segmentationChannels % 32 != 0)
            throw new ArgumentOutOfRangeException(nameof(segmentationChannels), segmentationChannels, "must be a positive multiple of 32 (GroupNorm with 32 groups)");
        if (dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "must be in [0, 1)");
        this.encoder = encoder;
        Classes = classes;
        PyramidChannels = pyramidChannels;
        SegmentationChannels = segmentationChannels;
        Dropout = dropout;
        decoder = new FpnDecoder(features.FeatureChannels, pyramidChannels, segmentationChannels, dropout);
        segmentation_head = Sequential(Conv2d(segmentationChannels, classes, kernel_size: 1), Upsample(scale_factor: [4.0, 4.0], mode: UpsampleMode.Bilinear, align_corners: true));
        RegisterComponents();
        // segmentation_models' initialize_decoder / initialize_head. GroupNorm's affine parameters are set explicitly:
        // TorchSharp 0.107's GroupNorm leaves them uninitialised.
        using (no_grad())
        {
            foreach (var (_, m) in decoder.named_modules())
            {
                switch (m)
                {
                    case Conv2d c:
                        init.kaiming_uniform_(c.weight, mode: init.FanInOut.FanIn, nonlinearity: init.NonlinearityType.ReLU);
                        if (c.bias is { } b) init.zeros_(b);
                        break;
                    case GroupNorm g:
                        init.ones_(g.weight);
                        init.zeros_(g.bias);
                        break;
                }
            }
            var head = (Conv2d)segmentation_head[0];
            init.xavier_uniform_(head.weight);
            init.zeros_(head.bias!);
        }
        ConvolutionLayout.UseChannelsLast(decoder);
    }

    /// <summary>The encoder (as the feature interface).</summary>
    public IFeatureEncoder Encoder => (IFeatureEncoder)encoder;

    /// <summary>The encoder module.</summary>
    public Module<Tensor, Tensor> EncoderModule => encoder;

    /// <summary>Output channels.</summary>
    public int Classes { get; }

    /// <summary>Pyramid channels.</summary>
    public int PyramidChannels { get; }

    /// <summary>Segmentation-block channels.</summary>
    public int SegmentationChannels { get; }

    /// <summary>Dropout2d probability after the merge.</summary>
    public double Dropout { get; }

    /// <summary>Logits [N, classes, H, W] for input [N, InChans, H, W] with H and W multiples of 32.</summary>
    /// <exception cref="ArgumentException">The input is not 4-D or its size is not a multiple of 32.</exception>
    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 4 || input.shape[2] % 32 != 0 || input.shape[3] % 32 != 0)
            throw new ArgumentException($"FPN input must be [N, C, H, W] with H and W multiples of 32, got [{string.Join(", ", input.shape)}]", nameof(input));
        using var scope = NewDisposeScope();
        var feats = ((IFeatureEncoder)encoder).forward_features(input);
        var x = decoder.Forward(feats[^4], feats[^3], feats[^2], feats[^1]);
        return segmentation_head.call(x).MoveToOuterDisposeScope();
    }
}

/// <summary>The FPN decoder (<c>decoder.*</c> keys): top-down pyramid, segmentation blocks, sum, Dropout2d.</summary>
public sealed class FpnDecoder : Module<Tensor, Tensor>
{
    private readonly Conv2d p5;
    private readonly FpnBlock p4;
    private readonly FpnBlock p3;
    private readonly FpnBlock p2;
    private readonly ModuleList<FpnSegmentationBlock> seg_blocks;
    private readonly Dropout2d dropout;

    /// <param name="encoderChannels">Channels of the stride 4, 8, 16, 32 maps (shallowest first; the last four are used).</param>
    /// <param name="pyramidChannels">Pyramid channels.</param>
    /// <param name="segmentationChannels">Segmentation-block channels.</param>
    /// <param name="dropoutP">Dropout2d probability.</param>
    public FpnDecoder(IReadOnlyList<int> encoderChannels, int pyramidChannels, int segmentationChannels, double dropoutP) : base(nameof(FpnDecoder))
    {
        if (encoderChannels.Count < 4) throw new ArgumentException("need four encoder maps (strides 4..32)", nameof(encoderChannels));
        var c = encoderChannels.Skip(encoderChannels.Count - 4).ToArray();
        p5 = Conv2d(c[3], pyramidChannels, kernel_size: 1);
        p4 = new FpnBlock(pyramidChannels, c[2]);
        p3 = new FpnBlock(pyramidChannels, c[1]);
        p2 = new FpnBlock(pyramidChannels, c[0]);
        seg_blocks = new ModuleList<FpnSegmentationBlock>(new[] { 3, 2, 1, 0 }.Select(n => new FpnSegmentationBlock(pyramidChannels, segmentationChannels, n)).ToArray());
        dropout = Dropout2d(dropoutP);
        RegisterComponents();
    }

    /// <summary>The merged stride-4 map [N, segmentationChannels, H/4, W/4].</summary>
    public Tensor Forward(Tensor c2, Tensor c3, Tensor c4, Tensor c5)
    {
        using var scope = NewDisposeScope();
        var l5 = p5.call(c5);
        var l4 = p4.Forward(l5, c4);
        var l3 = p3.Forward(l4, c3);
        var l2 = p2.Forward(l3, c2);
        var levels = new[] { l5, l4, l3, l2 };
        Tensor? sum = null;
        for (var i = 0; i < 4; i++)
        {
            var y = seg_blocks[i].call(levels[i]);
            sum = sum is null ? y : sum + y;
        }
        return dropout.call(sum!).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => throw new InvalidOperationException("FpnDecoder needs the four encoder maps; call Forward(c2, c3, c4, c5)");
}

/// <summary>One top-down step (<c>skip_conv</c>): nearest x2 of the coarser level plus a 1x1 lateral convolution.</summary>
public sealed class FpnBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d skip_conv;

    /// <summary>An FPN top-down step: upsample the coarser map and add the lateral 1x1 projection of the skip map.</summary>
    public FpnBlock(int pyramidChannels, int skipChannels) : base(nameof(FpnBlock))
    {
        skip_conv = Conv2d(skipChannels, pyramidChannels, kernel_size: 1);
        RegisterComponents();
    }

    /// <summary><c>nearest_x2(x) + skip_conv(skip)</c>.</summary>
    public Tensor Forward(Tensor x, Tensor skip)
    {
        using var scope = NewDisposeScope();
        var up = functional.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        return (up + skip_conv.call(skip)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => throw new InvalidOperationException("FpnBlock needs the skip map; call Forward(x, skip)");
}

/// <summary>Conv3x3GNReLU blocks (<c>block.{j}.block.{0,1}</c>) taking a pyramid level to stride 4.</summary>
public sealed class FpnSegmentationBlock : Module<Tensor, Tensor>
{
    private readonly Sequential block;

    /// <summary>An FPN segmentation branch: 3x3 convolution, GroupNorm and ReLU stages, each upsampling by two.</summary>
    public FpnSegmentationBlock(int inChannels, int outChannels, int upsamples) : base(nameof(FpnSegmentationBlock))
    {
        var blocks = new List<Module<Tensor, Tensor>> { new FpnConvGnRelu(inChannels, outChannels, upsamples > 0) };
        for (var i = 1; i < upsamples; i++) blocks.Add(new FpnConvGnRelu(outChannels, outChannels, true));
        block = Sequential(blocks);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => block.call(input);
}

/// <summary>3x3 convolution (no bias), GroupNorm(32), ReLU, then x2 bilinear (align_corners=true) when upsampling.</summary>
public sealed class FpnConvGnRelu : Module<Tensor, Tensor>
{
    private readonly Sequential block;
    private readonly bool _upsample;

    /// <summary>A 3x3 convolution, GroupNorm and ReLU, optionally followed by a 2x upsampling.</summary>
    public FpnConvGnRelu(int inChannels, int outChannels, bool upsample) : base(nameof(FpnConvGnRelu))
    {
        block = Sequential(Conv2d(inChannels, outChannels, kernel_size: 3, padding: 1, bias: false), GroupNorm(32, outChannels), ReLU(inplace: true));
        _upsample = upsample;
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        if (!_upsample) return block.call(input);
        using var scope = NewDisposeScope();
        var y = block.call(input);
        return functional.interpolate(y, scale_factor: [2.0, 2.0], mode: InterpolationMode.Bilinear, align_corners: true).MoveToOuterDisposeScope();
    }
}
