namespace Thorax.Nn;

/// <summary>Arguments of one <see cref="MultiheadAttention"/> call.</summary>
/// <param name="Query">(L, N, E), or (N, L, E) when batch_first.</param>
/// <param name="Key">(S, N, E), or (N, S, E) when batch_first.</param>
/// <param name="Value">(S, N, E), or (N, S, E) when batch_first.</param>
/// <param name="KeyPaddingMask">Optional (N, S): bool (true = ignore that key) or float (added to the scores).</param>
/// <param name="AttnMask">Optional (L, S) or (N·heads, L, S): bool (true = not allowed) or float (added to the scores).</param>
/// <param name="NeedWeights">Whether to return the attention weights.</param>
/// <param name="AverageAttnWeights">Average the returned weights over heads: (N, L, S); otherwise (N, heads, L, S).</param>
public sealed record AttentionInput(Tensor Query, Tensor Key, Tensor Value, Tensor? KeyPaddingMask = null, Tensor? AttnMask = null,
                                    bool NeedWeights = true, bool AverageAttnWeights = true);
