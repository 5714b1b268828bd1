namespace Thorax.Nn;

/// <summary>Returns its input unchanged (a new alias of the same tensor).</summary>
/// <remarks>PyTorch: <c>torch.nn.Identity</c>.</remarks>
public sealed class Identity : Module<Tensor, Tensor>
{
    /// <summary>True: evaluation mode returns the input unchanged.</summary>
    public override bool IsIdentityInEval => true;

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => input.Alias();
}
