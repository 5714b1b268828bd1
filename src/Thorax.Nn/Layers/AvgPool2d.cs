namespace Thorax.Nn;

/// <summary>2-D average pooling of (N, C, H, W) inputs; stride defaults to the kernel size.</summary>
/// <remarks>PyTorch: <c>torch.nn.AvgPool2d</c>.</remarks>
public sealed class AvgPool2d(long kernelSize, long? stride = null, long padding = 0, bool ceilMode = false, bool countIncludePad = true,
                              long? divisorOverride = null) : Module<Tensor, Tensor>
{
    /// <summary>Square window size.</summary>
    public long KernelSize { get; } = kernelSize;

    /// <summary>Step between windows.</summary>
    public long Stride { get; } = stride ?? kernelSize;

    /// <summary>Implicit zero padding on each side.</summary>
    public long Padding { get; } = padding;

    /// <summary>Whether the output size rounds up.</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <summary>Whether padded zeros count in the average.</summary>
    public bool CountIncludePad { get; } = countIncludePad;

    /// <summary>Fixed divisor instead of the window size, or null.</summary>
    public long? DivisorOverride { get; } = divisorOverride;

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) =>
        Functional.AvgPool2d(input, new[] { KernelSize, KernelSize }, new[] { Stride, Stride }, new[] { Padding, Padding }, CeilMode, CountIncludePad, DivisorOverride);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}
