namespace Thorax.Models.Tests.Support;

/// <summary>Looks up a descendant by dotted path (PyTorch's <c>get_submodule</c>, which TorchSharp lacks).</summary>
internal static class ModuleTree
{
    public static nn.Module Get(nn.Module root, string path)
    {
        var m = root;
        foreach (var part in path.Split('.'))
            m = m.named_children().FirstOrDefault(c => c.name == part).module
                ?? throw new KeyNotFoundException($"{root.GetType().Name} has no submodule '{path}' (missing '{part}')");
        return m;
    }
}
