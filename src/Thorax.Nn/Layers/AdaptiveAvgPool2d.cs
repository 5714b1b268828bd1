namespace Thorax.Nn;

/// <summary>Adaptive average pooling: (N, C, H, W) → (N, C, outH, outW) whatever H and W are.</summary>
/// <remarks>PyTorch: <c>torch.nn.AdaptiveAvgPool2d</c>.</remarks>
public sealed class AdaptiveAvgPool2d : Module<Tensor, Tensor>
{
    private readonly long[] _size;

    /// <summary>Square output size.</summary>
    public AdaptiveAvgPool2d(long outputSize) : this(outputSize, outputSize) { }

    /// <summary>Output (height, width).</summary>
    public AdaptiveAvgPool2d(long outputHeight, long outputWidth)
    {
        if (outputHeight <= 0 || outputWidth <= 0) throw new ArgumentOutOfRangeException(nameof(outputHeight), "output size must be positive");
        _size = new[] { outputHeight, outputWidth };
    }

    /// <summary>Output (height, width).</summary>
    public IReadOnlyList<long> OutputSize => _size;

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.AdaptiveAvgPool2d(input, _size);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size=({_size[0]}, {_size[1]})";
}
