using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Thorax.Models.Segmentation;

/// <summary>
/// Additive attention gate of Attention U-Net (Oktay et al. 2018): α = σ(BN(ψ(ReLU(BN(W_g g) + BN(W_x x))))) and the
/// output is x·α, i.e. the skip features re-weighted per pixel by a coefficient in (0, 1) computed from the gating
/// signal g (the up-sampled decoder features) and the skip x.
/// </summary>
/// <remarks>
/// Inputs: gating (N, F_g, H, W) and skip (N, F_l, H, W) float32 of equal spatial size; output (N, F_l, H, W).
/// State-dict keys (LeeJunHyun/Image_Segmentation <c>Attention_block</c>): <c>W_g.0.*</c> (1x1 conv F_g→F_int, bias),
/// <c>W_g.1.*</c> (BatchNorm), <c>W_x.0.*</c>, <c>W_x.1.*</c>, <c>psi.0.*</c> (1x1 conv F_int→1, bias), <c>psi.1.*</c>
/// (BatchNorm over the single channel).
/// </remarks>
public sealed class AttentionGate : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Sequential _wg;
    private readonly Sequential _wx;
    private readonly Sequential _psi;

    /// <summary>Creates the gate.</summary>
    /// <param name="gatingChannels">F_g, channels of the gating signal.</param>
    /// <param name="skipChannels">F_l, channels of the skip connection.</param>
    /// <param name="intermediateChannels">F_int, channels of the joint 1x1 projections (LeeJunHyun: F_l / 2).</param>
    /// <exception cref="ArgumentException">A non-positive channel count.</exception>
    public AttentionGate(long gatingChannels, long skipChannels, long intermediateChannels) : base(nameof(AttentionGate))
    {
        if (gatingChannels < 1 || skipChannels < 1 || intermediateChannels < 1) throw new ArgumentException("channel counts must be positive");
        SkipChannels = skipChannels;
        _wg = nn.Sequential(nn.Conv2d(gatingChannels, intermediateChannels, 1), nn.BatchNorm2d(intermediateChannels));
        _wx = nn.Sequential(nn.Conv2d(skipChannels, intermediateChannels, 1), nn.BatchNorm2d(intermediateChannels));
        _psi = nn.Sequential(nn.Conv2d(intermediateChannels, 1, 1), nn.BatchNorm2d(1), nn.Sigmoid());
        register_module("W_g", _wg);
        register_module("W_x", _wx);
        register_module("psi", _psi);
    }

    /// <summary>Channels of the skip input (and of the output).</summary>
    public long SkipChannels { get; }

    /// <summary>The attention coefficients α, shape (N, 1, H, W), values in (0, 1).</summary>
    /// <param name="gating">(N, F_g, H, W) gating signal.</param>
    /// <param name="skip">(N, F_l, H, W) skip features.</param>
    /// <returns>New tensor owned by the caller or the current dispose scope.</returns>
    /// <exception cref="ArgumentException">The inputs are not 4-D with equal N, H and W.</exception>
    public Tensor Coefficients(Tensor gating, Tensor skip)
    {
        if (gating.dim() != 4 || skip.dim() != 4 || gating.shape[0] != skip.shape[0] || gating.shape[2] != skip.shape[2] || gating.shape[3] != skip.shape[3])
            throw new ArgumentException($"AttentionGate: gating {ShapeText.Of(gating)} and skip {ShapeText.Of(skip)} must be (N, C, H, W) with equal N, H, W");
        using var scope = torch.NewDisposeScope();
        var joint = (_wg.call(gating) + _wx.call(skip)).relu_(); // a fresh sum: rectified in place
        return _psi.call(joint).MoveToOuterDisposeScope();
    }

    /// <summary>The gated skip x·α.</summary>
    /// <param name="gating">(N, F_g, H, W) gating signal.</param>
    /// <param name="skip">(N, F_l, H, W) skip features.</param>
    /// <returns>(N, F_l, H, W), owned by the caller or the current dispose scope.</returns>
    public override Tensor forward(Tensor gating, Tensor skip)
    {
        using var alpha = Coefficients(gating, skip);
        return skip.mul(alpha);
    }

    /// <summary>Children are registered explicitly under their PyTorch names; TorchSharp's field reflection is not used.</summary>
    protected override void RegisterComponents() { }
}
