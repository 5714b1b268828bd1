namespace Thorax.Nn;

/// <summary>
/// 2-D transposed convolution: input (N, C_in, H, W) → (N, C_out, H_out, W_out) with
/// H_out = (H−1)·stride − 2·padding + dilation·(k−1) + output_padding + 1. Parameters <c>weight</c>
/// (C_in, C_out/groups, kH, kW) and <c>bias</c> (C_out), initialised as PyTorch.
/// </summary>
/// <remarks>PyTorch: <c>torch.nn.ConvTranspose2d</c>.</remarks>
public sealed class ConvTranspose2d : Module<Tensor, Tensor>
{
    private readonly long[] _kernel, _stride, _padding, _outputPadding, _dilation;

    /// <summary>Creates a layer with square kernel, stride and paddings.</summary>
    public ConvTranspose2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, long outputPadding = 0, long groups = 1,
                           bool bias = true, long dilation = 1, DType dtype = DType.Float32, Generator? generator = null)
    {
        ConvInit.CheckChannels(inChannels, outChannels, groups);
        if (outputPadding >= Math.Max(stride, dilation))
            throw new ArgumentException($"output padding ({outputPadding}) must be smaller than either stride ({stride}) or dilation ({dilation})");
        InChannels = inChannels;
        OutChannels = outChannels;
        Groups = groups;
        _kernel = new[] { kernelSize, kernelSize };
        _stride = new[] { stride, stride };
        _padding = new[] { padding, padding };
        _outputPadding = new[] { outputPadding, outputPadding };
        _dilation = new[] { dilation, dilation };
        var (w, b) = ConvInit.Create(new[] { inChannels, outChannels / groups, kernelSize, kernelSize }, outChannels, bias, dtype, generator);
        RegisterParameter("weight", w);
        RegisterParameter("bias", b);
    }

    /// <summary>Input channels.</summary>
    public long InChannels { get; }

    /// <summary>Output channels.</summary>
    public long OutChannels { get; }

    /// <summary>Channel groups.</summary>
    public long Groups { get; }

    /// <summary>The weight, (C_in, C_out/groups, kH, kW).</summary>
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
    public bool TryFoldBatchNorm(BatchNorm2d batchNorm) =>
        BatchNormFolding.TryFoldInto(this, Weight, Bias, batchNorm, OutChannels, transposed: true, Groups);

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) =>
        Functional.ConvTranspose2d(input, Weight, Bias, _stride, _padding, _outputPadding, Groups, _dilation);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{InChannels}, {OutChannels}, kernel_size=({_kernel[0]}, {_kernel[1]}), stride=({_stride[0]}, {_stride[1]}), padding=({_padding[0]}, {_padding[1]}), output_padding=({_outputPadding[0]}, {_outputPadding[1]})";
}
