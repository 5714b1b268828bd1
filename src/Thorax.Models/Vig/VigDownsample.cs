using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Vig;

/// <summary>Pyramid ViG downsampling between stages (key <c>conv.0</c>, <c>conv.1</c>): Conv3x3 s2 p1 + BN.</summary>
public sealed class VigDownsample : Module<Tensor, Tensor>
{
    private readonly Sequential _conv;

    /// <param name="inChannels">Channels of the previous stage.</param>
    /// <param name="outChannels">Channels of the next stage.</param>
    public VigDownsample(int inChannels, int outChannels) : base("Downsample")
    {
        _conv = Sequential(Conv2d(inChannels, outChannels, 3, stride: 2, padding: 1), BatchNorm2d(outChannels));
        register_module("conv", _conv);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => _conv.call(x);

    /// <summary>Children are registered explicitly under the reference's names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }
}
