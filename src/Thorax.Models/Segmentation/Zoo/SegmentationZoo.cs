using Thorax.Models.Encoders;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Segmentation.Zoo;

/// <summary>What a decoder factory of <see cref="SegmentationZoo"/> is asked to build.</summary>
/// <param name="Encoder">Zoo encoder name (<see cref="EncoderZoo.Names"/>).</param>
/// <param name="InChans">Input channels.</param>
/// <param name="Classes">Output channels.</param>
/// <param name="DecoderChannels">Decoder widths (null: the decoder's default).</param>
/// <param name="SamePadding">Stride-exact padding for Xception / Inception-ResNet-v2 (default true for segmentation).</param>
/// <param name="AuxClasses">Outputs of an auxiliary classification head on the deepest encoder map (segmentation_models'
/// <c>aux_params</c>; 0: none).</param>
/// <param name="AuxDropout">Dropout of that head.</param>
public sealed record SegmentationRequest(string Encoder, int InChans = 3, int Classes = 1, IReadOnlyList<int>? DecoderChannels = null, bool SamePadding = true,
    int AuxClasses = 0, double AuxDropout = 0);

/// <summary>
/// Segmentation networks by encoder and decoder name, as segmentation_models' <c>Unet(encoder_name, in_channels,
/// classes)</c>. Decoders are registered by name (<see cref="Register"/>), so a new one (e.g. an FPN) plugs in without
/// changing this class: built in are <c>unet</c>, <c>scse-unet</c> (U-Net with SCSE attention) and <c>fpn</c> over any zoo
/// encoder, and <c>albunet</c> (SIIM first place; ResNet-34 only).
/// </summary>
public static class SegmentationZoo
{
    private static readonly object Gate = new();
    private static readonly Dictionary<string, (string Description, Func<SegmentationRequest, Module<Tensor, Tensor>> Factory)> Registry =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["unet"] = ("segmentation_models Unet decoder (keys decoder.blocks.N.*, segmentation_head.0.*)", r => Build(r, "unet", fe => new UnetDecoder(EncoderChannels(fe, withStem: true), r.DecoderChannels))),
            ["scse-unet"] = ("segmentation_models Unet decoder with decoder_attention_type='scse'", r => Build(r, "scse-unet", fe => new UnetDecoder(EncoderChannels(fe, withStem: true), r.DecoderChannels, scse: true))),
            ["albunet"] = ("AlbuNet, SIIM-ACR first place (TernausNet keys; encoder resnet34 only)", r =>
            {
                if (!string.Equals(EncoderZoo.Spec(r.Encoder).Name, "resnet34", StringComparison.Ordinal))
                    throw new ArgumentException($"albunet is defined on resnet34 only, not '{r.Encoder}'");
                if (r.AuxClasses != 0) throw new ArgumentException("albunet has no auxiliary classification head");
                if (r.DecoderChannels is { Count: not 1 })
                    throw new ArgumentException("albunet takes one decoder width (num_filters, default 32)");
                return new AlbuNet(r.Classes, r.DecoderChannels?[0] ?? 32, r.InChans);
            }),
            ["fpn"] = ("segmentation_models FPN decoder, the pneumothorax cascade's segmenter (keys encoder.*, decoder.p5/p4/..., decoder.seg_blocks.*, segmentation_head.0.*; output upsampled x4)", r =>
            {
                if (r.AuxClasses != 0) throw new ArgumentException("fpn has no auxiliary classification head here");
                if (r.DecoderChannels is { Count: not 2 })
                    throw new ArgumentException("fpn takes two decoder widths: pyramid and segmentation channels (default 256,128)");
                var encoder = EncoderZoo.Create(r.Encoder, r.InChans, numClasses: 0, dropRate: 0, samePadding: r.SamePadding);
                return new Fpn(encoder, r.Classes, r.DecoderChannels?[0] ?? 256, r.DecoderChannels?[1] ?? 128);
            }),
        };

    /// <summary>Registered decoder names.</summary>
    public static IReadOnlyList<string> DecoderNames
    {
        get { lock (Gate) return Registry.Keys.ToArray(); }
    }

    /// <summary>One line describing a registered decoder.</summary>
    public static string Describe(string decoder)
    {
        lock (Gate) return Registry.TryGetValue(decoder, out var e) ? e.Description : throw Unknown(decoder);
    }

    /// <summary>Registers (or replaces) a decoder under <paramref name="name"/>.</summary>
    /// <param name="name">Decoder name, e.g. <c>fpn</c>.</param>
    /// <param name="description">One line for listings.</param>
    /// <param name="factory">Builds the whole network for a request; <see cref="Build"/> composes an
    /// <see cref="EncoderDecoder"/> from a <see cref="FeatureDecoder"/> factory.</param>
    public static void Register(string name, string description, Func<SegmentationRequest, Module<Tensor, Tensor>> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        lock (Gate) Registry[name.Trim()] = (description ?? "", factory);
    }

    /// <summary>A freshly initialised network (training mode): logits [N, classes, H, W] for [N, inChans, H, W].</summary>
    /// <exception cref="ArgumentException">Unknown encoder or decoder (the message lists the valid names).</exception>
    public static Module<Tensor, Tensor> Create(string encoder, string decoder, int inChans = 3, int classes = 1, IReadOnlyList<int>? decoderChannels = null) =>
        Create(decoder, new SegmentationRequest(encoder, inChans, classes, decoderChannels));

    /// <summary>A freshly initialised network for a request.</summary>
    public static Module<Tensor, Tensor> Create(string decoder, SegmentationRequest request)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(request);
        if (request.InChans < 1) throw new ArgumentException($"in_chans must be positive, got {request.InChans}");
        if (request.Classes < 1) throw new ArgumentException($"classes must be positive, got {request.Classes}");
        EncoderZoo.Spec(request.Encoder); // a clear error for an unknown encoder first
        Func<SegmentationRequest, Module<Tensor, Tensor>> f;
        lock (Gate) f = Registry.TryGetValue(decoder.Trim(), out var e) ? e.Factory : throw Unknown(decoder);
        return f(request);
    }

    /// <summary>
    /// An <see cref="EncoderDecoder"/>: the request's zoo encoder without classifier, and the decoder made for it
    /// (see <see cref="EncoderChannels"/> for the channels it will be given).
    /// </summary>
    /// <param name="r">The request.</param>
    /// <param name="decoderName">Used in the module name.</param>
    /// <param name="decoder">Builds the decoder for the encoder.</param>
    public static EncoderDecoder Build(SegmentationRequest r, string decoderName, Func<IFeatureEncoder, FeatureDecoder> decoder)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(decoder);
        var enc = EncoderZoo.Create(r.Encoder, new EncoderOptions(r.InChans, 0, 0, r.SamePadding));
        try
        {
            return new EncoderDecoder(enc, decoder((IFeatureEncoder)enc), r.Classes, $"{EncoderZoo.Spec(r.Encoder).Name}-{decoderName}", r.AuxClasses, r.AuxDropout);
        }
        catch
        {
            enc.Dispose();
            throw;
        }
    }

    /// <summary>The channels of the maps an <see cref="EncoderDecoder"/> passes to its decoder, shallowest first: the
    /// stride-2 map's first when <paramref name="withStem"/> and the encoder is an <see cref="IStemFeatureEncoder"/>.</summary>
    public static IReadOnlyList<int> EncoderChannels(IFeatureEncoder encoder, bool withStem) =>
        withStem && encoder is IStemFeatureEncoder s ? [s.StemChannels, .. encoder.FeatureChannels] : encoder.FeatureChannels;

    private static ArgumentException Unknown(string decoder)
    {
        lock (Gate) return new ArgumentException($"unknown decoder '{decoder}'; valid names: {string.Join(", ", Registry.Keys)}", nameof(decoder));
    }
}
