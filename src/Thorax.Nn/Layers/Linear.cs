namespace Thorax.Nn;

/// <summary>
/// Affine map y = x Wᵀ + b over the last dimension: input (*, in_features) → output (*, out_features).
/// Parameters <c>weight</c> (out, in) and <c>bias</c> (out), initialised as PyTorch does: kaiming_uniform(a=√5) for
/// the weight (U(±1/√in)) and U(±1/√in) for the bias.
/// </summary>
/// <remarks>PyTorch: <c>torch.nn.Linear</c>.</remarks>
public sealed class Linear : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer.</summary>
    /// <param name="inFeatures">Size of each input sample.</param>
    /// <param name="outFeatures">Size of each output sample.</param>
    /// <param name="bias">Whether to learn an additive bias.</param>
    /// <param name="dtype">Parameter dtype (float32 by default).</param>
    /// <param name="generator">Optional seeded generator for the initial weights.</param>
    public Linear(long inFeatures, long outFeatures, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (inFeatures < 0 || outFeatures < 0) throw new ArgumentOutOfRangeException(nameof(inFeatures), "feature counts must be non-negative");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        var w = Torch.Empty(new[] { outFeatures, inFeatures }, dtype);
        Init.KaimingUniform_(w, Math.Sqrt(5), generator: generator);
        RegisterParameter("weight", w);
        Tensor? b = null;
        if (bias)
        {
            b = Torch.Empty(new[] { outFeatures }, dtype);
            var bound = inFeatures > 0 ? 1 / Math.Sqrt(inFeatures) : 0;
            Init.Uniform_(b, -bound, bound, generator);
        }
        RegisterParameter("bias", b);
    }

    /// <summary>Input feature count.</summary>
    public long InFeatures { get; }

    /// <summary>Output feature count.</summary>
    public long OutFeatures { get; }

    /// <summary>The weight, (out_features, in_features).</summary>
    public Tensor Weight => GetParameter("weight")!;

    /// <summary>The bias, (out_features), or null.</summary>
    public Tensor? Bias => GetParameter("bias");

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Linear(input, Weight, Bias);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias is null ? "False" : "True")}";
}
