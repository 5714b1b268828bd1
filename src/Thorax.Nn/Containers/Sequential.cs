namespace Thorax.Nn;

/// <summary>
/// Runs its children in order, feeding each one's output to the next. Unnamed children get the keys
/// <c>"0"</c>, <c>"1"</c>, … (as PyTorch), named ones keep their names (<c>conv0</c>, <c>norm0</c>, … in DenseNet).
/// Intermediate outputs are disposed as soon as the next child has consumed them.
/// </summary>
/// <remarks>PyTorch: <c>torch.nn.Sequential</c>.</remarks>
public sealed class Sequential : Module<Tensor, Tensor>
{
    private readonly List<Module<Tensor, Tensor>> _layers = new();

    /// <summary>Creates the container from unnamed children (keys "0", "1", ...).</summary>
    public Sequential(params Module<Tensor, Tensor>[] layers)
    {
        foreach (var l in layers) Append(l);
    }

    /// <summary>Creates the container from named children.</summary>
    public Sequential(params (string Name, Module<Tensor, Tensor> Module)[] layers)
    {
        foreach (var (n, l) in layers) Append(n, l);
    }

    /// <summary>Adds a child under the next index key.</summary>
    /// <returns>This container.</returns>
    public Sequential Append(Module<Tensor, Tensor> layer) => Append(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer);

    /// <summary>Adds a named child.</summary>
    /// <returns>This container.</returns>
    public Sequential Append(string name, Module<Tensor, Tensor> layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        RegisterModule(name, layer);
        _layers.Add(layer);
        return this;
    }

    /// <summary>Number of children.</summary>
    public int Count => _layers.Count;

    /// <summary>The child at position <paramref name="index"/>.</summary>
    public Module<Tensor, Tensor> this[int index] => _layers[index];

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        if (_layers.Count == 0) return input.Alias();
        var x = input;
        for (var i = 0; i < _layers.Count; i++)
        {
            var y = _layers[i].Forward(x);
            if (!ReferenceEquals(x, input) && !ReferenceEquals(x, y)) x.Dispose();
            x = y;
        }
        return x;
    }
}
