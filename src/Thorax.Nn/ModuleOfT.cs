namespace Thorax.Nn;

/// <summary>
/// A module with a typed forward pass. Call <see cref="Forward"/>: it runs the forward pre-hooks, then
/// <see cref="ForwardCore"/> (which subclasses implement), then the forward hooks, so hooks see every call,
/// including calls made by parent modules (Grad-CAM captures activations this way).
/// </summary>
/// <typeparam name="TIn">Input type, usually <see cref="Tensor"/>.</typeparam>
/// <typeparam name="TOut">Output type.</typeparam>
public abstract class Module<TIn, TOut> : Module
{
    private readonly List<Action<Module<TIn, TOut>, TIn>> _preHooks = new();
    private readonly List<Action<Module<TIn, TOut>, TIn, TOut>> _postHooks = new();

    /// <summary>Runs the module: pre-hooks, <see cref="ForwardCore"/>, hooks.</summary>
    /// <returns>The output; new tensors are owned by the caller or the current <c>TensorScope</c>.</returns>
    public TOut Forward(TIn input)
    {
        for (var i = 0; i < _preHooks.Count; i++) _preHooks[i](this, input);
        var output = ForwardCore(input);
        for (var i = 0; i < _postHooks.Count; i++) _postHooks[i](this, input, output);
        return output;
    }

    /// <summary>True while a forward hook or pre-hook is registered (inference fusion then leaves the module's output alone).</summary>
    public override bool HasHooks => _preHooks.Count > 0 || _postHooks.Count > 0;

    /// <summary>The computation proper (PyTorch's <c>forward</c>).</summary>
    protected abstract TOut ForwardCore(TIn input);

    /// <summary>Adds a hook called with the input before every forward pass.</summary>
    /// <returns>A handle whose <c>Dispose</c> removes the hook.</returns>
    /// <remarks>PyTorch: <c>register_forward_pre_hook</c> (observing only; the input cannot be replaced).</remarks>
    public IDisposable RegisterForwardPreHook(Action<Module<TIn, TOut>, TIn> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        _preHooks.Add(hook);
        return new HookHandle(() => _preHooks.Remove(hook));
    }

    /// <summary>
    /// Adds a hook called with the input and output after every forward pass. The hook must not dispose them; to keep
    /// an activation beyond the current <c>TensorScope</c>, take an alias and detach it from the scope.
    /// </summary>
    /// <returns>A handle whose <c>Dispose</c> removes the hook.</returns>
    /// <remarks>PyTorch: <c>register_forward_hook</c> (observing only; the output cannot be replaced).</remarks>
    public IDisposable RegisterForwardHook(Action<Module<TIn, TOut>, TIn, TOut> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        _postHooks.Add(hook);
        return new HookHandle(() => _postHooks.Remove(hook));
    }

    private sealed class HookHandle(Action remove) : IDisposable
    {
        private Action? _remove = remove;

        public void Dispose()
        {
            _remove?.Invoke();
            _remove = null;
        }
    }
}
