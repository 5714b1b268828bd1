using static TorchSharp.torch;

namespace Thorax.Models.Segmentation.Zoo;

/// <summary>
/// A decoder over an encoder's feature pyramid (<see cref="Encoders.IFeatureEncoder"/>), registered under the key
/// prefix <c>decoder.</c> of an <see cref="EncoderDecoder"/>. Input: the maps shallowest first (strides 2, 4, ..., 32
/// when <see cref="WantsStem"/> and the encoder offers the stride-2 map, else 4, ..., 32). Output: a map of
/// <see cref="OutChannels"/> channels at stride <see cref="OutputStride"/>.
/// </summary>
public abstract class FeatureDecoder : nn.Module<Tensor[], Tensor>
{
    /// <summary>A decoder module named <paramref name="name"/>.</summary>
    protected FeatureDecoder(string name) : base(name) { }

    /// <summary>Channels of the decoder's output (the segmentation head's input).</summary>
    public abstract int OutChannels { get; }

    /// <summary>Input pixels per output pixel (1 for a U-Net; 4 for an FPN, whose head upsamples).</summary>
    public abstract int OutputStride { get; }

    /// <summary>True when the decoder uses the encoder's stride-2 map (see <see cref="Encoders.IStemFeatureEncoder"/>).</summary>
    public abstract bool WantsStem { get; }
}
