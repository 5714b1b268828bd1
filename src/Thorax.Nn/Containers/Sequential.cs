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
    private readonly List<string> _names = new();

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
        _names.Add(name);
        return this;
    }

    /// <summary>Number of children.</summary>
    public int Count => _layers.Count;

    /// <summary>The child at position <paramref name="index"/>.</summary>
    public Module<Tensor, Tensor> this[int index] => _layers[index];

    /// <summary>
    /// Folds each convolution → [evaluation-mode identities] → batch norm run among the children (see
    /// <see cref="Module.FuseForInference"/>) and replaces the folded batch norm by an <see cref="Identity"/> under the
    /// same key.
    /// </summary>
    protected override void OnFuseForInference()
    {
        for (var i = 0; i < _layers.Count; i++)
        {
            if (_layers[i] is not (Conv1d or Conv2d or ConvTranspose2d)) continue;
            var j = i + 1;
            while (j < _layers.Count && _layers[j].IsIdentityInEval) j++;
            if (j >= _layers.Count) break;
            var folded = (_layers[i], _layers[j]) switch
            {
                (Conv2d c, BatchNorm2d bn) => c.TryFoldBatchNorm(bn),
                (ConvTranspose2d c, BatchNorm2d bn) => c.TryFoldBatchNorm(bn),
                (Conv1d c, BatchNorm1d bn) => c.TryFoldBatchNorm(bn),
                _ => false,
            };
            if (!folded) continue;
            var identity = new Identity();
            SetModule(_names[j], identity);
            _layers[j] = identity;
            i = j;
        }
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        if (_layers.Count == 0) return input.Alias();
        if (IsFusedForInference && !Torch.IsGradEnabled) return ForwardFused(input);
        var x = input;
        for (var i = 0; i < _layers.Count; i++)
        {
            var y = _layers[i].Forward(x);
            if (!ReferenceEquals(x, input) && !ReferenceEquals(x, y)) x.Dispose();
            x = y;
        }
        return x;
    }

    /// <summary>
    /// Inference path of a fused container with gradients off: hook-free evaluation identities are skipped and a
    /// hook-free <see cref="Relu"/> runs in place when its input is a tensor that this container computed and nobody
    /// else holds (the output of a convolution, batch norm or linear layer without hooks, possibly passed through
    /// identities); everything else runs as usual.
    /// </summary>
    private Tensor ForwardFused(Tensor input)
    {
        var x = input;
        var fresh = false;
        for (var i = 0; i < _layers.Count; i++)
        {
            var layer = _layers[i];
            if (!layer.HasHooks && layer.IsIdentityInEval) continue; // a fused module is always in evaluation mode
            if (fresh && layer is Relu && !layer.HasHooks)
            {
                x.Relu_();
                continue;
            }
            var y = layer.Forward(x);
            if (!ReferenceEquals(x, input) && !ReferenceEquals(x, y)) x.Dispose();
            fresh = !layer.HasHooks && !ReferenceEquals(y, x) && layer is Conv1d or Conv2d or ConvTranspose2d or BatchNorm or Linear;
            x = y;
        }
        return ReferenceEquals(x, input) ? input.Alias() : x;
    }
}
