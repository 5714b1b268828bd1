using static TorchSharp.torch;

namespace Thorax.Models.Encoders;

/// <summary>
/// An <see cref="IFeatureEncoder"/> that can also give its stride-2 map (the stem's output before the first
/// down-sampling to stride 4), as segmentation_models' encoders do for the highest-resolution skip of a U-Net decoder.
/// Decoders use it when the encoder offers it and fall back to <see cref="IFeatureEncoder.forward_features"/>
/// otherwise.
/// </summary>
public interface IStemFeatureEncoder : IFeatureEncoder
{
    /// <summary>Channels of the stride-2 map.</summary>
    int StemChannels { get; }

    /// <summary>The stride-2 map followed by the <see cref="IFeatureEncoder.forward_features"/> maps (strides 2, 4, 8,
    /// 16, 32); the caller owns them.</summary>
    Tensor[] forward_features_with_stem(Tensor input);
}
