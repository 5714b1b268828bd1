namespace Thorax.Training.Optim;

/// <summary>
/// One saved parameter group: its hyperparameters (PyTorch names; values double, bool or <c>(double, double)</c>)
/// and the indices of its parameters in the state dict (PyTorch's <c>params</c> list).
/// </summary>
public sealed class ParamGroupState
{
    private readonly List<KeyValuePair<string, object>> _values;

    /// <summary>Creates a saved group.</summary>
    /// <param name="hyperparameters">Name/value pairs in order; values double, bool or <c>(double, double)</c>.</param>
    /// <param name="parameterIndices">State-dict indices of the group's parameters, in order.</param>
    public ParamGroupState(IEnumerable<KeyValuePair<string, object>> hyperparameters, IEnumerable<int> parameterIndices)
    {
        ArgumentNullException.ThrowIfNull(hyperparameters);
        ArgumentNullException.ThrowIfNull(parameterIndices);
        _values = hyperparameters.ToList();
        foreach (var (k, v) in _values)
            if (v is not (double or bool or ValueTuple<double, double>))
                throw new ArgumentException($"hyperparameter '{k}' has unsupported type {v?.GetType().Name ?? "null"}", nameof(hyperparameters));
        Params = parameterIndices.ToArray();
    }

    /// <summary>The hyperparameters in order (PyTorch's group dictionary without <c>params</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, object>> Hyperparameters => _values;

    /// <summary>State-dict indices of the group's parameters.</summary>
    public IReadOnlyList<int> Params { get; }

    /// <summary>The value of hyperparameter <paramref name="key"/>, or null when absent.</summary>
    public object? this[string key]
    {
        get
        {
            foreach (var (k, v) in _values)
                if (k == key) return v;
            return null;
        }
    }
}
