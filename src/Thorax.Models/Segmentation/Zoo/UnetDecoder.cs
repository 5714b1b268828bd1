using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Segmentation.Zoo;

/// <summary>
/// segmentation_models' U-Net decoder (keys <c>blocks.N.conv1.0.weight</c>, <c>blocks.N.conv1.1.*</c> (BatchNorm),
/// <c>blocks.N.conv2.*</c>, and with SCSE <c>blocks.N.attention1.attention.cSE.1.weight</c>, <c>...sSE.0.*</c>): five
/// blocks, each nearest x2 upsampling, concatenation with the encoder map of that stride (when there is one), [SCSE],
/// conv3x3-BN-ReLU twice, [SCSE]. The deepest map is the head; with a stride-2 map the last block has no skip, without
/// one the last two have none. Upsampling goes to the skip's size, which equals x2 for stride-exact encoders (as
/// segmentation_models assumes) and also fits encoders with odd map sizes.
/// </summary>
public sealed class UnetDecoder : FeatureDecoder
{
    private readonly ModuleList<UnetDecoderBlock> blocks;

    /// <param name="encoderChannels">Channels of the encoder maps, shallowest first (4 or 5 maps).</param>
    /// <param name="decoderChannels">Output channels of the five blocks (segmentation_models' default 256, 128, 64, 32, 16).</param>
    /// <param name="scse">Add SCSE attention (segmentation_models <c>decoder_attention_type="scse"</c>).</param>
    public UnetDecoder(IReadOnlyList<int> encoderChannels, IReadOnlyList<int>? decoderChannels = null, bool scse = false) : base("UnetDecoder")
    {
        ArgumentNullException.ThrowIfNull(encoderChannels);
        var dec = (decoderChannels ?? DefaultChannels).ToArray();
        if (encoderChannels.Count is < 2 or > 6) throw new ArgumentException($"expected 2..6 encoder maps, got {encoderChannels.Count}", nameof(encoderChannels));
        if (dec.Length < encoderChannels.Count - 1) throw new ArgumentException($"{dec.Length} decoder blocks cannot take {encoderChannels.Count - 1} skips", nameof(decoderChannels));
        if (dec.Any(c => c < 1)) throw new ArgumentException("decoder channels must be positive", nameof(decoderChannels));
        var enc = encoderChannels.Reverse().ToArray();
        var skips = enc.Skip(1).Concat(Enumerable.Repeat(0, dec.Length - enc.Length + 1)).ToArray();
        var ins = new[] { enc[0] }.Concat(dec[..^1]).ToArray();
        blocks = new ModuleList<UnetDecoderBlock>();
        for (var i = 0; i < dec.Length; i++) blocks.Add(new UnetDecoderBlock(ins[i], skips[i], dec[i], scse));
        register_module("blocks", blocks);
        OutChannels = dec[^1];
        Scse = scse;
        DecoderChannels = dec;
        EncoderChannels = encoderChannels.ToArray();
    }

    /// <summary>segmentation_models' default: 256, 128, 64, 32, 16.</summary>
    public static IReadOnlyList<int> DefaultChannels { get; } = [256, 128, 64, 32, 16];

    /// <summary>Output channels of the decoder blocks, deepest first.</summary>
    public IReadOnlyList<int> DecoderChannels { get; }

    /// <summary>Channels of the encoder maps the decoder was built for, shallowest first.</summary>
    public IReadOnlyList<int> EncoderChannels { get; }

    /// <summary>True when every decoder block applies scSE attention (the SCSE-U-Net).</summary>
    public bool Scse { get; }
    /// <inheritdoc/>
    public override int OutChannels { get; }
    /// <inheritdoc/>
    public override int OutputStride => 1;
    /// <summary>True when built for five maps (strides 2..32), i.e. with the encoder's stride-2 map.</summary>
    public override bool WantsStem => EncoderChannels.Count >= 5;

    /// <inheritdoc/>
    public override Tensor forward(Tensor[] features)
    {
        if (features.Length != EncoderChannels.Count)
            throw new ArgumentException($"the U-Net decoder was built for {EncoderChannels.Count} encoder maps, got {features.Length}", nameof(features));
        for (var i = 0; i < features.Length; i++)
            if (features[i].shape[1] != EncoderChannels[i])
                throw new ArgumentException($"encoder map {i} has {features[i].shape[1]} channels; the decoder was built for {EncoderChannels[i]}", nameof(features));
        using var scope = NewDisposeScope();
        var x = features[^1];
        var skips = features[..^1].Reverse().ToArray();
        for (var i = 0; i < blocks.Count; i++) x = blocks[i].Forward(x, i < skips.Length ? skips[i] : null);
        return x.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override void RegisterComponents() { }
}

/// <summary>One U-Net decoder block (segmentation_models <c>DecoderBlock</c>).</summary>
public sealed class UnetDecoderBlock : Module<Tensor, Tensor>
{
    private readonly Sequential conv1;
    private readonly DecoderAttention attention1;
    private readonly Sequential conv2;
    private readonly DecoderAttention attention2;

    /// <summary>A U-Net decoder block: upsample by two, concatenate the skip map, two 3x3 convolution-BatchNorm-ReLU layers.</summary>
    public UnetDecoderBlock(int inChannels, int skipChannels, int outChannels, bool scse) : base("DecoderBlock")
    {
        conv1 = ConvBnRelu(inChannels + skipChannels, outChannels);
        attention1 = new DecoderAttention(inChannels + skipChannels, scse);
        conv2 = ConvBnRelu(outChannels, outChannels);
        attention2 = new DecoderAttention(outChannels, scse);
        RegisterComponents();
    }

    /// <summary>segmentation_models' <c>Conv2dReLU</c> with batch norm: Conv3x3 (no bias), BatchNorm, ReLU.</summary>
    public static Sequential ConvBnRelu(int cin, int cout) =>
        Sequential(Conv2d(cin, cout, kernel_size: 3, padding: 1, bias: false), BatchNorm2d(cout), ReLU(inplace: true));

    /// <inheritdoc/>
    public override Tensor forward(Tensor x) => Forward(x, null);

    /// <summary>Upsample (to the skip's size, or x2 without one), concatenate the skip, convolve.</summary>
    public Tensor Forward(Tensor x, Tensor? skip)
    {
        using var scope = NewDisposeScope();
        if (skip is not null)
        {
            x = functional.interpolate(x, size: [skip.shape[2], skip.shape[3]], mode: InterpolationMode.Nearest);
            x = attention1.call(cat([x, skip], 1));
        }
        else x = functional.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        return attention2.call(conv2.call(conv1.call(x))).MoveToOuterDisposeScope();
    }
}

/// <summary>segmentation_models' <c>Attention</c> wrapper: child <c>attention</c> = <see cref="ScseModule"/> or identity.</summary>
public sealed class DecoderAttention : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> attention;

    /// <summary>The attention of a U-Net decoder block: scSE when enabled, otherwise the identity.</summary>
    public DecoderAttention(int channels, bool scse) : base("Attention")
    {
        attention = scse ? new ScseModule(channels) : Identity();
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x) => attention.call(x);
}

/// <summary>
/// Concurrent spatial and channel squeeze-and-excitation (Roy et al. 2018), segmentation_models' <c>SCSEModule</c>:
/// x * cSE(x) + x * sSE(x), cSE = pool, 1x1 (C/r, bias), ReLU, 1x1 (C, bias), sigmoid; sSE = 1x1 (1, bias), sigmoid.
/// </summary>
public sealed class ScseModule : Module<Tensor, Tensor>
{
    private readonly Sequential cSE;
    private readonly Sequential sSE;

    /// <summary>Concurrent spatial and channel squeeze-and-excitation (scSE).</summary>
    public ScseModule(int channels, int reduction = 16) : base("SCSEModule")
    {
        if (channels / reduction < 1)
            throw new ArgumentException($"SCSE on {channels} channels with reduction {reduction} has no hidden channels; use at least {reduction} channels", nameof(channels));
        cSE = Sequential(AdaptiveAvgPool2d(1), Conv2d(channels, channels / reduction, kernel_size: 1, padding: 0L), ReLU(inplace: true),
            Conv2d(channels / reduction, channels, kernel_size: 1, padding: 0L), Sigmoid());
        sSE = Sequential(Conv2d(channels, 1, kernel_size: 1, padding: 0L), Sigmoid());
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return x.mul(cSE.call(x)).add_(x.mul(sSE.call(x))).MoveToOuterDisposeScope();
    }
}
