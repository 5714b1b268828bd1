using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Thorax.Models.Segmentation;

/// <summary>
/// [Conv3x3 (no bias) -> BatchNorm -> ReLU] x 2, the U-Net block. Parameter names follow the common PyTorch U-Net
/// (<c>double_conv.0.weight</c>, <c>double_conv.1.running_mean</c>, <c>double_conv.3.weight</c>, ...), so weights
/// trained with that code load by name.
/// </summary>
public sealed class DoubleConv : nn.Module<Tensor, Tensor>
{
    private readonly Sequential _block;

    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels of both convolutions.</param>
    /// <param name="dropout">Dropout after each BatchNorm (CXLSeg's Keras U-Net uses 0.1); 0 disables it.</param>
    public DoubleConv(long inChannels, long outChannels, double dropout = 0) : base(nameof(DoubleConv))
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        void Add(nn.Module<Tensor, Tensor> m) => layers.Add((layers.Count.ToString(CultureInfo.InvariantCulture), m));
        Add(nn.Conv2d(inChannels, outChannels, 3, padding: 1, bias: false));
        Add(nn.BatchNorm2d(outChannels));
        if (dropout > 0) Add(nn.Dropout(dropout));
        Add(nn.ReLU());
        Add(nn.Conv2d(outChannels, outChannels, 3, padding: 1, bias: false));
        Add(nn.BatchNorm2d(outChannels));
        if (dropout > 0) Add(nn.Dropout(dropout));
        Add(nn.ReLU());
        _block = nn.Sequential(layers.ToArray());
        register_module("double_conv", _block);
    }

    /// <summary>Runs the block.</summary>
    /// <param name="input">(N, inChannels, H, W) float32.</param>
    /// <returns>(N, outChannels, H, W), owned by the caller or the current dispose scope.</returns>
    public override Tensor forward(Tensor input) => _block.call(input);

    /// <summary>Children are registered explicitly under their PyTorch names; TorchSharp's field reflection is not used.</summary>
    protected override void RegisterComponents() { }
}
