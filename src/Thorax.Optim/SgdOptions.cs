namespace Thorax.Optim;

/// <summary>Default hyperparameters of <see cref="Sgd"/> (PyTorch's <c>torch.optim.SGD</c> arguments).</summary>
public sealed record SgdOptions
{
    /// <summary>Learning rate <c>lr</c>, ≥ 0. Required (PyTorch has no default either).</summary>
    public required double Lr { get; init; }

    /// <summary>Momentum factor <c>momentum</c>, ≥ 0. Default 0 (plain SGD, no momentum buffer).</summary>
    public double Momentum { get; init; }

    /// <summary>Dampening of the momentum update <c>dampening</c>. Default 0.</summary>
    public double Dampening { get; init; }

    /// <summary>L2 penalty <c>weight_decay</c> added to the gradient, ≥ 0. Default 0.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Nesterov momentum <c>nesterov</c> (needs momentum &gt; 0 and dampening 0). Default false.</summary>
    public bool Nesterov { get; init; }

    /// <summary>Maximise the objective instead of minimising it (<c>maximize</c>). Default false.</summary>
    public bool Maximize { get; init; }

    internal IEnumerable<KeyValuePair<string, object>> ToDefaults() => new KeyValuePair<string, object>[]
    {
        new("lr", Lr), new("momentum", Momentum), new("dampening", Dampening), new("weight_decay", WeightDecay),
        new("nesterov", Nesterov), new("maximize", Maximize),
    };
}
