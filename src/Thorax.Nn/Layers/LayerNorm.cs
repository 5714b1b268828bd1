namespace Thorax.Nn;

/// <summary>
/// Layer normalisation over the trailing dimensions given by <c>normalizedShape</c>. Parameters <c>weight</c>
/// (ones) and <c>bias</c> (zeros) of that shape when <c>elementwiseAffine</c>.
/// </summary>
/// <remarks>PyTorch: <c>torch.nn.LayerNorm</c>.</remarks>
public sealed class LayerNorm : Module<Tensor, Tensor>
{
    private readonly long[] _shape;

    /// <summary>Creates the layer normalising over the last dimension of size <paramref name="normalizedSize"/>.</summary>
    public LayerNorm(long normalizedSize, double eps = 1e-5, bool elementwiseAffine = true, DType dtype = DType.Float32)
        : this(new[] { normalizedSize }, eps, elementwiseAffine, dtype)
    {
    }

    /// <summary>Creates the layer normalising over the trailing dimensions <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(long[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, DType dtype = DType.Float32)
    {
        if (normalizedShape.Length == 0) throw new ArgumentException("normalized_shape must not be empty", nameof(normalizedShape));
        _shape = (long[])normalizedShape.Clone();
        Eps = eps;
        RegisterParameter("weight", elementwiseAffine ? Torch.Ones(_shape, dtype) : null);
        RegisterParameter("bias", elementwiseAffine ? Torch.Zeros(_shape, dtype) : null);
    }

    /// <summary>The normalised trailing shape.</summary>
    public IReadOnlyList<long> NormalizedShape => _shape;

    /// <summary>Variance epsilon.</summary>
    public double Eps { get; }

    /// <summary>Scale or null.</summary>
    public Tensor? Weight => GetParameter("weight");

    /// <summary>Shift or null.</summary>
    public Tensor? Bias => GetParameter("bias");

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.LayerNorm(input, _shape, Weight, Bias, Eps);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"({string.Join(", ", _shape)},), eps={Eps}, elementwise_affine={Weight is not null}";
}
