namespace Thorax.Nn;

/// <summary>
/// 1-D convolution: input (N, C_in, L) → (N, C_out, L_out). Parameters <c>weight</c> (C_out, C_in/groups, k) and
/// <c>bias</c> (C_out), initialised as PyTorch.
/// </summary>
/// <remarks>PyTorch: <c>torch.nn.Conv1d</c>.</remarks>
public sealed class Conv1d : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer.</summary>
    public Conv1d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, long dilation = 1, long groups = 1,
                  bool bias = true, PaddingMode paddingMode = PaddingMode.Zeros, DType dtype = DType.Float32, Generator? generator = null)
    {
        ConvInit.CheckChannels(inChannels, outChannels, groups);
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        Groups = groups;
        PaddingMode = paddingMode;
        var (w, b) = ConvInit.Create(new[] { outChannels, inChannels / groups, kernelSize }, outChannels, bias, dtype, generator);
        RegisterParameter("weight", w);
        RegisterParameter("bias", b);
    }

    /// <summary>Input channels.</summary>
    public long InChannels { get; }

    /// <summary>Output channels.</summary>
    public long OutChannels { get; }

    /// <summary>Kernel length.</summary>
    public long KernelSize { get; }

    /// <summary>Stride.</summary>
    public long Stride { get; }

    /// <summary>Padding on each side.</summary>
    public long Padding { get; }

    /// <summary>Dilation.</summary>
    public long Dilation { get; }

    /// <summary>Channel groups.</summary>
    public long Groups { get; }

    /// <summary>How the input is padded.</summary>
    public PaddingMode PaddingMode { get; }

    /// <summary>The weight, (C_out, C_in/groups, k).</summary>
    public Tensor Weight => GetParameter("weight")!;

    /// <summary>The bias, (C_out), or null.</summary>
    public Tensor? Bias => GetParameter("bias");

    /// <summary>
    /// Folds <paramref name="batchNorm"/>, an evaluation-mode batch norm applied to this layer's output, into
    /// <see cref="Weight"/> and <see cref="Bias"/> (a missing bias is created), so that this layer alone computes what
    /// the pair computed in evaluation mode (see <see cref="Module.FuseForInference"/> for the formula). The batch norm
    /// itself is not changed: the caller removes it from the forward pass.
    /// </summary>
    /// <param name="batchNorm">The batch norm that follows this layer.</param>
    /// <returns>
    /// False, changing nothing, when the batch norm keeps no running statistics (it then normalises with batch
    /// statistics even in evaluation mode) or does not match this layer's output channels, dtype or device.
    /// </returns>
    public bool TryFoldBatchNorm(BatchNorm1d batchNorm) =>
        BatchNormFolding.TryFoldInto(this, Weight, Bias, batchNorm, OutChannels, transposed: false, Groups);

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        if (PaddingMode == PaddingMode.Zeros) return Functional.Conv1d(input, Weight, Bias, Stride, Padding, Dilation, Groups);
        using var padded = Functional.Pad(input, new[] { Padding, Padding }, ConvInit.ToPadMode(PaddingMode));
        return Functional.Conv1d(padded, Weight, Bias, Stride, 0, Dilation, Groups);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{InChannels}, {OutChannels}, kernel_size=({KernelSize},), stride=({Stride},), padding=({Padding},), groups={Groups}, bias={(Bias is null ? "False" : "True")}";
}
