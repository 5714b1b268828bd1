
namespace Thorax.Optim;

/// <summary>
/// One parameter group: a list of parameters and its own hyperparameters (learning rate, weight decay, momentum,
/// ...), keyed by PyTorch's names (<c>lr</c>, <c>weight_decay</c>, <c>betas</c>, ...). Keys the group does not set are
/// filled from the optimiser's defaults when the group is handed to an optimiser, exactly like PyTorch's
/// <c>param_groups</c> dictionaries. Schedulers keep their bookkeeping here too (<c>initial_lr</c>, <c>max_lr</c>, ...).
/// </summary>
/// <remarks>
/// Values are one of three kinds: <see cref="double"/>, <see cref="bool"/> or a pair of doubles (PyTorch's tuples,
/// e.g. <c>betas</c>). PyTorch: a dictionary in <c>torch.optim.Optimizer.param_groups</c>.
/// </remarks>
/// <example><code>
/// var opt = new Adam(new[] {
///     new ParamGroup(backbone.Parameters()).Set("lr", 1e-4),
///     new ParamGroup(head.Parameters()),             // uses the optimiser's default lr
/// }, new AdamOptions { Lr = 1e-3 });
/// </code></example>
public sealed class ParamGroup
{
    private readonly List<Tensor> _params;
    private readonly List<string> _order = new();
    private readonly Dictionary<string, object> _values = new(StringComparer.Ordinal);

    /// <summary>Creates a group over <paramref name="parameters"/> (leaf tensors; any shape, floating dtype).</summary>
    /// <param name="parameters">The tensors to optimise. The group keeps references; an optimiser takes its own handles.</param>
    public ParamGroup(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _params = parameters.ToList();
        for (var i = 0; i < _params.Count; i++)
            if (_params[i] is null) throw new ArgumentException($"parameter {i} of the group is null", nameof(parameters));
    }

    internal ParamGroup(List<Tensor> ownedParameters, ParamGroup source)
    {
        _params = ownedParameters;
        foreach (var k in source._order) SetValue(k, source._values[k]);
    }

    /// <summary>The parameters of this group, in order.</summary>
    public IReadOnlyList<Tensor> Parameters => _params;

    /// <summary>The hyperparameter names in insertion order.</summary>
    public IReadOnlyList<string> Keys => _order;

    /// <summary>Learning rate (<c>lr</c>), ≥ 0. Schedulers set it before each optimiser step.</summary>
    public double Lr
    {
        get => GetDouble("lr");
        set => Set("lr", value);
    }

    /// <summary>True when the group has a value for <paramref name="key"/>.</summary>
    public bool Contains(string key) => _values.ContainsKey(key);

    /// <summary>The raw value of <paramref name="key"/>: a boxed double, bool or <c>(double, double)</c>.</summary>
    /// <exception cref="KeyNotFoundException">The group has no such key.</exception>
    public object this[string key] => _values.TryGetValue(key, out var v) ? v : throw Missing(key);

    /// <summary>A number-valued hyperparameter (e.g. <c>lr</c>, <c>momentum</c>, <c>eps</c>).</summary>
    /// <exception cref="KeyNotFoundException">The group has no such key.</exception>
    /// <exception cref="InvalidCastException">The value is not a number.</exception>
    public double GetDouble(string key) => this[key] switch
    {
        double d => d,
        var other => throw WrongKind(key, other, "a number"),
    };

    /// <summary>A flag-valued hyperparameter (e.g. <c>nesterov</c>, <c>amsgrad</c>, <c>maximize</c>).</summary>
    public bool GetBool(string key) => this[key] switch
    {
        bool b => b,
        var other => throw WrongKind(key, other, "a flag"),
    };

    /// <summary>A pair-valued hyperparameter (e.g. <c>betas</c>).</summary>
    public (double, double) GetPair(string key) => this[key] switch
    {
        ValueTuple<double, double> p => p,
        var other => throw WrongKind(key, other, "a pair of numbers"),
    };

    /// <summary>The number stored under <paramref name="key"/>, or false when absent.</summary>
    public bool TryGetDouble(string key, out double value)
    {
        if (_values.TryGetValue(key, out var v) && v is double d)
        {
            value = d;
            return true;
        }
        value = 0;
        return false;
    }

    /// <summary>Sets a number-valued hyperparameter. Returns this group (fluent).</summary>
    public ParamGroup Set(string key, double value) => SetValue(key, value);

    /// <summary>Sets a flag-valued hyperparameter. Returns this group (fluent).</summary>
    public ParamGroup Set(string key, bool value) => SetValue(key, value);

    /// <summary>Sets a pair-valued hyperparameter such as <c>betas</c>. Returns this group (fluent).</summary>
    public ParamGroup Set(string key, (double, double) value) => SetValue(key, value);

    /// <summary>Sets <paramref name="key"/> only when the group has no value for it (Python's <c>setdefault</c>).</summary>
    public ParamGroup SetDefault(string key, object value)
    {
        if (!_values.ContainsKey(key)) SetValue(key, value);
        return this;
    }

    internal ParamGroup SetValue(string key, object value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key == "params") throw new ArgumentException("'params' is not a hyperparameter; pass parameters to the constructor", nameof(key));
        value = value switch
        {
            double or bool or ValueTuple<double, double> => value,
            float f => (double)f,
            int i => (double)i,
            long l => (double)l,
            null => throw new ArgumentNullException(nameof(value), $"hyperparameter '{key}' cannot be null"),
            _ => throw new ArgumentException($"hyperparameter '{key}' has unsupported type {value.GetType().Name}; use double, bool or (double, double)", nameof(value)),
        };
        if (!_values.ContainsKey(key)) _order.Add(key);
        _values[key] = value;
        return this;
    }

    internal void ClearValues()
    {
        _values.Clear();
        _order.Clear();
    }

    private static KeyNotFoundException Missing(string key) =>
        new($"parameter group has no hyperparameter '{key}'");

    private static InvalidCastException WrongKind(string key, object value, string want) =>
        new($"hyperparameter '{key}' holds {value.GetType().Name} ({value}), not {want}");
}
