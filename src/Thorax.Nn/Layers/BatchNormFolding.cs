namespace Thorax.Nn;

/// <summary>
/// The arithmetic of folding an evaluation-mode batch norm into the convolution before it (PyTorch's
/// <c>torch.nn.utils.fusion.fuse_conv_bn_weights</c>, same operation order, in the parameters' dtype).
/// </summary>
internal static class BatchNormFolding
{
    /// <summary>
    /// Whether <paramref name="bn"/> can be folded into a convolution with <paramref name="outChannels"/> outputs and
    /// weight <paramref name="weight"/>: it keeps running statistics and matches channels, dtype and device.
    /// </summary>
    public static bool CanFold(BatchNorm bn, long outChannels, Tensor weight) =>
        !bn.IsDisposed && bn.RunningMean is { } mean && bn.RunningVar is not null && bn.NumFeatures == outChannels
        && mean.DType == weight.DType && mean.Device == weight.Device;

    /// <summary>
    /// Folds <paramref name="bn"/> into the convolution <paramref name="conv"/> (its <c>weight</c> and <c>bias</c>
    /// parameters are replaced, keeping the weight's requires-grad flag) when <see cref="CanFold"/> allows it.
    /// </summary>
    /// <returns>False, changing nothing, when the batch norm cannot be folded.</returns>
    public static bool TryFoldInto(Module conv, Tensor weight, Tensor? bias, BatchNorm bn, long outChannels, bool transposed, long groups)
    {
        ArgumentNullException.ThrowIfNull(bn);
        if (!CanFold(bn, outChannels, weight)) return false;
        var requiresGrad = weight.RequiresGrad;
        var (w, b) = Fold(weight, bias, bn, transposed, groups);
        conv.SetParameter("weight", w, requiresGrad);
        conv.SetParameter("bias", b, requiresGrad);
        return true;
    }

    /// <summary>
    /// Folded (weight, bias): W' = W·s along the output-channel axis and b' = (b − μ)·s + β with
    /// s = γ / √(σ² + ε) (γ = 1 and β = 0 when the batch norm is not affine, b = 0 when the convolution has no bias).
    /// </summary>
    /// <param name="weight">Convolution weight: (C_out, C_in/g, k...) or, when <paramref name="transposed"/>, (C_in, C_out/g, k...).</param>
    /// <param name="bias">Convolution bias (C_out) or null.</param>
    /// <param name="bn">Batch norm with running statistics, C_out features.</param>
    /// <param name="transposed">True for a transposed convolution.</param>
    /// <param name="groups">Convolution groups (matters for the transposed layout only).</param>
    /// <returns>New tensors, detached from any scope, owned by the caller.</returns>
    public static (Tensor Weight, Tensor Bias) Fold(Tensor weight, Tensor? bias, BatchNorm bn, bool transposed, long groups)
    {
        using var noGrad = Torch.NoGrad();
        var mean = bn.RunningMean!;
        using var varEps = bn.RunningVar!.Add(bn.Eps);
        using var rsqrt = varEps.Rsqrt();
        using var scale = bn.Weight is { } gamma ? gamma.Mul(rsqrt) : rsqrt.Clone();

        var rank = weight.Dim;
        Tensor w;
        if (!transposed)
        {
            var shape = new long[rank];
            Array.Fill(shape, 1L);
            shape[0] = -1;
            using var s = scale.Reshape(shape);
            w = weight.Mul(s);
        }
        else
        {
            // (C_in, C_out/g, k...) viewed as (g, C_in/g, C_out/g, k...) so each group scales its own output channels.
            var inCh = weight.Size(0);
            var outPerGroup = weight.Size(1);
            var grouped = new long[rank + 1];
            grouped[0] = groups;
            grouped[1] = inCh / groups;
            grouped[2] = outPerGroup;
            for (var i = 2; i < rank; i++) grouped[i + 1] = weight.Size(i);
            var sShape = new long[rank + 1];
            Array.Fill(sShape, 1L);
            sShape[0] = groups;
            sShape[2] = outPerGroup;
            using var wg = weight.Reshape(grouped);
            using var s = scale.Reshape(sShape);
            using var prod = wg.Mul(s);
            w = prod.Reshape(weight.Shape);
        }

        using var centred = bias is null ? mean.Neg() : bias.Sub(mean);
        using var normed = centred.Mul(rsqrt);
        Tensor b;
        if (bn.Weight is { } g)
        {
            using var scaled = normed.Mul(g);
            b = bn.Bias is { } beta ? scaled.Add(beta) : scaled.Clone();
        }
        else
        {
            b = bn.Bias is { } beta ? normed.Add(beta) : normed.Clone();
        }
        return (w.DetachFromScope(), b.DetachFromScope());
    }
}
