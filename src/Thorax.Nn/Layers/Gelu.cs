namespace Thorax.Nn;

/// <summary>GELU x·Φ(x), exact (erf) or with the tanh approximation. Element-wise; output has the input's shape.</summary>
/// <remarks>PyTorch: <c>torch.nn.GELU(approximate='none'|'tanh')</c>.</remarks>
public sealed class Gelu(bool tanhApproximation = false) : Module<Tensor, Tensor>
{
    /// <summary>True for the tanh approximation.</summary>
    public bool TanhApproximation { get; } = tanhApproximation;

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Gelu(input, TanhApproximation);

    /// <inheritdoc/>
    protected override string ExtraRepr() => TanhApproximation ? "approximate='tanh'" : "approximate='none'";
}
