namespace Thorax.Models.Weights;

/// <summary>What <see cref="StateDicts.Load"/> could not load.</summary>
/// <param name="MissingKeys">Module keys absent from the dictionary (left unchanged).</param>
/// <param name="UnexpectedKeys">Dictionary keys the module does not have (ignored).</param>
/// <param name="Mismatches">Keys present on both sides whose shape or dtype kind differs (left unchanged).</param>
public sealed record LoadStateDictResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys, IReadOnlyList<StateDictMismatch> Mismatches)
{
    /// <summary>True when every key matched and every tensor was copied.</summary>
    public bool IsComplete => MissingKeys.Count == 0 && UnexpectedKeys.Count == 0 && Mismatches.Count == 0;
}
