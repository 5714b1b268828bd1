using System.Collections;

namespace Thorax.Nn;

/// <summary>
/// An ordered map from dotted names (<c>features.conv0.weight</c>) to tensors, as produced by
/// <see cref="Module.StateDict"/> or read from a weight file. The dictionary owns its tensors:
/// <see cref="Dispose"/> frees them (tensors added with <see cref="Add"/> become owned by it).
/// </summary>
/// <remarks>PyTorch: the <c>OrderedDict</c> returned by <c>Module.state_dict()</c>.</remarks>
public sealed class StateDict : IReadOnlyDictionary<string, Tensor>, IDisposable
{
    private readonly List<string> _order = new();
    private readonly Dictionary<string, Tensor> _map = new(StringComparer.Ordinal);

    /// <summary>Number of entries.</summary>
    public int Count => _map.Count;

    /// <summary>The keys in insertion order.</summary>
    public IEnumerable<string> Keys => _order;

    /// <summary>The tensors in insertion order.</summary>
    public IEnumerable<Tensor> Values => _order.Select(k => _map[k]);

    /// <summary>The tensor stored under <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such key.</exception>
    public Tensor this[string key] =>
        _map.TryGetValue(key, out var t) ? t : throw new KeyNotFoundException($"state dict has no key '{key}'");

    /// <summary>Adds an entry; the dictionary takes ownership of <paramref name="tensor"/> (it leaves its scope).</summary>
    /// <exception cref="ArgumentException">The key exists already.</exception>
    public void Add(string key, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(tensor);
        if (_map.ContainsKey(key)) throw new ArgumentException($"state dict already has key '{key}'", nameof(key));
        tensor.DetachFromScope();
        _order.Add(key);
        _map[key] = tensor;
    }

    /// <summary>Removes an entry and returns its tensor, which the caller then owns; null when absent.</summary>
    public Tensor? Remove(string key)
    {
        if (!_map.Remove(key, out var t)) return null;
        _order.Remove(key);
        return t;
    }

    /// <inheritdoc/>
    public bool ContainsKey(string key) => _map.ContainsKey(key);

    /// <inheritdoc/>
    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Tensor value) => _map.TryGetValue(key, out value);

    /// <summary>
    /// A new dictionary with the entries whose key starts with <paramref name="prefix"/>, the prefix removed
    /// (e.g. <c>"model."</c> or <c>"module."</c> from DataParallel checkpoints). Tensors are shared aliases owned by the result.
    /// </summary>
    public StateDict WithPrefixRemoved(string prefix)
    {
        var r = new StateDict();
        foreach (var k in _order)
            if (k.StartsWith(prefix, StringComparison.Ordinal)) r.Add(k[prefix.Length..], _map[k].Alias());
        return r;
    }

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator()
    {
        foreach (var k in _order) yield return new KeyValuePair<string, Tensor>(k, _map[k]);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Disposes every tensor and empties the dictionary.</summary>
    public void Dispose()
    {
        foreach (var t in _map.Values) t.Dispose();
        _map.Clear();
        _order.Clear();
    }
}
