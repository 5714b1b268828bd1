using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Thorax.Models.Segmentation;

/// <summary>
/// CBAM-style spatial attention (Woo et al. 2018) as used in SA-UNet's bottleneck: the channel-wise mean and maximum
/// are stacked into a 2-channel map, convolved by a k x k convolution without bias to one channel, passed through a
/// sigmoid, and multiplied into the input.
/// </summary>
/// <remarks>
/// Input and output: (N, C, H, W) float32, same shape. State-dict key: <c>conv.weight</c> with shape (1, 2, k, k);
/// channel 0 of the weight sees the mean, channel 1 the maximum (the order of clguo/SA-UNet's
/// <c>Concatenate([avg_pool, max_pool])</c>). Zero ('same') padding of k/2 keeps the spatial size.
/// </remarks>
public sealed class SpatialAttention : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d _conv;

    /// <summary>Creates the layer.</summary>
    /// <param name="kernelSize">Odd convolution size (SA-UNet and CBAM: 7).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kernelSize"/> is not a positive odd number.</exception>
    public SpatialAttention(int kernelSize = 7) : base(nameof(SpatialAttention))
    {
        if (kernelSize < 1 || kernelSize % 2 == 0)
            throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "the spatial-attention kernel must be a positive odd size");
        KernelSize = kernelSize;
        _conv = nn.Conv2d(2, 1, kernelSize, padding: kernelSize / 2, bias: false);
        register_module("conv", _conv);
    }

    /// <summary>Side of the attention convolution.</summary>
    public int KernelSize { get; }

    /// <summary>
    /// The attention map sigmoid(conv([mean_c(x), max_c(x)])), shape (N, 1, H, W), values in (0, 1).
    /// </summary>
    /// <param name="input">(N, C, H, W) features.</param>
    /// <returns>New tensor owned by the caller or the current dispose scope.</returns>
    /// <exception cref="ArgumentException"><paramref name="input"/> is not 4-D.</exception>
    public Tensor AttentionMap(Tensor input)
    {
        if (input.dim() != 4) throw new ArgumentException($"SpatialAttention: expected input (N, C, H, W), got {ShapeText.Of(input)}", nameof(input));
        using var scope = torch.NewDisposeScope();
        var mean = input.mean(new long[] { 1 }, keepdim: true);
        var max = input.amax(new long[] { 1 }, keepdim: true);
        return _conv.call(torch.cat(new[] { mean, max }, 1)).sigmoid_().MoveToOuterDisposeScope();
    }

    /// <summary>The input re-weighted by its attention map.</summary>
    /// <param name="input">(N, C, H, W) features.</param>
    /// <returns>(N, C, H, W), owned by the caller or the current dispose scope.</returns>
    public override Tensor forward(Tensor input)
    {
        using var map = AttentionMap(input);
        return input.mul(map);
    }

    /// <summary>Children are registered explicitly under their PyTorch names; TorchSharp's field reflection is not used.</summary>
    protected override void RegisterComponents() { }
}
