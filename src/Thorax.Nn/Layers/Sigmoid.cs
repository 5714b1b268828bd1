namespace Thorax.Nn;

/// <summary>Logistic sigmoid 1 / (1 + e^−x). Element-wise; output has the input's shape.</summary>
/// <remarks>PyTorch: <c>torch.nn.Sigmoid</c>.</remarks>
public sealed class Sigmoid : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => input.Sigmoid();
}
