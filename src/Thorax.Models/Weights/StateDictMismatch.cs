namespace Thorax.Models.Weights;

/// <summary>A state-dict entry whose shape or dtype does not fit the module's tensor.</summary>
/// <param name="Key">Dotted key, e.g. <c>fc.weight</c>.</param>
/// <param name="Expected">The module tensor's shape and dtype, e.g. <c>[10, 4] torch.float32</c>.</param>
/// <param name="Actual">The given tensor's shape and dtype.</param>
public sealed record StateDictMismatch(string Key, string Expected, string Actual)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Key}: expected {Expected}, got {Actual}";
}
