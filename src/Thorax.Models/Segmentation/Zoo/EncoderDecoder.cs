using Thorax.Models.Encoders;
using Thorax.Models.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Segmentation.Zoo;

/// <summary>
/// A segmentation network as segmentation_models composes it: <c>encoder</c> (any <see cref="IFeatureEncoder"/>, its
/// own key names below <c>encoder.</c>), <c>decoder</c> (a <see cref="FeatureDecoder"/>) and <c>segmentation_head</c>
/// (<c>segmentation_head.0</c> = Conv3x3 with bias to the classes, then bilinear upsampling by the decoder's output
/// stride as segmentation_models' <c>UpsamplingBilinear2d</c>). Logits [N, classes, H, W]; when the encoder's maps are
/// not exactly input/stride (unpadded reference stems) the logits are resized bilinearly to the input size.
/// Optionally a <c>classification_head</c> on the deepest map, as segmentation_models' <c>aux_params</c>
/// (<c>classification_head.3.weight</c>: global average pool, flatten, dropout, linear; no activation), read with
/// <see cref="ForwardWithLabels"/>.
/// </summary>
public sealed class EncoderDecoder : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> encoder;
    private readonly FeatureDecoder decoder;
    private readonly Sequential segmentation_head;
    private readonly Sequential? classification_head;

    /// <param name="encoder">The encoder module (must implement <see cref="IFeatureEncoder"/>).</param>
    /// <param name="decoder">The decoder, built for that encoder's channels.</param>
    /// <param name="classes">Output channels.</param>
    /// <param name="name">Module name.</param>
    /// <param name="auxClasses">Outputs of the auxiliary classification head (0: none).</param>
    /// <param name="auxDropout">Dropout of the auxiliary head (training only).</param>
    public EncoderDecoder(Module<Tensor, Tensor> encoder, FeatureDecoder decoder, int classes, string name = "EncoderDecoder", int auxClasses = 0,
        double auxDropout = 0) : base(name)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(decoder);
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes));
        if (encoder is not IFeatureEncoder) throw new ArgumentException($"{encoder.GetName()} does not implement IFeatureEncoder", nameof(encoder));
        this.encoder = encoder;
        this.decoder = decoder;
        Classes = classes;
        segmentation_head = Sequential(Conv2d(decoder.OutChannels, classes, kernel_size: 3, padding: 1));
        if (auxClasses < 0) throw new ArgumentOutOfRangeException(nameof(auxClasses));
        if (auxDropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(auxDropout));
        if (auxClasses > 0)
            classification_head = Sequential(AdaptiveAvgPool2d(1), Flatten(), Dropout(auxDropout),
                Linear(((IFeatureEncoder)encoder).FeatureChannels[^1], auxClasses));
        AuxClasses = auxClasses;
        RegisterComponents();
        ConvolutionLayout.UseChannelsLast(this);
    }

    /// <summary>Channels of the segmentation output (one logit map per class).</summary>
    public int Classes { get; }

    /// <summary>Outputs of the auxiliary classification head (0: none).</summary>
    public int AuxClasses { get; }

    /// <summary>The encoder (also an <see cref="IFeatureEncoder"/>).</summary>
    public Module<Tensor, Tensor> Encoder => encoder;

    /// <summary>The decoder.</summary>
    public FeatureDecoder Decoder => decoder;

    /// <summary>The encoder's maps as the decoder takes them (with the stride-2 map when both want/offer it).</summary>
    public Tensor[] EncoderFeatures(Tensor input) =>
        decoder.WantsStem && encoder is IStemFeatureEncoder s ? s.forward_features_with_stem(input) : ((IFeatureEncoder)encoder).forward_features(input);

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return Run(input, EncoderFeatures(input)).MoveToOuterDisposeScope();
    }

    /// <summary>Mask logits and the auxiliary head's logits [N, auxClasses] from one encoder pass.</summary>
    /// <exception cref="InvalidOperationException">The network has no auxiliary head.</exception>
    public (Tensor Masks, Tensor Labels) ForwardWithLabels(Tensor input)
    {
        if (classification_head is null) throw new InvalidOperationException($"{GetName()} has no classification head (auxClasses 0)");
        using var scope = NewDisposeScope();
        var feats = EncoderFeatures(input);
        var labels = classification_head.call(feats[^1]);
        var masks = Run(input, feats);
        scope.MoveToOuter(labels);
        scope.MoveToOuter(masks);
        return (masks, labels);
    }

    private Tensor Run(Tensor input, Tensor[] feats)
    {
        var y = segmentation_head.call(decoder.call(feats));
        if (decoder.OutputStride > 1)
            y = functional.interpolate(y, scale_factor: [decoder.OutputStride, decoder.OutputStride], mode: InterpolationMode.Bilinear, align_corners: true);
        if (y.shape[2] != input.shape[2] || y.shape[3] != input.shape[3])
            y = functional.interpolate(y, size: [input.shape[2], input.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
        return y;
    }
}
