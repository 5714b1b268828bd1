namespace Thorax.Nn;

public abstract partial class Module
{
    /// <summary>
    /// True once <see cref="FuseForInference"/> ran on this module or on an ancestor. A fused module is inference-only:
    /// <see cref="Train"/> with <c>mode = true</c> throws.
    /// </summary>
    public bool IsFusedForInference { get; private set; }

    /// <summary>
    /// Whether this module returns its input unchanged in evaluation mode (dropout variants, <see cref="Identity"/>,
    /// DropBlock). <see cref="FuseForInference"/> looks through such modules when it pairs a convolution with the batch
    /// norm after it. Layers outside Thorax.Nn override it when they qualify.
    /// </summary>
    public virtual bool IsIdentityInEval => false;

    /// <summary>True while a forward hook or pre-hook is registered on this module (never for the untyped base).</summary>
    public virtual bool HasHooks => false;

    /// <summary>
    /// Prepares the module for fast inference: switches it (and every descendant) to evaluation mode and folds every
    /// batch normalisation that follows a convolution into that convolution's weight and bias, so the batch norm's
    /// memory pass disappears; inside fused containers a ReLU that follows a freshly computed tensor then runs in place
    /// when gradients are off (<see cref="Torch.InferenceMode"/> or <see cref="Torch.NoGrad"/>).
    /// </summary>
    /// <remarks>
    /// <para>
    /// Folded pairs: a <see cref="Conv2d"/> or <see cref="ConvTranspose2d"/> followed by a <see cref="BatchNorm2d"/>,
    /// and a <see cref="Conv1d"/> followed by a <see cref="BatchNorm1d"/>, either directly or with modules that are
    /// identities in evaluation mode in between (<see cref="IsIdentityInEval"/>: <see cref="Dropout"/>,
    /// <see cref="Dropout2d"/>, <see cref="Identity"/>, DropBlock). <see cref="Sequential"/> finds these pairs among its
    /// children; modules that call their layers by hand fold their own pairs in <see cref="OnFuseForInference"/>. A
    /// batch norm without running statistics (<c>track_running_stats=False</c>, which normalises with batch statistics
    /// even in evaluation mode) is left as it is. With scale s = γ / √(running_var + ε) per output channel the
    /// convolution becomes W' = W·s and b' = (b − running_mean)·s + β, PyTorch's
    /// <c>torch.nn.utils.fusion.fuse_conv_bn_eval</c> arithmetic in the parameters' dtype; a convolution without bias
    /// gains one. Outputs equal the unfused evaluation-mode outputs up to float rounding.
    /// </para>
    /// <para>
    /// Folding is one-way. Each folded batch norm is replaced by an <see cref="Identity"/> (hooks registered on it go
    /// with it), so <see cref="StateDict"/> afterwards has no <c>*.running_mean</c>/<c>*.running_var</c>/batch-norm
    /// <c>weight</c> and <c>bias</c> keys for those layers, and convolutions that had no bias now have a <c>bias</c>
    /// key: save checkpoints from the unfused model, and load weights before fusing. Training a fused model is refused
    /// (<see cref="Train"/> with <c>mode = true</c> throws <see cref="InvalidOperationException"/>), because its batch
    /// norms could no longer update their statistics; build a fresh model and load the unfused weights to train again.
    /// </para>
    /// <para>Calling it again is a no-op. Replaced parameters are new tensors: create optimisers, if any, afterwards.</para>
    /// <para>PyTorch: <c>torch.fx.experimental.optimization.fuse</c> / <c>torch.ao.quantization.fuse_modules</c> for conv + bn.</para>
    /// </remarks>
    /// <returns>This module.</returns>
    public Module FuseForInference()
    {
        Eval();
        using (Torch.NoGrad())
        {
            // Parents come before their children, so a container has folded its own pairs (and replaced the batch
            // norms) before the replaced modules would be visited; replaced modules are disposed and do nothing.
            foreach (var (_, m) in NamedModules())
                if (!m.IsFusedForInference && !m.IsDisposed) m.OnFuseForInference();
        }
        foreach (var (_, m) in NamedModules()) m.IsFusedForInference = true;
        return this;
    }

    /// <summary>
    /// Override in modules that run layers by hand (not through a <see cref="Sequential"/>) to fold their own
    /// convolution → batch-norm pairs, typically with <see cref="Conv2d.TryFoldBatchNorm"/> followed by
    /// <see cref="SetModule"/> replacing the batch norm with an <see cref="Identity"/>. Called once per module by
    /// <see cref="FuseForInference"/>, in evaluation mode with gradients off, before this module is marked fused;
    /// descendants are visited after their parent. The default does nothing.
    /// </summary>
    protected virtual void OnFuseForInference() { }

    /// <summary>
    /// ReLU of <paramref name="fresh"/>, a tensor that <paramref name="producer"/> has just returned and that the caller
    /// owns: computed in place when <paramref name="producer"/> is fused for inference, has no hooks and gradients are
    /// off (nobody else can see the tensor), otherwise out of place with <paramref name="fresh"/> disposed. Either way
    /// the caller owns the result and must not use <paramref name="fresh"/> afterwards.
    /// </summary>
    /// <param name="fresh">The producer's output, not shared with anyone.</param>
    /// <param name="producer">The module that computed it (e.g. a folded convolution).</param>
    protected static Tensor ReluConsuming(Tensor fresh, Module producer)
    {
        ArgumentNullException.ThrowIfNull(fresh);
        ArgumentNullException.ThrowIfNull(producer);
        if (producer.IsFusedForInference && !producer.HasHooks && !Torch.IsGradEnabled) return fresh.Relu_();
        using (fresh) return fresh.Relu();
    }

    private void ThrowIfFused()
    {
        foreach (var (name, m) in NamedModules())
        {
            if (!m.IsFusedForInference) continue;
            var where = name.Length == 0 ? GetType().Name : $"{GetType().Name}.{name} ({m.GetType().Name})";
            throw new InvalidOperationException(
                $"{where} was fused for inference (FuseForInference folded its batch norms into the convolutions) and cannot be trained; " +
                "create a fresh model and load the unfused weights to train");
        }
    }
}
