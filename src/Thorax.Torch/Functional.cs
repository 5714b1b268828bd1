using Thorax.Native;

namespace Thorax;

/// <summary>How a loss reduces over elements. Values equal PyTorch's <c>at::Reduction</c>.</summary>
public enum Reduction
{
    None = 0,
    Mean = 1,
    Sum = 2,
}

/// <summary>Interpolation modes of <see cref="Functional.Interpolate"/>.</summary>
public enum InterpolationMode
{
    Nearest = 0,
    Bilinear = 1,
    Bicubic = 2,
    Area = 3,
    NearestExact = 4,
    Linear = 5,
    Trilinear = 6,
}

/// <summary>Padding modes of <see cref="Functional.Pad"/>.</summary>
public enum PadMode
{
    Constant = 0,
    Reflect = 1,
    Replicate = 2,
    Circular = 3,
}

/// <summary>
/// Stateless neural-network operations, as <c>torch.nn.functional</c> (import with
/// <c>using F = Thorax.Functional;</c>). Inputs are channel-first: [N, C, H, W] for images.
/// Results are new tensors owned by the caller or the current <see cref="TensorScope"/>.
/// </summary>
public static partial class Functional
{
    private static long[] Pair(long v) => new[] { v, v };

    private static long[] Dims(long[]? v, int n, long dflt)
    {
        if (v is null) return Enumerable.Repeat(dflt, n).ToArray();
        if (v.Length == 1 && n > 1) return Enumerable.Repeat(v[0], n).ToArray();
        if (v.Length != n) throw new TorchException("conv", $"expected {n} values, got {v.Length}");
        return v;
    }

    private static unsafe Tensor Conv(int dims, bool transposed, Tensor input, Tensor weight, Tensor? bias, long[]? stride, long[]? padding,
                                      long[]? dilation, long[]? outputPadding, long groups, string name)
    {
        var s = Dims(stride, dims, 1);
        var p = Dims(padding, dims, 0);
        var d = Dims(dilation, dims, 1);
        var op = Dims(outputPadding, dims, 0);
        nint r;
        fixed (long* ps = s)
        fixed (long* pp = p)
        fixed (long* pd = d)
        fixed (long* po = op)
            NativeMethods.Check(NativeMethods.thx_conv(dims, transposed ? 1 : 0, input.Handle, weight.Handle, Tensor.H(bias), ps, pp, pd, po, groups, &r), name);
        return new Tensor(r);
    }

    /// <summary>2-d convolution. <paramref name="input"/> [N, Cin, H, W]; <paramref name="weight"/> [Cout, Cin/groups, kH, kW].</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, long[]? stride = null, long[]? padding = null,
                                long[]? dilation = null, long groups = 1) =>
        Conv(2, false, input, weight, bias, stride, padding, dilation, null, groups, "conv2d");

    /// <summary>1-d convolution. <paramref name="input"/> [N, Cin, L].</summary>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias = null, long stride = 1, long padding = 0, long dilation = 1, long groups = 1) =>
        Conv(1, false, input, weight, bias, new[] { stride }, new[] { padding }, new[] { dilation }, null, groups, "conv1d");

    /// <summary>2-d transposed convolution. <paramref name="weight"/> [Cin, Cout/groups, kH, kW].</summary>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, long[]? stride = null, long[]? padding = null,
                                         long[]? outputPadding = null, long groups = 1, long[]? dilation = null) =>
        Conv(2, true, input, weight, bias, stride, padding, dilation, outputPadding, groups, "conv_transpose2d");

    /// <summary>1-d transposed convolution.</summary>
    public static Tensor ConvTranspose1d(Tensor input, Tensor weight, Tensor? bias = null, long stride = 1, long padding = 0, long outputPadding = 0,
                                         long groups = 1, long dilation = 1) =>
        Conv(1, true, input, weight, bias, new[] { stride }, new[] { padding }, new[] { dilation }, new[] { outputPadding }, groups, "conv_transpose1d");

    /// <summary><c>input @ weight.T + bias</c>. <paramref name="weight"/> [out, in].</summary>
    public static unsafe Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_linear(input.Handle, weight.Handle, Tensor.H(bias), &r), "linear");
        return new Tensor(r);
    }

    /// <summary>2-d max pooling (stride defaults to the kernel size).</summary>
    public static unsafe Tensor MaxPool2d(Tensor input, long[] kernelSize, long[]? stride = null, long[]? padding = null, long[]? dilation = null,
                                          bool ceilMode = false)
    {
        var k = Dims(kernelSize, 2, 1);
        var s = stride is null ? k : Dims(stride, 2, 1);
        var p = Dims(padding, 2, 0);
        var d = Dims(dilation, 2, 1);
        nint r;
        fixed (long* pk = k)
        fixed (long* ps = s)
        fixed (long* pp = p)
        fixed (long* pd = d)
            NativeMethods.Check(NativeMethods.thx_pool2d(0, input.Handle, pk, ps, pp, pd, ceilMode ? 1 : 0, 0, 0, 0, &r, null), "max_pool2d");
        return new Tensor(r);
    }

    public static Tensor MaxPool2d(Tensor input, long kernelSize, long? stride = null, long padding = 0) =>
        MaxPool2d(input, Pair(kernelSize), stride is null ? null : Pair(stride.Value), Pair(padding));

    /// <summary>2-d max pooling that also returns the flat indices of the maxima (for <see cref="MaxUnpool2d"/>).</summary>
    public static unsafe (Tensor Output, Tensor Indices) MaxPool2dWithIndices(Tensor input, long[] kernelSize, long[]? stride = null, long[]? padding = null,
                                                                              long[]? dilation = null, bool ceilMode = false)
    {
        var k = Dims(kernelSize, 2, 1);
        var s = stride is null ? k : Dims(stride, 2, 1);
        var p = Dims(padding, 2, 0);
        var d = Dims(dilation, 2, 1);
        nint r, idx;
        fixed (long* pk = k)
        fixed (long* ps = s)
        fixed (long* pp = p)
        fixed (long* pd = d)
            NativeMethods.Check(NativeMethods.thx_pool2d(0, input.Handle, pk, ps, pp, pd, ceilMode ? 1 : 0, 0, 0, 0, &r, &idx), "max_pool2d");
        return (new Tensor(r), new Tensor(idx));
    }

    public static unsafe Tensor MaxUnpool2d(Tensor input, Tensor indices, long[] outputSize)
    {
        nint r;
        fixed (long* p = outputSize) NativeMethods.Check(NativeMethods.thx_max_unpool2d(input.Handle, indices.Handle, p, &r), "max_unpool2d");
        return new Tensor(r);
    }

    /// <summary>2-d average pooling (stride defaults to the kernel size).</summary>
    public static unsafe Tensor AvgPool2d(Tensor input, long[] kernelSize, long[]? stride = null, long[]? padding = null, bool ceilMode = false,
                                          bool countIncludePad = true, long? divisorOverride = null)
    {
        var k = Dims(kernelSize, 2, 1);
        var s = stride is null ? k : Dims(stride, 2, 1);
        var p = Dims(padding, 2, 0);
        var d = Pair(1);
        nint r;
        fixed (long* pk = k)
        fixed (long* ps = s)
        fixed (long* pp = p)
        fixed (long* pd = d)
            NativeMethods.Check(NativeMethods.thx_pool2d(1, input.Handle, pk, ps, pp, pd, ceilMode ? 1 : 0, countIncludePad ? 1 : 0,
                divisorOverride.HasValue ? 1 : 0, divisorOverride ?? 0, &r, null), "avg_pool2d");
        return new Tensor(r);
    }

    public static Tensor AvgPool2d(Tensor input, long kernelSize, long? stride = null, long padding = 0) =>
        AvgPool2d(input, Pair(kernelSize), stride is null ? null : Pair(stride.Value), Pair(padding));

    private static unsafe Tensor Adaptive(int kind, Tensor input, long[] size, string name)
    {
        nint r;
        fixed (long* p = size) NativeMethods.Check(NativeMethods.thx_adaptive_pool(kind, input.Handle, p, &r), name);
        return new Tensor(r);
    }

    public static Tensor AdaptiveAvgPool2d(Tensor input, long[] outputSize) => Adaptive(1, input, Dims(outputSize, 2, 1), "adaptive_avg_pool2d");
    public static Tensor AdaptiveAvgPool2d(Tensor input, long outputSize) => Adaptive(1, input, Pair(outputSize), "adaptive_avg_pool2d");
    public static Tensor AdaptiveMaxPool2d(Tensor input, long[] outputSize) => Adaptive(0, input, Dims(outputSize, 2, 1), "adaptive_max_pool2d");
    public static Tensor AdaptiveMaxPool2d(Tensor input, long outputSize) => Adaptive(0, input, Pair(outputSize), "adaptive_max_pool2d");
    public static Tensor AdaptiveAvgPool1d(Tensor input, long outputSize) => Adaptive(3, input, new[] { outputSize }, "adaptive_avg_pool1d");
    public static Tensor AdaptiveMaxPool1d(Tensor input, long outputSize) => Adaptive(2, input, new[] { outputSize }, "adaptive_max_pool1d");

    /// <summary>
    /// Resamples spatial dimensions to <paramref name="size"/> or by <paramref name="scaleFactor"/> (exactly one).
    /// <paramref name="alignCorners"/> applies to linear/bilinear/bicubic/trilinear only (null = PyTorch's default).
    /// </summary>
    public static unsafe Tensor Interpolate(Tensor input, long[]? size = null, double[]? scaleFactor = null, InterpolationMode mode = InterpolationMode.Nearest,
                                            bool? alignCorners = null, bool antialias = false, bool? recomputeScaleFactor = null)
    {
        if ((size is null) == (scaleFactor is null)) throw new TorchException("interpolate", "give exactly one of size and scaleFactor");
        var n = size?.Length ?? scaleFactor!.Length;
        nint r;
        fixed (long* ps = size)
        fixed (double* pf = scaleFactor)
            NativeMethods.Check(NativeMethods.thx_interpolate(input.Handle, ps, pf, n, (int)mode, alignCorners.HasValue ? (alignCorners.Value ? 1 : 0) : -1,
                antialias ? 1 : 0, recomputeScaleFactor.HasValue ? (recomputeScaleFactor.Value ? 1 : 0) : -1, &r), "interpolate");
        return new Tensor(r);
    }

    /// <summary>Samples <paramref name="input"/> [N, C, H, W] at <paramref name="grid"/> [N, Ho, Wo, 2] (x, y in [-1, 1]).</summary>
    /// <param name="mode">0 bilinear, 1 nearest, 2 bicubic.</param>
    /// <param name="paddingMode">0 zeros, 1 border, 2 reflection.</param>
    public static unsafe Tensor GridSample(Tensor input, Tensor grid, int mode = 0, int paddingMode = 0, bool alignCorners = false)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_grid_sample(input.Handle, grid.Handle, mode, paddingMode, alignCorners ? 1 : 0, &r), "grid_sample");
        return new Tensor(r);
    }

    /// <summary>Sampling grid [N, H, W, 2] for affine matrices <paramref name="theta"/> [N, 2, 3] and output size [N, C, H, W].</summary>
    public static unsafe Tensor AffineGrid(Tensor theta, long[] size, bool alignCorners = false)
    {
        nint r;
        fixed (long* p = size) NativeMethods.Check(NativeMethods.thx_affine_grid(theta.Handle, p, size.Length, alignCorners ? 1 : 0, &r), "affine_grid");
        return new Tensor(r);
    }

    /// <summary>Pads the last dimensions; <paramref name="pad"/> lists (left, right, top, bottom, ...) as PyTorch.</summary>
    public static unsafe Tensor Pad(Tensor input, long[] pad, PadMode mode = PadMode.Constant, double value = 0)
    {
        nint r;
        fixed (long* p = pad) NativeMethods.Check(NativeMethods.thx_pad(input.Handle, p, pad.Length, (int)mode, value, &r), "pad");
        return new Tensor(r);
    }

    /// <summary>Batch normalisation over [N, C, ...]; updates running stats in place when <paramref name="training"/>.</summary>
    public static unsafe Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
                                          bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_batch_norm(input.Handle, Tensor.H(weight), Tensor.H(bias), Tensor.H(runningMean), Tensor.H(runningVar),
            training ? 1 : 0, momentum, eps, &r), "batch_norm");
        return new Tensor(r);
    }

    public static unsafe Tensor GroupNorm(Tensor input, long numGroups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_group_norm(input.Handle, numGroups, Tensor.H(weight), Tensor.H(bias), eps, &r), "group_norm");
        return new Tensor(r);
    }

    public static unsafe Tensor LayerNorm(Tensor input, long[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        nint r;
        fixed (long* p = normalizedShape)
            NativeMethods.Check(NativeMethods.thx_layer_norm(input.Handle, p, normalizedShape.Length, Tensor.H(weight), Tensor.H(bias), eps, &r), "layer_norm");
        return new Tensor(r);
    }

    public static unsafe Tensor InstanceNorm(Tensor input, Tensor? runningMean = null, Tensor? runningVar = null, Tensor? weight = null, Tensor? bias = null,
                                             bool useInputStats = true, double momentum = 0.1, double eps = 1e-5)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_instance_norm(input.Handle, Tensor.H(weight), Tensor.H(bias), Tensor.H(runningMean), Tensor.H(runningVar),
            useInputStats ? 1 : 0, momentum, eps, &r), "instance_norm");
        return new Tensor(r);
    }

    private static unsafe Tensor DropoutKind(int kind, Tensor input, double p, bool training, string name)
    {
        if (p < 0 || p > 1) throw new TorchException(name, $"dropout probability has to be between 0 and 1, but got {p}");
        nint r;
        NativeMethods.Check(NativeMethods.thx_dropout(kind, input.Handle, p, training ? 1 : 0, 0, &r), name);
        return new Tensor(r);
    }

    /// <summary>Zeroes elements with probability <paramref name="p"/> and scales the rest by 1/(1-p) when training.</summary>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true) => DropoutKind(0, input, p, training, "dropout");

    /// <summary>Zeroes whole channels of [N, C, H, W] with probability <paramref name="p"/> when training.</summary>
    public static Tensor Dropout2d(Tensor input, double p = 0.5, bool training = true) => DropoutKind(1, input, p, training, "dropout2d");

    /// <summary>
    /// The multiplicative keep mask of DropBlock (Ghiasi et al. 2018, as clguo/SA-UNet's layer) for an (N, C, H, W)
    /// floating input: each position of each plane's valid region [b/2, size - b/2) is a seed with probability
    /// <paramref name="gamma"/>, independently, drawn from <paramref name="generator"/> (or the global generator); every
    /// element within a b x b square of a seed (the square a stride-1 max filter with padding ((b-1)/2, b-1-(b-1)/2)
    /// spreads the seed over) is dropped. The mask is 0 on dropped elements and numel / max(1, kept) elsewhere, in the
    /// input's dtype, without autograd history; multiply the input by it.
    /// </summary>
    /// <remarks>On the CPU (float32, float64) the seeds are drawn by geometric skipping (one uniform per seed rather than
    /// per element) and their squares stamped natively; on other devices one uniform per element goes through
    /// libtorch's pooling ops. Both follow the same distribution; the random streams differ.</remarks>
    /// <exception cref="TorchException">Not 4-D, a block size below 1, a map smaller than the block, or gamma outside [0, 1].</exception>
    public static unsafe Tensor DropBlockKeepMask(Tensor input, double gamma, int blockSize, Generator? generator = null)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_dropblock_keep_mask(input.Handle, gamma, blockSize, Generator.H(generator), &r), "dropblock");
        return new Tensor(r);
    }

    /// <summary>The DropBlock keep mask from given uniform samples, by the native CPU kernel or (composite) by pooling ops.</summary>
    internal static unsafe Tensor DropBlockKeepMaskFromUniform(Tensor uniform, double gamma, int blockSize, bool composite)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_dropblock_keep_mask_from_uniform(uniform.Handle, gamma, blockSize, composite ? 1 : 0, &r), "dropblock");
        return new Tensor(r);
    }

    private static unsafe Tensor Act(int kind, Tensor input, double a, double b, string name)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_activation(kind, input.Handle, a, b, 0, &r), name);
        return new Tensor(r);
    }

    public static Tensor Relu(Tensor input) => input.Relu();
    public static Tensor Sigmoid(Tensor input) => input.Sigmoid();
    public static Tensor Tanh(Tensor input) => input.Tanh();
    public static Tensor Silu(Tensor input) => input.Silu();
    public static Tensor LeakyRelu(Tensor input, double negativeSlope = 0.01) => Act(0, input, negativeSlope, 0, "leaky_relu");
    public static Tensor Elu(Tensor input, double alpha = 1.0) => Act(1, input, alpha, 0, "elu");
    public static Tensor Softplus(Tensor input, double beta = 1, double threshold = 20) => Act(2, input, beta, threshold, "softplus");
    public static Tensor Hardtanh(Tensor input, double min = -1, double max = 1) => Act(3, input, min, max, "hardtanh");
    /// <summary>GELU, exact (erf) or with the tanh approximation.</summary>
    public static Tensor Gelu(Tensor input, bool tanhApproximation = false) => Act(6, input, tanhApproximation ? 1 : 0, 0, "gelu");

    public static unsafe Tensor Softmax(Tensor input, long dim)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_softmax(0, input.Handle, dim, &r), "softmax");
        return new Tensor(r);
    }

    public static unsafe Tensor LogSoftmax(Tensor input, long dim)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_softmax(1, input.Handle, dim, &r), "log_softmax");
        return new Tensor(r);
    }

    /// <summary>Rows of <paramref name="weight"/> [num, dim] picked by int64 <paramref name="indices"/>.</summary>
    public static unsafe Tensor Embedding(Tensor indices, Tensor weight, long paddingIdx = -1)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_embedding(weight.Handle, indices.Handle, paddingIdx, &r), "embedding");
        return new Tensor(r);
    }

    public static unsafe Tensor PixelShuffle(Tensor input, long upscaleFactor)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_pixel_shuffle(input.Handle, upscaleFactor, 0, &r), "pixel_shuffle");
        return new Tensor(r);
    }

    /// <summary>Pairwise p-norm distance between rows of <paramref name="x1"/> and <paramref name="x2"/>.</summary>
    public static unsafe Tensor PairwiseDistance(Tensor x1, Tensor x2, double p = 2, double eps = 1e-6, bool keepDim = false)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_pairwise_distance(x1.Handle, x2.Handle, p, eps, keepDim ? 1 : 0, &r), "pairwise_distance");
        return new Tensor(r);
    }

    public static unsafe Tensor CosineSimilarity(Tensor x1, Tensor x2, long dim = 1, double eps = 1e-8)
    {
        nint r;
        NativeMethods.Check(NativeMethods.thx_cosine_similarity(x1.Handle, x2.Handle, dim, eps, &r), "cosine_similarity");
        return new Tensor(r);
    }
}
