namespace Thorax;

/// <summary>
/// A dispose scope: every tensor created on this thread while the scope is the innermost one is disposed with it,
/// unless it was moved out (<see cref="Tensor.MoveToOuterScope"/>) or detached (<see cref="Tensor.DetachFromScope"/>).
/// Wrap each training step in one so that the step's temporaries free their native memory deterministically.
/// </summary>
/// <example><code>
/// using (var scope = Torch.NewScope()) {
///     var loss = F.MseLoss(model.Forward(x), y);
///     loss.Backward();
///     lossValue = loss.Item();
/// } // every temporary of the step is freed here
/// </code></example>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;
    private readonly List<Tensor> _tensors = new();
    private bool _disposed;

    internal TensorScope()
    {
        Outer = _current;
        _current = this;
    }

    /// <summary>The enclosing scope on this thread, or null.</summary>
    public TensorScope? Outer { get; }

    /// <summary>The innermost open scope on this thread, or null.</summary>
    public static TensorScope? Current => _current;

    /// <summary>Number of tensors this scope currently owns.</summary>
    public int Count => _tensors.Count;

    internal void Add(Tensor t) => _tensors.Add(t);

    internal void Remove(Tensor t)
    {
        // Tensors usually leave in reverse order of creation; search from the end.
        for (var i = _tensors.Count - 1; i >= 0; i--)
        {
            if (ReferenceEquals(_tensors[i], t))
            {
                _tensors.RemoveAt(i);
                return;
            }
        }
    }

    /// <summary>Disposes every owned tensor except <paramref name="keep"/>, which stay owned by this scope.</summary>
    public void DisposeEverythingBut(params Tensor[] keep)
    {
        var kept = new List<Tensor>();
        foreach (var t in _tensors)
        {
            if (Array.IndexOf(keep, t) >= 0) kept.Add(t);
            else t.DisposeFromScope();
        }
        _tensors.Clear();
        _tensors.AddRange(kept);
    }

    /// <summary>Disposes every tensor the scope owns and makes the enclosing scope current again.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!ReferenceEquals(_current, this))
            throw new InvalidOperationException("tensor scopes must be disposed in reverse order of creation, on the thread that created them");
        _current = Outer;
        foreach (var t in _tensors) t.DisposeFromScope();
        _tensors.Clear();
    }
}
