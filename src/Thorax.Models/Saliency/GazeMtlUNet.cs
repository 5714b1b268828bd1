using Thorax.Models.Inference;
using Thorax.Models.Encoders;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Saliency;

/// <summary>The two outputs of the multi-task networks: class logits [N, classes] and saliency logits [N, 1, H, W]
/// (before the log-softmax over pixels, see <see cref="SaliencyLayers.LogSoftmaxOverPixels"/>).</summary>
public interface IGazeMultiTaskNet
{
    /// <summary>(class logits, saliency logits) for a [N, 1, H, W] input in [0, 1] (H, W multiples of 32 / 16).</summary>
    (Tensor ClassLogits, Tensor SaliencyLogits) call(Tensor input);

    /// <summary>The learnable log σ of the classification term (<c>lg_sigma_class</c>).</summary>
    Parameter LgSigmaClass { get; }
}

/// <summary>
/// The dual-encoder multi-task U-Net of Qiu, Rivaz and Xiao (Med Phys 2025), CXRGazeLearn's <c>MTL_UNet_preset</c>
/// from <c>Module/hzhu_MTL_UNet.py</c>, with the reference's state-dict key names, so a plain
/// <c>torch.save(net.state_dict())</c> of their model loads strictly (see <see cref="SaliencyWeights"/> for the
/// <c>module.</c> prefix):
/// <list type="bullet">
/// <item>encoder A, <c>model.*</c>: torchvision DenseNet-201 with a 3-class classifier, fed <c>x.repeat(1,3,1,1)</c>
/// without ImageNet normalisation; the denseblock4 output (stride 32) and ReLU(norm5) are used (the reference's forward
/// hooks; torchvision's in-place ReLU makes the hooked norm5 the ReLU'd one). The DenseNet's own logits are computed and
/// unused, as in the reference;</item>
/// <item>encoder B, <c>Conv1..Conv5</c>: Res-SE blocks (ResidualBlock + SEBlock) with 2x2 max-pools;</item>
/// <item>decoder, <c>Up5/Up_conv5 .. Up1/Up_conv1</c>: d5 = Up_conv5(cat(e5, Up5(denseblock4))), then cat(e_k,
/// Up_k(d_{k+1})) to full resolution;</item>
/// <item>saliency head <c>out_conv_image</c> on d1, and the multi-scale fusion classifier <c>out_classification</c> on
/// cat(mean_hw(ReLU(norm5)), mean_hw(d1));</item>
/// <item><c>conv.*</c> (an unused 3→64 1x1 convolution), <c>dummy_tensor</c> (int64 0) and <c>lg_sigma_class</c> are
/// kept so state dicts match key for key.</item>
/// </list>
/// Inputs: [N, 1, H, W] with H and W multiples of 32.
/// </summary>
public sealed class GazeMtlUNet : Module<Tensor, (Tensor ClassLogits, Tensor SaliencyLogits)>, IGazeMultiTaskNet
{
    private readonly Sequential[] _enc;
    private readonly MaxPool2d[] _pool;
    private readonly Sequential[] _up;
    private readonly Sequential[] _upConv;
    private readonly DenseNet _densenet;
    private readonly Sequential _saliencyHead;
    private readonly Sequential _classifier;

    /// <summary>The reference's Linux filter list.</summary>
    public static IReadOnlyList<int> ReferenceFilters { get; } = [64, 128, 256, 512, 1024];

    /// <param name="filters">Encoder-B widths (five levels); the reference's <c>[64,128,256,512,1024]</c> by default.</param>
    /// <param name="classes">Classes (3: normal, heart failure, pneumonia).</param>
    /// <param name="densenet">Encoder A; DenseNet-201 with <paramref name="classes"/> outputs and 3 input channels by
    /// default. Any <see cref="DenseNet"/> with 3 input channels fits (its width sets Up5's and the classifier's inputs).</param>
    public GazeMtlUNet(IReadOnlyList<int>? filters = null, int classes = 3, DenseNet? densenet = null) : base("MTL_UNet_preset")
    {
        var f = (filters ?? ReferenceFilters).ToArray();
        if (f.Length != 5 || f.Any(c => c < 16))
            throw new ArgumentException("five encoder widths of at least 16 (the SE blocks divide by 16)", nameof(filters));
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes));
        _densenet = densenet ?? DenseNet.DenseNet201(inChans: 3, numClasses: classes);
        if (_densenet.InChans != 3) throw new ArgumentException("the reference feeds the DenseNet x.repeat(1,3,1,1): it needs 3 input channels", nameof(densenet));
        Filters = f;
        Classes = classes;

        _pool = Enumerable.Range(0, 4).Select(_ => MaxPool2d(kernel_size: 2, stride: 2)).ToArray();
        for (var i = 0; i < 4; i++) register_module($"Maxpool{i + 1}", _pool[i]);
        _enc = new Sequential[5];
        for (var i = 0; i < 5; i++)
        {
            _enc[i] = SaliencyLayers.ResSEBlock(i == 0 ? 1 : f[i - 1], f[i]);
            register_module($"Conv{i + 1}", _enc[i]);
        }
        // Up5 takes the DenseNet bridge; Up_k (k < 5) the previous decoder level; Up1 keeps f[0].
        _up = new Sequential[5];
        _upConv = new Sequential[5];
        int[] upIn = [f[0], f[1], f[2], f[3], _densenet.NumFeatures];
        int[] upOut = [f[0], f[0], f[1], f[2], f[3]];
        for (var k = 5; k >= 1; k--)
        {
            _up[k - 1] = SaliencyLayers.UpConv(upIn[k - 1], upOut[k - 1]);
            _upConv[k - 1] = SaliencyLayers.DoubleConvBnRelu(f[k - 1] + upOut[k - 1], upOut[k - 1]);
            register_module($"Up{k}", _up[k - 1]);
            register_module($"Up_conv{k}", _upConv[k - 1]);
        }
        register_module("conv", Conv2d(3, 64, kernel_size: 1));
        register_module("model", _densenet);
        (_classifier, _saliencyHead, _) = SaliencyLayers.RegisterHeads(this, _densenet.NumFeatures + f[0], f[0], classes);
        SaliencyLayers.Hook(this);
    }

    /// <summary>Encoder-B widths.</summary>
    public IReadOnlyList<int> Filters { get; }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Encoder A (registered as <c>model</c>).</summary>
    public DenseNet DenseNet => _densenet;

    /// <inheritdoc/>
    /// <remarks>Read from the registered parameters each time, so it follows <c>to(dtype/device)</c>, which replaces them.</remarks>
    public Parameter LgSigmaClass => get_parameter("lg_sigma_class")!;

    /// <summary>Class logits [N, classes] and saliency logits [N, 1, H, W].</summary>
    public override (Tensor ClassLogits, Tensor SaliencyLogits) forward(Tensor input)
    {
        if (input.dim() != 4 || input.shape[1] != 1 || input.shape[2] % 32 != 0 || input.shape[3] % 32 != 0)
            throw new ArgumentException($"expected input [N, 1, H, W] with H and W multiples of 32, got [{string.Join(", ", input.shape)}]", nameof(input));
        using var scope = NewDisposeScope();
        using var capture = _densenet.ForwardWithCapture(input.repeat(1, 3, 1, 1));
        // Intermediate maps are released as soon as they are used (the full-resolution ones are hundreds of MiB at the
        // reference size); autograd keeps what the backward pass needs by itself.
        var e = new Tensor[5];
        e[0] = _enc[0].call(input);
        for (var i = 1; i < 5; i++)
        {
            using var pooledMap = _pool[i - 1].call(e[i - 1]);
            e[i] = _enc[i].call(pooledMap);
        }
        var d = capture.DenseBlock4;
        for (var k = 5; k >= 1; k--)
        {
            Tensor next;
            using (var up = _up[k - 1].call(d))
            using (var joined = cat([e[k - 1], up], 1))
                next = _upConv[k - 1].call(joined);
            e[k - 1].Dispose();
            if (k < 5) d.Dispose();
            d = next;
        }
        var pooled = cat([capture.Norm5Hooked.mean([-2L, -1L]), d.mean([-2L, -1L])], 1);
        var classLogits = _classifier.call(pooled);
        var saliency = _saliencyHead.call(d);
        scope.MoveToOuter(classLogits);
        scope.MoveToOuter(saliency);
        return (classLogits, saliency);
    }

    /// <summary>Sets training or evaluation mode.</summary>
    /// <exception cref="InvalidOperationException">Training mode was asked for after <see cref="ModuleFusion.FuseForInference{T}"/>.</exception>
    public override void train(bool on = true)
    {
        FusedTraining.ThrowIfFused(this, on);
        base.train(on);
    }

    /// <inheritdoc/>
    protected override void RegisterComponents() { }
}

/// <summary>
/// The MT-UNet baseline (Zhu et al.; CXRGazeLearn's <c>baseline/hzhu_MTL_UNet.py</c>, seed-specs 2.6) with the
/// reference's key names: a plain U-Net (<c>conv_block</c> = [Conv3x3+BN+ReLU]x2, 4 max-pools, nearest up-sampling),
/// d2 at full resolution, the saliency head on d2 and the classifier on cat(mean_hw(e5), mean_hw(d2)).
/// Inputs: [N, 1, H, W] with H and W multiples of 16.
/// </summary>
public sealed class MtUNet : Module<Tensor, (Tensor ClassLogits, Tensor SaliencyLogits)>, IGazeMultiTaskNet
{
    private readonly Sequential[] _enc;
    private readonly MaxPool2d[] _pool;
    private readonly Sequential[] _up;
    private readonly Sequential[] _upConv;
    private readonly Sequential _saliencyHead;
    private readonly Sequential _classifier;

    /// <param name="filters">Widths of the five levels, each twice the previous; the reference's <c>[64,128,256,512,1024]</c> by default.</param>
    /// <param name="classes">Classes.</param>
    /// <param name="inChannels">Input channels (1 in the reference).</param>
    public MtUNet(IReadOnlyList<int>? filters = null, int classes = 3, int inChannels = 1) : base("MTL_UNet_preset")
    {
        var f = (filters ?? GazeMtlUNet.ReferenceFilters).ToArray();
        if (f.Length != 5 || f.Any(c => c < 1)) throw new ArgumentException("five positive widths", nameof(filters));
        // The reference builds Up_convK = conv_block(filter_list[K-1], filter_list[K-2]) on cat(e, up) of
        // 2·filter_list[K-2] channels: only doubling widths fit.
        for (var i = 1; i < 5; i++)
            if (f[i] != 2 * f[i - 1])
                throw new ArgumentException($"MT-UNet widths must double level to level as the reference's decoder assumes, got [{string.Join(", ", f)}]", nameof(filters));
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes));
        Filters = f;
        Classes = classes;
        (_enc, _pool, _up, _upConv) = SaliencyLayers.RegisterUNet(this, f, inChannels, SaliencyLayers.DoubleConvBnRelu);
        (_classifier, _saliencyHead, _) = SaliencyLayers.RegisterHeads(this, f[0] + f[4], f[0], classes);
        SaliencyLayers.Hook(this);
    }

    /// <summary>Widths of the five levels.</summary>
    public IReadOnlyList<int> Filters { get; }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <inheritdoc/>
    /// <remarks>Read from the registered parameters each time, so it follows <c>to(dtype/device)</c>, which replaces them.</remarks>
    public Parameter LgSigmaClass => get_parameter("lg_sigma_class")!;

    /// <summary>Class logits [N, classes] and saliency logits [N, 1, H, W].</summary>
    public override (Tensor ClassLogits, Tensor SaliencyLogits) forward(Tensor input)
    {
        if (input.dim() != 4 || input.shape[2] % 16 != 0 || input.shape[3] % 16 != 0)
            throw new ArgumentException($"expected input [N, C, H, W] with H and W multiples of 16, got [{string.Join(", ", input.shape)}]", nameof(input));
        using var scope = NewDisposeScope();
        var (e, d) = SaliencyLayers.UNetTrunk(_enc, _pool, _up, _upConv, input);
        var pooled = cat([e[4].mean([-2L, -1L]), d.mean([-2L, -1L])], 1);
        var classLogits = _classifier.call(pooled);
        var saliency = _saliencyHead.call(d);
        scope.MoveToOuter(classLogits);
        scope.MoveToOuter(saliency);
        return (classLogits, saliency);
    }

    /// <summary>Sets training or evaluation mode.</summary>
    /// <exception cref="InvalidOperationException">Training mode was asked for after <see cref="ModuleFusion.FuseForInference{T}"/>.</exception>
    public override void train(bool on = true)
    {
        FusedTraining.ThrowIfFused(this, on);
        base.train(on);
    }

    /// <inheritdoc/>
    protected override void RegisterComponents() { }
}
