using Thorax.Models.Encoders;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Thorax.Models.Saliency;

/// <summary>
/// The paper's single-task classifier (Table 1, "DNet201-CL" with the contrastive stage, "DNet201" without): the
/// dual encoder's encoder A alone, a torchvision DenseNet with a 3-class <c>classifier</c>, fed <c>x.repeat(1,3,1,1)</c>
/// without ImageNet normalisation exactly as in <see cref="GazeMtlUNet"/>. It is registered as <c>model</c>, so its keys
/// (<c>model.features.*</c>, <c>model.classifier.*</c>) are those of the dual encoder's DenseNet: the reference's stage-3
/// code loads this very checkpoint (its <c>Classfication/</c> run) into the dual network's DenseNet.
/// </summary>
/// <remarks>The network has no saliency output: <see cref="forward"/> returns a [N, 0, H, W] tensor in its place (as
/// the reference's <c>dummy_tensor</c> stands for an absent output); evaluations report no saliency metric for it.</remarks>
public sealed class DenseNetClassifierNet : Module<Tensor, (Tensor ClassLogits, Tensor SaliencyLogits)>
{
    private readonly DenseNet _densenet;

    /// <param name="densenet">A DenseNet with 3 input channels and a classifier (the classes).</param>
    public DenseNetClassifierNet(DenseNet densenet) : base("DNet_classifier")
    {
        ArgumentNullException.ThrowIfNull(densenet);
        if (densenet.InChans != 3) throw new ArgumentException("the reference feeds the DenseNet x.repeat(1,3,1,1): it needs 3 input channels", nameof(densenet));
        _densenet = densenet;
        register_module("model", _densenet);
    }

    /// <summary>The DenseNet (registered as <c>model</c>).</summary>
    public DenseNet DenseNet => _densenet;

    /// <summary>Class logits [N, classes] and an empty saliency output [N, 0, H, W].</summary>
    public override (Tensor ClassLogits, Tensor SaliencyLogits) forward(Tensor input)
    {
        if (input.dim() != 4 || input.shape[1] != 1)
            throw new ArgumentException($"expected input [N, 1, H, W], got [{string.Join(", ", input.shape)}]", nameof(input));
        using var scope = NewDisposeScope();
        var logits = _densenet.call(input.repeat(1, 3, 1, 1));
        var none = empty([input.shape[0], 0, input.shape[2], input.shape[3]], dtype: input.dtype, device: input.device);
        scope.MoveToOuter(logits);
        scope.MoveToOuter(none);
        return (logits, none);
    }

    /// <inheritdoc/>
    protected override void RegisterComponents() { }
}

/// <summary>
/// The paper's single-task saliency U-Nets (Table 2): <b>Res_SE-UNet</b> (the dual encoder without the DenseNet: a
/// Res-SE encoder, <see cref="SaliencyLayers.ResSEBlock"/>) and <b>UNet_S</b> (plain <c>conv_block</c> encoder), both with
/// the MT-UNet decoder (<c>Up5/Up_conv5 .. Up2/Up_conv2</c>: nearest up-sampling, Conv+BN+ReLU, cat(encoder, decoder),
/// [Conv3x3+BN+ReLU]x2), d2 at full resolution and the saliency head <c>out_conv_image</c> on it; no classifier. Key names
/// are those of CXRGazeLearn's <c>baseline/hzhu_MTL_UNet.py</c> built with <c>out_dict={'class':0,'image':1}</c>
/// (<c>dummy_tensor</c>, <c>Conv1..Conv5</c>, <c>Up*</c>, <c>out_conv_image</c>); its commented-out Res-SE
/// <c>conv_block</c> would put Res-SE blocks in the decoder too, the paper describes "a modified Residual-SE encoder", which
/// is what this builds.
/// </summary>
/// <remarks>No class output: <see cref="forward"/> returns [N, 0] class logits in its place.</remarks>
public sealed class SaliencyUNet : Module<Tensor, (Tensor ClassLogits, Tensor SaliencyLogits)>
{
    private readonly Sequential[] _enc;
    private readonly MaxPool2d[] _pool;
    private readonly Sequential[] _up;
    private readonly Sequential[] _upConv;
    private readonly Sequential _saliencyHead;

    /// <param name="filters">Widths of the five levels, each twice the previous (the reference's 64..1024 by default).</param>
    /// <param name="residualSE">Res-SE encoder blocks (Res_SE-UNet); false: plain double convolutions (UNet_S).</param>
    /// <param name="inChannels">Input channels (1).</param>
    public SaliencyUNet(IReadOnlyList<int>? filters = null, bool residualSE = true, int inChannels = 1) : base("MTL_UNet_preset")
    {
        var f = (filters ?? GazeMtlUNet.ReferenceFilters).ToArray();
        if (f.Length != 5 || f.Any(c => c < 1)) throw new ArgumentException("five positive widths", nameof(filters));
        if (residualSE && f.Any(c => c < 16)) throw new ArgumentException("Res-SE encoder widths must be at least 16 (the SE blocks divide by 16)", nameof(filters));
        for (var i = 1; i < 5; i++)
            if (f[i] != 2 * f[i - 1])
                throw new ArgumentException($"the U-Net's widths must double level to level as the reference's decoder assumes, got [{string.Join(", ", f)}]", nameof(filters));
        Filters = f;
        ResidualSE = residualSE;
        (_enc, _pool, _up, _upConv) = SaliencyLayers.RegisterUNet(this, f, inChannels,
            residualSE ? SaliencyLayers.ResSEBlock : SaliencyLayers.DoubleConvBnRelu);
        register_buffer("dummy_tensor", torch.tensor(0L));
        _saliencyHead = SaliencyLayers.SaliencyHead(f[0]);
        register_module("out_conv_image", _saliencyHead);
        SaliencyLayers.Hook(this);
    }

    /// <summary>Widths of the five levels.</summary>
    public IReadOnlyList<int> Filters { get; }

    /// <summary>Res-SE encoder (true) or plain (false).</summary>
    public bool ResidualSE { get; }

    /// <summary>Empty class logits [N, 0] and saliency logits [N, 1, H, W].</summary>
    public override (Tensor ClassLogits, Tensor SaliencyLogits) forward(Tensor input)
    {
        if (input.dim() != 4 || input.shape[2] % 16 != 0 || input.shape[3] % 16 != 0)
            throw new ArgumentException($"expected input [N, C, H, W] with H and W multiples of 16, got [{string.Join(", ", input.shape)}]", nameof(input));
        using var scope = NewDisposeScope();
        var (_, d) = SaliencyLayers.UNetTrunk(_enc, _pool, _up, _upConv, input);
        var saliency = _saliencyHead.call(d);
        var none = empty([input.shape[0], 0], dtype: input.dtype, device: input.device);
        scope.MoveToOuter(none);
        scope.MoveToOuter(saliency);
        return (none, saliency);
    }

    /// <inheritdoc/>
    protected override void RegisterComponents() { }
}
