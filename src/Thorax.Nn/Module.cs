namespace Thorax.Nn;

/// <summary>
/// Base of every neural-network module: an explicit registry of named parameters, buffers and child modules.
/// Subclasses register everything in their constructor (<see cref="RegisterParameter"/>, <see cref="RegisterBuffer"/>,
/// <see cref="RegisterModule{T}"/>); nothing is discovered by reflection. Names equal PyTorch's, so the dotted keys
/// of <see cref="StateDict"/> (<c>features.denseblock1.denselayer1.conv1.weight</c>) match PyTorch checkpoints.
/// </summary>
/// <remarks>
/// Ownership: the module owns its parameters and buffers (they are detached from any <see cref="TensorScope"/>) and
/// its children; <see cref="Dispose"/> frees them all. Accessors such as <see cref="Parameters"/> return the owned
/// tensors themselves; callers must not dispose them. A module is not thread-safe.
/// PyTorch: <c>torch.nn.Module</c>.
/// </remarks>
public abstract partial class Module : IDisposable
{
    private readonly List<string> _paramOrder = new();
    private readonly Dictionary<string, Tensor?> _params = new(StringComparer.Ordinal);
    private readonly List<string> _bufferOrder = new();
    private readonly Dictionary<string, Tensor?> _buffers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _nonPersistent = new(StringComparer.Ordinal);
    private readonly List<string> _moduleOrder = new();
    private readonly Dictionary<string, Module?> _modules = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>True once <see cref="Dispose"/> ran.</summary>
    public bool IsDisposed => _disposed;

    // ---- registration ----

    private void CheckNewName(string name, string kind)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0) throw new ArgumentException($"{kind} name must not be empty", nameof(name));
        if (name.Contains('.')) throw new ArgumentException($"{kind} name '{name}' must not contain '.'", nameof(name));
        if (_params.ContainsKey(name) || _buffers.ContainsKey(name) || _modules.ContainsKey(name))
            throw new ArgumentException($"{GetType().Name} already has a member named '{name}'", nameof(name));
    }

    /// <summary>
    /// Registers a parameter. The tensor is detached from its <see cref="TensorScope"/> (the module owns it) and,
    /// when floating point and <paramref name="requiresGrad"/> is true, marked as requiring gradients.
    /// </summary>
    /// <param name="name">Local name without dots, e.g. <c>weight</c>.</param>
    /// <param name="parameter">A leaf tensor, or null for an optional parameter that is absent (e.g. <c>bias=False</c>).</param>
    /// <param name="requiresGrad">Whether the optimiser should train it.</param>
    /// <returns>The registered tensor.</returns>
    protected Tensor? RegisterParameter(string name, Tensor? parameter, bool requiresGrad = true)
    {
        CheckNewName(name, "parameter");
        if (parameter is not null) Adopt(parameter, requiresGrad);
        _paramOrder.Add(name);
        _params[name] = parameter;
        return parameter;
    }

    /// <summary>Registers a buffer (state that is not trained, e.g. <c>running_mean</c>); the module owns it.</summary>
    /// <param name="name">Local name without dots.</param>
    /// <param name="buffer">The tensor, or null.</param>
    /// <param name="persistent">False keeps it out of <see cref="StateDict"/>.</param>
    /// <returns>The registered tensor.</returns>
    protected Tensor? RegisterBuffer(string name, Tensor? buffer, bool persistent = true)
    {
        CheckNewName(name, "buffer");
        buffer?.DetachFromScope();
        _bufferOrder.Add(name);
        _buffers[name] = buffer;
        if (!persistent) _nonPersistent.Add(name);
        return buffer;
    }

    /// <summary>Registers a child module under <paramref name="name"/>; this module then owns and disposes it.</summary>
    /// <returns>The child, for fluent field initialisation.</returns>
    protected T RegisterModule<T>(string name, T module) where T : Module?
    {
        CheckNewName(name, "module");
        _moduleOrder.Add(name);
        _modules[name] = module;
        return module;
    }

    private static void Adopt(Tensor t, bool requiresGrad)
    {
        t.DetachFromScope();
        if (requiresGrad && t.DType.IsFloatingPoint() && !t.RequiresGrad) t.RequiresGrad = true;
    }

    /// <summary>The parameter registered under a local name (null when registered as absent).</summary>
    /// <exception cref="KeyNotFoundException">No parameter of that name.</exception>
    protected Tensor? GetParameter(string name) =>
        _params.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"{GetType().Name} has no parameter '{name}'");

    /// <summary>The buffer registered under a local name (null when registered as absent).</summary>
    protected Tensor? GetBuffer(string name) =>
        _buffers.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"{GetType().Name} has no buffer '{name}'");

    /// <summary>The child registered under a local name.</summary>
    protected Module? GetModule(string name) =>
        _modules.TryGetValue(name, out var m) ? m : throw new KeyNotFoundException($"{GetType().Name} has no submodule '{name}'");

    /// <summary>Replaces a registered parameter, disposing the previous tensor unless it is the same object.</summary>
    protected internal void SetParameter(string name, Tensor? value, bool requiresGrad = true)
    {
        if (!_params.TryGetValue(name, out var old)) throw new KeyNotFoundException($"{GetType().Name} has no parameter '{name}'");
        if (ReferenceEquals(old, value)) return;
        if (value is not null) Adopt(value, requiresGrad);
        _params[name] = value;
        old?.Dispose();
    }

    /// <summary>Replaces a registered buffer, disposing the previous tensor unless it is the same object.</summary>
    protected void SetBuffer(string name, Tensor? value)
    {
        if (!_buffers.TryGetValue(name, out var old)) throw new KeyNotFoundException($"{GetType().Name} has no buffer '{name}'");
        if (ReferenceEquals(old, value)) return;
        value?.DetachFromScope();
        _buffers[name] = value;
        old?.Dispose();
    }

    /// <summary>Replaces a registered child, disposing the previous one unless it is the same object.</summary>
    protected void SetModule(string name, Module? value)
    {
        if (!_modules.TryGetValue(name, out var old)) throw new KeyNotFoundException($"{GetType().Name} has no submodule '{name}'");
        if (ReferenceEquals(old, value)) return;
        _modules[name] = value;
        old?.Dispose();
    }

    // ---- enumeration ----

    /// <summary>
    /// The parameters of this module and (when <paramref name="recurse"/>) its descendants, with dotted names, in
    /// registration order; a tensor shared by two modules appears once. Absent (null) parameters are skipped.
    /// </summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(bool recurse = true)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, m) in recurse ? NamedModules() : new[] { ("", this) })
        {
            foreach (var n in m._paramOrder)
            {
                var t = m._params[n];
                if (t is null || !seen.Add(t)) continue;
                yield return (Join(prefix, n), t);
            }
        }
    }

    /// <summary>The parameter tensors of <see cref="NamedParameters"/> (owned by the module; do not dispose).</summary>
    public IEnumerable<Tensor> Parameters(bool recurse = true) => NamedParameters(recurse).Select(p => p.Parameter);

    /// <summary>The buffers of this module and its descendants, with dotted names (persistent and not).</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(bool recurse = true)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, m) in recurse ? NamedModules() : new[] { ("", this) })
        {
            foreach (var n in m._bufferOrder)
            {
                var t = m._buffers[n];
                if (t is null || !seen.Add(t)) continue;
                yield return (Join(prefix, n), t);
            }
        }
    }

    /// <summary>The buffer tensors of <see cref="NamedBuffers"/>.</summary>
    public IEnumerable<Tensor> Buffers(bool recurse = true) => NamedBuffers(recurse).Select(b => b.Buffer);

    /// <summary>
    /// This module (name <c>""</c>) and every descendant with its dotted path (<c>features.conv0</c>), depth first
    /// in registration order; a module reachable twice appears once.
    /// </summary>
    public IEnumerable<(string Name, Module Module)> NamedModules()
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        var list = new List<(string, Module)>();
        Collect("", this, seen, list);
        return list;
    }

    private static void Collect(string prefix, Module m, HashSet<Module> seen, List<(string, Module)> list)
    {
        if (!seen.Add(m)) return;
        list.Add((prefix, m));
        foreach (var n in m._moduleOrder)
        {
            var c = m._modules[n];
            if (c is not null) Collect(Join(prefix, n), c, seen, list);
        }
    }

    /// <summary>The direct children with their local names (absent children skipped).</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        foreach (var n in _moduleOrder)
            if (_modules[n] is { } c) yield return (n, c);
    }

    /// <summary>The descendant at a dotted path such as <c>features.denseblock1</c>; <c>""</c> is this module.</summary>
    /// <exception cref="KeyNotFoundException">No module at that path.</exception>
    public Module GetSubmodule(string path)
    {
        if (path.Length == 0) return this;
        var m = this;
        foreach (var part in path.Split('.'))
        {
            if (!m._modules.TryGetValue(part, out var c) || c is null)
                throw new KeyNotFoundException($"{GetType().Name} has no submodule '{path}' (missing '{part}' in {m.GetType().Name})");
            m = c;
        }
        return m;
    }

    internal static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    // ---- modes ----

    /// <summary>Sets training mode on this module and all descendants.</summary>
    /// <returns>This module.</returns>
    /// <exception cref="InvalidOperationException">
    /// <paramref name="mode"/> is true and this module or a descendant was folded by <see cref="FuseForInference"/>
    /// (its batch-norm statistics now live inside the convolution weights, so training would be wrong).
    /// </exception>
    public Module Train(bool mode = true)
    {
        if (mode) ThrowIfFused();
        foreach (var (_, m) in NamedModules()) m.IsTraining = mode;
        return this;
    }

    /// <summary>Sets evaluation mode (dropout off, batch norm uses running statistics); same as <c>Train(false)</c>.</summary>
    public Module Eval() => Train(false);

    /// <summary>Clears (or zeroes) the gradient of every parameter.</summary>
    /// <param name="setToNone">True (PyTorch's default) drops the gradient tensors; false fills them with zeros.</param>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in Parameters()) p.ZeroGrad(setToNone);
    }

    // ---- device / dtype ----

    /// <summary>
    /// Moves every parameter and buffer to <paramref name="device"/>. Registered tensors are replaced by the moved
    /// ones (the old ones are disposed), so create optimisers after this call.
    /// </summary>
    /// <returns>This module.</returns>
    public Module To(Device device) => Convert(t => t.Device == device ? null : t.To(device), floatingOnly: false);

    /// <summary>
    /// Casts floating-point parameters and buffers to <paramref name="dtype"/> (integer buffers such as
    /// <c>num_batches_tracked</c> keep their type, as in PyTorch). Registered tensors are replaced.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not floating point.</exception>
    public Module To(DType dtype)
    {
        if (!dtype.IsFloatingPoint()) throw new ArgumentException($"Module.To only accepts floating-point dtypes, got {dtype.TorchName()}", nameof(dtype));
        return Convert(t => t.DType == dtype ? null : t.To(dtype), floatingOnly: true);
    }

    private Module Convert(Func<Tensor, Tensor?> f, bool floatingOnly)
    {
        var done = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        using var noGrad = Torch.NoGrad();
        foreach (var (_, m) in NamedModules())
        {
            foreach (var n in m._paramOrder)
            {
                var t = m._params[n];
                if (t is null || (floatingOnly && !t.DType.IsFloatingPoint())) continue;
                if (!done.TryGetValue(t, out var nt))
                {
                    var moved = f(t);
                    if (moved is null) continue;
                    nt = moved.DetachFromScope();
                    if (t.RequiresGrad) nt.RequiresGrad = true;
                    done[t] = nt;
                }
                m._params[n] = nt;
            }
            foreach (var n in m._bufferOrder)
            {
                var t = m._buffers[n];
                if (t is null || (floatingOnly && !t.DType.IsFloatingPoint())) continue;
                if (!done.TryGetValue(t, out var nt))
                {
                    var moved = f(t);
                    if (moved is null) continue;
                    nt = moved.DetachFromScope();
                    done[t] = nt;
                }
                m._buffers[n] = nt;
            }
        }
        foreach (var old in done.Keys) old.Dispose();
        return this;
    }

    // ---- disposal ----

    /// <summary>Disposes every parameter, buffer and child module this module owns. Safe to call twice.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var n in _moduleOrder) _modules[n]?.Dispose();
        foreach (var n in _paramOrder) _params[n]?.Dispose();
        foreach (var n in _bufferOrder) _buffers[n]?.Dispose();
        OnDispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Hook for subclasses that own other resources; called once by <see cref="Dispose"/>.</summary>
    protected virtual void OnDispose() { }

    /// <summary>A one-line description, e.g. <c>Linear(in_features=4, out_features=2, bias=True)</c>.</summary>
    public override string ToString() => GetType().Name + "(" + ExtraRepr() + ")";

    /// <summary>The argument summary shown by <see cref="ToString"/> (PyTorch's <c>extra_repr</c>).</summary>
    protected virtual string ExtraRepr() => "";
}
