namespace Thorax.Nn;

/// <summary>SiLU / swish x·σ(x). Element-wise; output has the input's shape.</summary>
/// <remarks>PyTorch: <c>torch.nn.SiLU</c>.</remarks>
public sealed class Silu : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => input.Silu();
}
