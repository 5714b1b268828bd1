namespace Thorax.Nn;

/// <summary>
/// 2-D convolution: input (N, C_in, H, W) → (N, C_out, H_out, W_out). Parameters <c>weight</c>
/// (C_out, C_in/groups, kH, kW) and <c>bias</c> (C_out), initialised as PyTorch (kaiming_uniform(a=√5), fan-in uniform bias).
/// </summary>
/// <remarks>PyTorch: <c>torch.nn.Conv2d</c>.</remarks>
public sealed class Conv2d : Module<Tensor, Tensor>
{
    private readonly long[] _kernel, _stride, _padding, _dilation;

    /// <summary>Creates a layer with square kernel, stride, padding and dilation.</summary>
    public Conv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, long dilation = 1, long groups = 1,
                  bool bias = true, PaddingMode paddingMode = PaddingMode.Zeros, DType dtype = DType.Float32, Generator? generator = null)
        : this(inChannels, outChannels, new[] { kernelSize, kernelSize }, new[] { stride, stride }, new[] { padding, padding },
               new[] { dilation, dilation }, groups, bias, paddingMode, dtype, generator)
    {
    }

    /// <summary>Creates a layer; the arrays hold (height, width) values.</summary>
    public Conv2d(long inChannels, long outChannels, long[] kernelSize, long[] stride, long[] padding, long[] dilation, long groups = 1,
                  bool bias = true, PaddingMode paddingMode = PaddingMode.Zeros, DType dtype = DType.Float32, Generator? generator = null)
    {
        ConvInit.CheckChannels(inChannels, outChannels, groups);
        InChannels = inChannels;
        OutChannels = outChannels;
        Groups = groups;
        PaddingMode = paddingMode;
        _kernel = (long[])kernelSize.Clone();
        _stride = (long[])stride.Clone();
        _padding = (long[])padding.Clone();
        _dilation = (long[])dilation.Clone();
        var (w, b) = ConvInit.Create(new[] { outChannels, inChannels / groups, _kernel[0], _kernel[1] }, outChannels, bias, dtype, generator);
        RegisterParameter("weight", w);
        RegisterParameter("bias", b);
    }

    /// <summary>Input channels.</summary>
    public long InChannels { get; }

    /// <summary>Output channels.</summary>
    public long OutChannels { get; }

    /// <summary>Channel groups.</summary>
    public long Groups { get; }

    /// <summary>How the input is padded.</summary>
    public PaddingMode PaddingMode { get; }

    /// <summary>Kernel (height, width).</summary>
    public IReadOnlyList<long> KernelSize => _kernel;

    /// <summary>Stride (height, width).</summary>
    public IReadOnlyList<long> Stride => _stride;

    /// <summary>Padding (height, width).</summary>
    public IReadOnlyList<long> Padding => _padding;

    /// <summary>Dilation (height, width).</summary>
    public IReadOnlyList<long> Dilation => _dilation;

    /// <summary>The weight, (C_out, C_in/groups, kH, kW).</summary>
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
        BatchNormFolding.TryFoldInto(this, Weight, Bias, batchNorm, OutChannels, transposed: false, Groups);

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        if (PaddingMode == PaddingMode.Zeros)
            return Functional.Conv2d(input, Weight, Bias, _stride, _padding, _dilation, Groups);
        using var padded = Functional.Pad(input, ConvInit.ReversedTwice(_padding), ConvInit.ToPadMode(PaddingMode));
        return Functional.Conv2d(padded, Weight, Bias, _stride, new long[] { 0, 0 }, _dilation, Groups);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{InChannels}, {OutChannels}, kernel_size=({_kernel[0]}, {_kernel[1]}), stride=({_stride[0]}, {_stride[1]}), padding=({_padding[0]}, {_padding[1]}), groups={Groups}, bias={(Bias is null ? "False" : "True")}, padding_mode={ConvInit.Name(PaddingMode)}";
}
