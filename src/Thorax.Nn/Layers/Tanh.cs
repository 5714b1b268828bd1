namespace Thorax.Nn;

/// <summary>Hyperbolic tangent. Element-wise; output has the input's shape.</summary>
/// <remarks>PyTorch: <c>torch.nn.Tanh</c>.</remarks>
public sealed class Tanh : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => input.Tanh();
}
