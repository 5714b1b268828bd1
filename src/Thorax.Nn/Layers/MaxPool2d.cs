namespace Thorax.Nn;

/// <summary>2-D max pooling of (N, C, H, W) inputs; stride defaults to the kernel size.</summary>
/// <remarks>PyTorch: <c>torch.nn.MaxPool2d</c>.</remarks>
public sealed class MaxPool2d(long kernelSize, long? stride = null, long padding = 0, long dilation = 1, bool ceilMode = false) : Module<Tensor, Tensor>
{
    /// <summary>Square window size.</summary>
    public long KernelSize { get; } = kernelSize;

    /// <summary>Step between windows.</summary>
    public long Stride { get; } = stride ?? kernelSize;

    /// <summary>Implicit −∞ padding on each side.</summary>
    public long Padding { get; } = padding;

    /// <summary>Spacing between window elements.</summary>
    public long Dilation { get; } = dilation;

    /// <summary>Whether the output size rounds up.</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) =>
        Functional.MaxPool2d(input, new[] { KernelSize, KernelSize }, new[] { Stride, Stride }, new[] { Padding, Padding }, new[] { Dilation, Dilation }, CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, ceil_mode={CeilMode}";
}
