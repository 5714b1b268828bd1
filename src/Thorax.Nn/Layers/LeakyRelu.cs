namespace Thorax.Nn;

/// <summary>Leaky ReLU: x for x ≥ 0, slope·x otherwise. Element-wise; output has the input's shape.</summary>
/// <remarks>PyTorch: <c>torch.nn.LeakyReLU</c>.</remarks>
public sealed class LeakyRelu(double negativeSlope = 0.01) : Module<Tensor, Tensor>
{
    /// <summary>Slope for negative inputs.</summary>
    public double NegativeSlope { get; } = negativeSlope;

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.LeakyRelu(input, NegativeSlope);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"negative_slope={NegativeSlope}";
}
