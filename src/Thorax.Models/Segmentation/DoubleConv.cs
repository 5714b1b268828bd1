using Thorax.Nn;

namespace Thorax.Models.Segmentation;

/// <summary>
/// [Conv3x3 (no bias) -> BatchNorm -> ReLU] x 2, the U-Net block. Parameter names follow the common PyTorch U-Net
/// (<c>double_conv.0.weight</c>, <c>double_conv.1.running_mean</c>, <c>double_conv.3.weight</c>, ...), so weights
/// trained with that code load by name.
/// </summary>
public sealed class DoubleConv : Module<Tensor, Tensor>
{
    private readonly Sequential _block;

    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels of both convolutions.</param>
    /// <param name="dropout">Dropout after each BatchNorm (CXLSeg's Keras U-Net uses 0.1); 0 disables it.</param>
    public DoubleConv(long inChannels, long outChannels, double dropout = 0)
    {
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        void Add(Module<Tensor, Tensor> m) => layers.Add((layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), m));
        Add(new Conv2d(inChannels, outChannels, 3, padding: 1, bias: false));
        Add(new BatchNorm2d(outChannels));
        if (dropout > 0) Add(new Dropout(dropout));
        Add(new Relu());
        Add(new Conv2d(outChannels, outChannels, 3, padding: 1, bias: false));
        Add(new BatchNorm2d(outChannels));
        if (dropout > 0) Add(new Dropout(dropout));
        Add(new Relu());
        _block = RegisterModule("double_conv", new Sequential(layers.ToArray()));
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => _block.Forward(input);
}
