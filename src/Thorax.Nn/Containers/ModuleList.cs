using System.Collections;

namespace Thorax.Nn;

/// <summary>
/// An indexable list of child modules registered under the keys <c>"0"</c>, <c>"1"</c>, …; it has no forward pass.
/// </summary>
/// <remarks>PyTorch: <c>torch.nn.ModuleList</c>.</remarks>
public sealed class ModuleList : Module, IReadOnlyList<Module>
{
    private readonly List<Module> _items = new();

    /// <summary>Creates the list.</summary>
    public ModuleList(params Module[] modules)
    {
        foreach (var m in modules) Append(m);
    }

    /// <summary>Adds a child under the next index key.</summary>
    /// <returns>This list.</returns>
    public ModuleList Append(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        _items.Add(module);
        return this;
    }

    /// <inheritdoc/>
    public Module this[int index] => _items[index];

    /// <inheritdoc/>
    public int Count => _items.Count;

    /// <inheritdoc/>
    public IEnumerator<Module> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
