namespace Thorax.Nn;

/// <summary>Softmax along dimension <c>dim</c>: values in (0, 1) summing to 1 along it; output has the input's shape.</summary>
/// <remarks>PyTorch: <c>torch.nn.Softmax(dim)</c>.</remarks>
public sealed class Softmax(long dim) : Module<Tensor, Tensor>
{
    /// <summary>The normalised dimension (negative counts from the end).</summary>
    public long Dim { get; } = dim;

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Softmax(input, Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}";
}
