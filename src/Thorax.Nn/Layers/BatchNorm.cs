namespace Thorax.Nn;

/// <summary>
/// Shared implementation of <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/>: per-channel normalisation over
/// the batch (and spatial) dimensions of an input (N, C, ...). Parameters <c>weight</c> (ones) and <c>bias</c>
/// (zeros) when affine; buffers <c>running_mean</c> (zeros), <c>running_var</c> (ones) and
/// <c>num_batches_tracked</c> (int64 0-d, 0) when tracking running statistics.
/// </summary>
/// <remarks>PyTorch: <c>torch.nn.modules.batchnorm._BatchNorm</c>.</remarks>
public abstract class BatchNorm : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer.</summary>
    /// <param name="numFeatures">Channels C.</param>
    /// <param name="eps">Added to the variance for stability.</param>
    /// <param name="momentum">Running-statistics update factor; null for a cumulative moving average (1 / num_batches_tracked).</param>
    /// <param name="affine">Whether to learn a per-channel scale and shift.</param>
    /// <param name="trackRunningStats">Whether to keep running statistics (used in eval mode).</param>
    /// <param name="dtype">Floating dtype of parameters and running statistics.</param>
    protected BatchNorm(long numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats, DType dtype)
    {
        if (numFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(numFeatures), numFeatures, "num_features must be positive");
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        Affine = affine;
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

    /// <summary>
    /// Update factor of the running statistics (running = (1 - m)·running + m·batch); null means cumulative average.
    /// Settable, as PyTorch's <c>bn.momentum</c> attribute, e.g. to let a network built with Keras' slow 0.01 track its
    /// statistics faster in a short training run.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A value outside [0, 1].</exception>
    public double? Momentum
    {
        get => _momentum;
        set
        {
            if (value is < 0 or > 1 || (value is { } v && double.IsNaN(v)))
                throw new ArgumentOutOfRangeException(nameof(value), value, "momentum must be in [0, 1] or null");
            _momentum = value;
        }
    }

    private double? _momentum;

    /// <summary>Whether <c>weight</c> and <c>bias</c> exist.</summary>
    public bool Affine { get; }

    /// <summary>Whether running statistics are kept.</summary>
    public bool TrackRunningStats { get; }

    /// <summary>Scale (C) or null.</summary>
    public Tensor? Weight => GetParameter("weight");

    /// <summary>Shift (C) or null.</summary>
    public Tensor? Bias => GetParameter("bias");

    /// <summary>Running mean (C) or null.</summary>
    public Tensor? RunningMean => GetBuffer("running_mean");

    /// <summary>Running (unbiased) variance (C) or null.</summary>
    public Tensor? RunningVar => GetBuffer("running_var");

    /// <summary>Number of training batches seen (int64 0-d) or null.</summary>
    public Tensor? NumBatchesTracked => GetBuffer("num_batches_tracked");

    /// <summary>Throws when the input rank is not accepted by the concrete layer.</summary>
    protected abstract void CheckInputDim(Tensor input);

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        CheckInputDim(input);
        var factor = Momentum ?? 0.0;
        if (IsTraining && TrackRunningStats && NumBatchesTracked is { } nbt)
        {
            using (Torch.NoGrad())
            using (var one = Torch.Scalar(1, DType.Int64)) nbt.Add_(one);
            if (Momentum is null) factor = 1.0 / nbt.ItemInt64();
        }
        var bnTraining = IsTraining || (RunningMean is null && RunningVar is null);
        var useStats = !IsTraining || TrackRunningStats;
        return Functional.BatchNorm(input, useStats ? RunningMean : null, useStats ? RunningVar : null, Weight, Bias, bnTraining, factor, Eps);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{NumFeatures}, eps={Eps}, momentum={(Momentum is null ? "None" : Momentum.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))}, affine={Affine}, track_running_stats={TrackRunningStats}";
}
