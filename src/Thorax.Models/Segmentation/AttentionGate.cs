using Thorax.Nn;

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
public sealed class AttentionGate : Module<(Tensor Gating, Tensor Skip), Tensor>
{
    private readonly Sequential _wg;
    private readonly Sequential _wx;
    private readonly Sequential _psi;

    /// <summary>Creates the gate.</summary>
    /// <param name="gatingChannels">F_g, channels of the gating signal.</param>
    /// <param name="skipChannels">F_l, channels of the skip connection.</param>
    /// <param name="intermediateChannels">F_int, channels of the joint 1x1 projections (LeeJunHyun: F_l / 2).</param>
    /// <exception cref="ArgumentException">A non-positive channel count.</exception>
    public AttentionGate(long gatingChannels, long skipChannels, long intermediateChannels)
    {
        if (gatingChannels < 1 || skipChannels < 1 || intermediateChannels < 1) throw new ArgumentException("channel counts must be positive");
        SkipChannels = skipChannels;
        _wg = RegisterModule("W_g", new Sequential(new Conv2d(gatingChannels, intermediateChannels, 1), new BatchNorm2d(intermediateChannels)));
        _wx = RegisterModule("W_x", new Sequential(new Conv2d(skipChannels, intermediateChannels, 1), new BatchNorm2d(intermediateChannels)));
        _psi = RegisterModule("psi", new Sequential(new Conv2d(intermediateChannels, 1, 1), new BatchNorm2d(1), new Sigmoid()));
    }

    /// <summary>Channels of the skip input (and of the output).</summary>
    public long SkipChannels { get; }

    /// <summary>The attention coefficients α, shape (N, 1, H, W), values in (0, 1).</summary>
    /// <param name="gating">(N, F_g, H, W) gating signal.</param>
    /// <param name="skip">(N, F_l, H, W) skip features.</param>
    /// <returns>New tensor owned by the caller or the current <see cref="TensorScope"/>.</returns>
    public Tensor Coefficients(Tensor gating, Tensor skip)
    {
        if (gating.Dim != 4 || skip.Dim != 4 || gating.Size(0) != skip.Size(0) || gating.Size(2) != skip.Size(2) || gating.Size(3) != skip.Size(3))
            throw new TorchException("AttentionGate", $"gating {gating.ShapeString} and skip {skip.ShapeString} must be (N, C, H, W) with equal N, H, W");
        using var g1 = _wg.Forward(gating);
        using var x1 = _wx.Forward(skip);
        using var act = ReluConsuming(g1.Add(x1), this); // in place once fused, with gradients off
        return _psi.Forward(act);
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore((Tensor Gating, Tensor Skip) input)
    {
        using var alpha = Coefficients(input.Gating, input.Skip);
        return input.Skip.Mul(alpha);
    }
}
