using System.Collections;

namespace Thorax.Nn;

/// <summary>Child modules by name, in insertion order; it has no forward pass.</summary>
/// <remarks>PyTorch: <c>torch.nn.ModuleDict</c>.</remarks>
public sealed class ModuleDict : Module, IReadOnlyDictionary<string, Module>
{
    private readonly List<string> _order = new();
    private readonly Dictionary<string, Module> _items = new(StringComparer.Ordinal);

    /// <summary>Creates the dictionary.</summary>
    public ModuleDict(params (string Name, Module Module)[] modules)
    {
        foreach (var (n, m) in modules) Add(n, m);
    }

    /// <summary>Adds a named child.</summary>
    /// <exception cref="ArgumentException">The name is taken or contains '.'.</exception>
    public void Add(string name, Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(name, module);
        _order.Add(name);
        _items[name] = module;
    }

    /// <inheritdoc/>
    public Module this[string key] => _items.TryGetValue(key, out var m) ? m : throw new KeyNotFoundException($"ModuleDict has no key '{key}'");

    /// <inheritdoc/>
    public IEnumerable<string> Keys => _order;

    /// <inheritdoc/>
    public IEnumerable<Module> Values => _order.Select(k => _items[k]);

    /// <inheritdoc/>
    public int Count => _items.Count;

    /// <inheritdoc/>
    public bool ContainsKey(string key) => _items.ContainsKey(key);

    /// <inheritdoc/>
    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Module value) => _items.TryGetValue(key, out value);

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, Module>> GetEnumerator()
    {
        foreach (var k in _order) yield return new KeyValuePair<string, Module>(k, _items[k]);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
