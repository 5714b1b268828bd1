using Thorax.Models.Inference;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.GdVig;

/// <summary>The GMG decoder's pre-activation residual block (<c>vigunet.py</c> <c>ResidualConv</c>):
/// <c>conv_block</c> = [BN(in), ReLU, Conv3x3(in → out), BN, ReLU, Conv3x3(out → out)] plus <c>conv_skip</c> =
/// [Conv3x3(in → out), BN]; stride 1, padding 1.</summary>
public sealed class ResidualConv : Module<Tensor, Tensor>
{
    private readonly Sequential _block;
    private readonly Sequential _skip;

    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    public ResidualConv(int inChannels, int outChannels) : base("ResidualConv")
    {
        _block = Sequential(BatchNorm2d(inChannels), ReLU(), Conv2d(inChannels, outChannels, 3, padding: 1),
            BatchNorm2d(outChannels), ReLU(), Conv2d(outChannels, outChannels, 3, padding: 1));
        _skip = Sequential(Conv2d(inChannels, outChannels, 3, padding: 1), BatchNorm2d(outChannels));
        register_module("conv_block", _block);
        register_module("conv_skip", _skip);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return _block.call(x).add(_skip.call(x)).MoveToOuterDisposeScope();
    }

    /// <summary>Children are registered explicitly under the reference's names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }
}

/// <summary>The GMG's ×2 up-sampling: a ConvTranspose2d (kernel 2, stride 2) under the key <c>upsample</c>. A batch
/// norm after it in a <c>Sequential</c> folds into the transposed convolution (<see cref="IConvolutionOutput"/>).</summary>
public sealed class GazeUpsample : Module<Tensor, Tensor>, IConvolutionOutput
{
    private readonly ConvTranspose2d _up;

    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    public GazeUpsample(int inChannels, int outChannels) : base("Upsample")
    {
        _up = ConvTranspose2d(inChannels, outChannels, 2, stride: 2);
        register_module("upsample", _up);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => _up.call(x);

    /// <inheritdoc />
    public Convolution OutputConvolution => _up;

    /// <summary>Children are registered explicitly under the reference's names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }
}
