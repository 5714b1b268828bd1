
namespace Thorax.Optim;

/// <summary>
/// Base of the optimisers: parameter groups with PyTorch's defaults semantics, per-parameter state tensors, one
/// update per <see cref="Step()"/>, <see cref="ZeroGrad"/>, and a state dict structured like PyTorch's
/// (<c>state</c> keyed by parameter index + <c>param_groups</c>).
/// </summary>
/// <remarks>
/// The optimiser holds its own handles to the parameters and owns its state tensors (created outside any
/// <see cref="TensorScope"/>, so a per-step scope never frees them); dispose the optimiser to release them.
/// Parameters whose <see cref="Tensor.Grad"/> is null are skipped by a step and get no state, like PyTorch.
/// Parameter indices count across groups in order (group 0 first), as in PyTorch's <c>state_dict()</c>.
/// PyTorch: <c>torch.optim.Optimizer</c>.
/// </remarks>
public abstract class Optimizer : IDisposable
{
    private readonly List<ParamGroup> _groups = new();
    private readonly List<Dictionary<string, Tensor>?> _state = new();
    private readonly List<KeyValuePair<string, object>> _defaults;
    private readonly HashSet<Tensor> _seen = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    private protected Optimizer(IEnumerable<ParamGroup> groups, IEnumerable<KeyValuePair<string, object>> defaults)
    {
        ArgumentNullException.ThrowIfNull(groups);
        _defaults = defaults.ToList();
        foreach (var g in groups) AddParamGroup(g);
        if (_groups.Count == 0) throw new ArgumentException("optimizer got an empty parameter list", nameof(groups));
    }

    /// <summary>The parameter groups (live: setting <see cref="ParamGroup.Lr"/> changes the next step).</summary>
    public IReadOnlyList<ParamGroup> ParamGroups => _groups;

    /// <summary>Default hyperparameters applied to groups that do not set a key (PyTorch's <c>defaults</c>).</summary>
    public IReadOnlyDictionary<string, object> Defaults => _defaults.ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>Total number of parameters over all groups (the range of state indices).</summary>
    public int ParameterCount => _state.Count;

    /// <summary>
    /// Adds a group; keys it does not set come from <see cref="Defaults"/>. The optimiser takes its own handles to
    /// the group's parameters; the caller's <paramref name="group"/> is not modified.
    /// </summary>
    /// <exception cref="ArgumentException">A parameter is not a leaf, not floating point, or already optimised; or a hyperparameter is invalid.</exception>
    public void AddParamGroup(ParamGroup group)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(group);
        if (group.Parameters.Count == 0) throw new ArgumentException("parameter group has no parameters", nameof(group));
        foreach (var p in group.Parameters)
        {
            if (!_seen.Add(p)) throw new ArgumentException("some parameters appear in more than one parameter group (or twice in one)", nameof(group));
            if (!p.DType.IsFloatingPoint()) throw new ArgumentException($"can only optimise floating-point tensors, got {p.Describe()}", nameof(group));
            if (!p.IsLeaf) throw new ArgumentException($"can't optimise a non-leaf tensor {p.Describe()}", nameof(group));
        }
        var owned = group.Parameters.Select(p => p.Alias().DetachFromScope()).ToList();
        var g = new ParamGroup(owned, group);
        foreach (var (k, v) in _defaults) g.SetDefault(k, v);
        try
        {
            ValidateGroup(g);
        }
        catch
        {
            foreach (var t in owned) t.Dispose();
            foreach (var p in group.Parameters) _seen.Remove(p);
            throw;
        }
        _groups.Add(g);
        foreach (var _ in owned) _state.Add(null);
    }

    /// <summary>Checks a group's hyperparameters (after defaults were applied); throws <see cref="ArgumentException"/>.</summary>
    private protected abstract void ValidateGroup(ParamGroup group);

    /// <summary>Updates the parameters of one group that have gradients.</summary>
    /// <param name="group">The group (its hyperparameters).</param>
    /// <param name="indices">Global parameter indices of the entries.</param>
    /// <param name="parameters">The parameters with a gradient.</param>
    /// <param name="grads">Their gradients (handles valid during the call).</param>
    private protected abstract void StepGroup(ParamGroup group, int[] indices, Tensor[] parameters, Tensor[] grads);

    /// <summary>Applies one update to every parameter that has a gradient, group by group, without recording autograd.</summary>
    public void Step()
    {
        ThrowIfDisposed();
        var index = 0;
        foreach (var g in _groups)
        {
            var idx = new List<int>(g.Parameters.Count);
            var ps = new List<Tensor>(g.Parameters.Count);
            var gs = new List<Tensor>(g.Parameters.Count);
            try
            {
                for (var i = 0; i < g.Parameters.Count; i++, index++)
                {
                    var grad = g.Parameters[i].Grad;
                    if (grad is null) continue;
                    grad.DetachFromScope();
                    idx.Add(index);
                    ps.Add(g.Parameters[i]);
                    gs.Add(grad);
                }
                if (ps.Count > 0) StepGroup(g, idx.ToArray(), ps.ToArray(), gs.ToArray());
            }
            finally
            {
                foreach (var t in gs) t.Dispose();
            }
        }
    }

    /// <summary>Evaluates <paramref name="closure"/> with gradients enabled, then steps; returns the closure's loss.</summary>
    /// <param name="closure">Recomputes the loss and calls backward (for line-search style use).</param>
    public double Step(Func<double> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        double loss;
        using (Torch.EnableGrad()) loss = closure();
        Step();
        return loss;
    }

    /// <summary>Clears every parameter's gradient: drops it when <paramref name="setToNone"/>, else zeroes it in place.</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        ThrowIfDisposed();
        foreach (var g in _groups)
            foreach (var p in g.Parameters) p.ZeroGrad(setToNone);
    }

    /// <summary>
    /// The live state of parameter <paramref name="index"/> (e.g. <c>exp_avg</c>, <c>step</c>), or null before its
    /// first update. The tensors belong to the optimiser: read them, do not dispose them.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor>? GetState(int index)
    {
        ThrowIfDisposed();
        if ((uint)index >= (uint)_state.Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"the optimiser has {_state.Count} parameters");
        return _state[index];
    }

    /// <summary>The state of parameter <paramref name="index"/>, created empty on first use.</summary>
    private protected Dictionary<string, Tensor> State(int index) => _state[index] ??= new Dictionary<string, Tensor>(StringComparer.Ordinal);

    /// <summary>Stores <paramref name="t"/> as state owned by the optimiser (taken out of any scope).</summary>
    private protected static Tensor Own(Tensor t) => t.DetachFromScope();

    /// <summary>
    /// Snapshot of the optimiser: state per parameter index and the hyperparameters of each group, like PyTorch's
    /// <c>optimizer.state_dict()</c>. The returned object holds new handles that share storage with the live state
    /// (as PyTorch returns references); save it before the next <see cref="Step()"/>, and dispose it when done.
    /// </summary>
    public OptimizerStateDict StateDict()
    {
        ThrowIfDisposed();
        var state = new SortedDictionary<int, IReadOnlyDictionary<string, Tensor>>();
        for (var i = 0; i < _state.Count; i++)
        {
            if (_state[i] is not { Count: > 0 } s) continue;
            var copy = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (k, v) in s) copy[k] = v.Alias().DetachFromScope();
            state[i] = copy;
        }
        var groups = new List<ParamGroupState>();
        var start = 0;
        foreach (var g in _groups)
        {
            groups.Add(new ParamGroupState(g.Keys.Select(k => new KeyValuePair<string, object>(k, g[k])), Enumerable.Range(start, g.Parameters.Count)));
            start += g.Parameters.Count;
        }
        return OptimizerStateDict.TakeOwnership(state, groups);
    }

    /// <summary>
    /// Restores state and group hyperparameters saved by <see cref="StateDict"/> (of this optimiser type, over the
    /// same parameter layout). State tensors are copied and cast to their parameter's dtype and device, except
    /// <c>step</c>, which keeps its own (PyTorch 1.13). Group hyperparameters are replaced by the saved ones.
    /// </summary>
    /// <exception cref="OptimizerStateException">Group count, group sizes, state indices or state shapes do not match.</exception>
    public void LoadStateDict(OptimizerStateDict stateDict)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(stateDict);
        var saved = stateDict.ParamGroups;
        if (saved.Count != _groups.Count)
            throw new OptimizerStateException("param_groups", $"loaded state dict has {saved.Count} parameter groups, the optimiser has {_groups.Count}");
        var checkedGroups = new ParamGroup[saved.Count];
        for (var i = 0; i < saved.Count; i++)
        {
            if (saved[i].Params.Count != _groups[i].Parameters.Count)
                throw new OptimizerStateException($"param_groups.{i}.params", $"loaded parameter group {i} has {saved[i].Params.Count} parameters, the optimiser's has {_groups[i].Parameters.Count}");
            var candidate = new ParamGroup(Array.Empty<Tensor>());
            foreach (var (k, v) in saved[i].Hyperparameters) candidate.SetValue(k, v);
            foreach (var (k, v) in _defaults) candidate.SetDefault(k, v);
            try
            {
                ValidateGroup(candidate);
            }
            catch (Exception e) when (e is ArgumentException or InvalidCastException or KeyNotFoundException)
            {
                throw new OptimizerStateException($"param_groups.{i}", "loaded hyperparameters are invalid for this optimiser: " + e.Message, e);
            }
            checkedGroups[i] = candidate;
        }

        // Saved index -> our parameter, pairing the groups' parameter lists in order (as PyTorch does).
        var map = new Dictionary<int, int>();
        var ours = 0;
        for (var i = 0; i < saved.Count; i++)
            foreach (var savedIndex in saved[i].Params) map[savedIndex] = ours++;
        var flat = _groups.SelectMany(g => g.Parameters).ToList();

        var fresh = new Dictionary<string, Tensor>?[_state.Count];
        try
        {
            foreach (var (savedIndex, entries) in stateDict.State)
            {
                if (!map.TryGetValue(savedIndex, out var target))
                    throw new OptimizerStateException($"state.{savedIndex}", $"state for parameter {savedIndex}, which no saved parameter group lists");
                var p = flat[target];
                var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                fresh[target] = d;
                foreach (var (key, value) in entries)
                {
                    if (key == "step")
                    {
                        d[key] = Own(value.To(value.DType, copy: true));
                        continue;
                    }
                    if (!value.Shape.AsSpan().SequenceEqual(p.Shape))
                        throw new OptimizerStateException($"state.{savedIndex}.{key}", $"saved {value.Describe()} does not match parameter {target} {p.Describe()}");
                    d[key] = Own(value.DType.IsFloatingPoint() ? value.To(p.Device, p.DType, copy: true) : value.To(p.Device, copy: true));
                }
            }
        }
        catch
        {
            foreach (var d in fresh)
                if (d is not null) foreach (var t in d.Values) t.Dispose();
            throw;
        }

        for (var i = 0; i < _state.Count; i++)
        {
            if (_state[i] is { } old) foreach (var t in old.Values) t.Dispose();
            _state[i] = fresh[i];
        }
        for (var i = 0; i < saved.Count; i++)
        {
            _groups[i].ClearValues();
            foreach (var k in checkedGroups[i].Keys) _groups[i].SetValue(k, checkedGroups[i][k]);
        }
    }

    /// <summary>Releases the optimiser's parameter handles and state tensors. Safe to call twice.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var s in _state)
            if (s is not null) foreach (var t in s.Values) t.Dispose();
        _state.Clear();
        foreach (var g in _groups)
            foreach (var p in g.Parameters) p.Dispose();
        GC.SuppressFinalize(this);
    }

    private protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Native handles of <paramref name="ts"/>.</summary>
    private protected static nint[] Handles(Tensor[] ts)
    {
        var h = new nint[ts.Length];
        for (var i = 0; i < ts.Length; i++) h[i] = ts[i].Handle;
        return h;
    }
}
