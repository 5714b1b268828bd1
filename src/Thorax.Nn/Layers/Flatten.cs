namespace Thorax.Nn;

/// <summary>Flattens dimensions <c>startDim..endDim</c> into one, e.g. (N, C, H, W) → (N, C·H·W) by default.</summary>
/// <remarks>PyTorch: <c>torch.nn.Flatten</c>.</remarks>
public sealed class Flatten(long startDim = 1, long endDim = -1) : Module<Tensor, Tensor>
{
    /// <summary>First flattened dimension.</summary>
    public long StartDim { get; } = startDim;

    /// <summary>Last flattened dimension.</summary>
    public long EndDim { get; } = endDim;

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => input.Flatten(StartDim, EndDim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}
