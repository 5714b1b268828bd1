namespace Thorax.Nn;

/// <summary>Returns its input unchanged (a new alias of the same tensor).</summary>
/// <remarks>PyTorch: <c>torch.nn.Identity</c>.</remarks>
public sealed class Identity : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => input.Alias();
}
