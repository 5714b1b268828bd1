namespace Thorax.Nn;

/// <summary>Rectified linear unit max(0, x). Element-wise; output has the input's shape.</summary>
/// <remarks>PyTorch: <c>torch.nn.ReLU</c>.</remarks>
public sealed class Relu : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => input.Relu();
}
