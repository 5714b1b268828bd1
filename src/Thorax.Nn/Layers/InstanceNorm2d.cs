namespace Thorax.Nn;

/// <summary>
/// Instance normalisation of (N, C, H, W) inputs: each sample's channels are normalised over H×W. Optional
/// <c>weight</c>/<c>bias</c> (affine) and <c>running_mean</c>/<c>running_var</c>/<c>num_batches_tracked</c>
/// (track_running_stats); PyTorch's defaults are neither.
/// </summary>
/// <remarks>PyTorch: <c>torch.nn.InstanceNorm2d</c>.</remarks>
public sealed class InstanceNorm2d : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer.</summary>
    public InstanceNorm2d(long numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = false, bool trackRunningStats = false,
                          DType dtype = DType.Float32)
    {
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        TrackRunningStats = trackRunningStats;
        var shape = new[] { numFeatures };
        RegisterParameter("weight", affine ? Torch.Ones(shape, dtype) : null);
        RegisterParameter("bias", affine ? Torch.Zeros(shape, dtype) : null);
        RegisterBuffer("running_mean", trackRunningStats ? Torch.Zeros(shape, dtype) : null);
        RegisterBuffer("running_var", trackRunningStats ? Torch.Ones(shape, dtype) : null);
        RegisterBuffer("num_batches_tracked", trackRunningStats ? Torch.Scalar(0, DType.Int64) : null);
    }

    /// <summary>Channels C.</summary>
    public long NumFeatures { get; }

    /// <summary>Variance epsilon.</summary>
    public double Eps { get; }

    /// <summary>Running-statistics update factor.</summary>
    public double Momentum { get; }

    /// <summary>Whether running statistics are kept and used in eval mode.</summary>
    public bool TrackRunningStats { get; }

    /// <summary>Scale (C) or null.</summary>
    public Tensor? Weight => GetParameter("weight");

    /// <summary>Shift (C) or null.</summary>
    public Tensor? Bias => GetParameter("bias");

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        if (input.Dim != 4) throw new TorchException("instance_norm2d", $"expected 4D input (got {input.Dim}D input)");
        var useInputStats = IsTraining || !TrackRunningStats;
        return Functional.InstanceNorm(input, GetBuffer("running_mean"), GetBuffer("running_var"), Weight, Bias, useInputStats, Momentum, Eps);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{NumFeatures}, eps={Eps}, momentum={Momentum}, affine={Weight is not null}, track_running_stats={TrackRunningStats}";
}
