namespace Thorax.Models.Weights;

/// <summary>
/// A strict <see cref="StateDicts.Load"/> found missing keys, unexpected keys or shape/dtype mismatches; the
/// message lists them all by key and the module was left unchanged.
/// </summary>
public sealed class StateDictException : Exception
{
    /// <summary>Creates the exception from a load result.</summary>
    public StateDictException(string moduleName, LoadStateDictResult result) : base(Describe(moduleName, result)) => Result = result;

    /// <summary>The keys that failed.</summary>
    public LoadStateDictResult Result { get; }

    private static string Describe(string moduleName, LoadStateDictResult r)
    {
        var parts = new List<string>();
        if (r.MissingKeys.Count > 0) parts.Add("missing keys: " + string.Join(", ", r.MissingKeys.Select(k => $"\"{k}\"")));
        if (r.UnexpectedKeys.Count > 0) parts.Add("unexpected keys: " + string.Join(", ", r.UnexpectedKeys.Select(k => $"\"{k}\"")));
        if (r.Mismatches.Count > 0) parts.Add("size mismatches: " + string.Join("; ", r.Mismatches));
        return $"error(s) loading state dict for {moduleName}: " + string.Join(". ", parts) + ".";
    }
}
