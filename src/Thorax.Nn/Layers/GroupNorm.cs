namespace Thorax.Nn;

/// <summary>
/// Group normalisation: channels of an input (N, C, *) are split into groups normalised separately. Parameters
/// <c>weight</c> (C, ones) and <c>bias</c> (C, zeros) when affine.
/// </summary>
/// <remarks>PyTorch: <c>torch.nn.GroupNorm</c>.</remarks>
public sealed class GroupNorm : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer.</summary>
    /// <exception cref="ArgumentException"><paramref name="numChannels"/> is not divisible by <paramref name="numGroups"/>.</exception>
    public GroupNorm(long numGroups, long numChannels, double eps = 1e-5, bool affine = true, DType dtype = DType.Float32)
    {
        if (numGroups <= 0 || numChannels % numGroups != 0)
            throw new ArgumentException($"num_channels ({numChannels}) must be divisible by num_groups ({numGroups})");
        NumGroups = numGroups;
        NumChannels = numChannels;
        Eps = eps;
        RegisterParameter("weight", affine ? Torch.Ones(new[] { numChannels }, dtype) : null);
        RegisterParameter("bias", affine ? Torch.Zeros(new[] { numChannels }, dtype) : null);
    }

    /// <summary>Number of groups.</summary>
    public long NumGroups { get; }

    /// <summary>Channels C.</summary>
    public long NumChannels { get; }

    /// <summary>Variance epsilon.</summary>
    public double Eps { get; }

    /// <summary>Scale (C) or null.</summary>
    public Tensor? Weight => GetParameter("weight");

    /// <summary>Shift (C) or null.</summary>
    public Tensor? Bias => GetParameter("bias");

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.GroupNorm(input, NumGroups, Weight, Bias, Eps);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{NumGroups}, {NumChannels}, eps={Eps}, affine={Weight is not null}";
}
