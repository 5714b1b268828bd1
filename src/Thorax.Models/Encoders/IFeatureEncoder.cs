using static TorchSharp.torch;

namespace Thorax.Models.Encoders;

/// <summary>
/// A backbone that gives a pyramid of feature maps for a decoder (FPN, U-Net) or a classification head, as
/// segmentation_models' encoders do. Implemented by TorchSharp modules whose state-dict keys are those of the zoo their
/// weights come from (torchvision, timm), so decoders compose with any of them.
/// </summary>
public interface IFeatureEncoder
{
    /// <summary>Input channels (1 for grey radiographs, 3 for RGB).</summary>
    int InChans { get; }

    /// <summary>Channels of the maps <see cref="forward_features"/> returns, shallowest first.</summary>
    IReadOnlyList<int> FeatureChannels { get; }

    /// <summary>Strides (input pixels per map pixel) of those maps, shallowest first, e.g. 4, 8, 16, 32.</summary>
    IReadOnlyList<int> FeatureStrides { get; }

    /// <summary>The feature maps for a batch [N, InChans, H, W], shallowest first; the caller owns them.</summary>
    Tensor[] forward_features(Tensor input);
}
