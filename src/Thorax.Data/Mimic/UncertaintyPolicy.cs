namespace Thorax.Data.Mimic;

/// <summary>How CheXpert-style label values map to training targets. Values: 1 positive, 0 negative,
/// -1 uncertain, blank not mentioned. NaN in the output means "masked / not used in the loss".</summary>
public sealed record UncertaintyPolicy
{
    /// <summary>U-Ignore, blank = NaN (masked): the strict default.</summary>
    public static UncertaintyPolicy Default { get; } = new();

    /// <summary>U-Ones with blank = 0: CXLSeg's classification baseline (NaN-&gt;0, -1-&gt;1).</summary>
    public static UncertaintyPolicy CxlSeg { get; } = new() { Uncertain = 1f, Blank = 0f };

    /// <summary>Target for -1 (default NaN = ignore; 1 = U-Ones; 0 = U-Zeros).</summary>
    public float Uncertain { get; init; } = float.NaN;

    /// <summary>Target for a blank cell (default NaN = ignore; 0 = treat as negative).</summary>
    public float Blank { get; init; } = float.NaN;
}
