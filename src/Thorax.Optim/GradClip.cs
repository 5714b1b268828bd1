using Thorax.Native;

namespace Thorax.Optim;

/// <summary>Gradient clipping over a set of parameters, in place on their <see cref="Tensor.Grad"/>.</summary>
public static class GradClip
{
    /// <summary>
    /// Scales all gradients together so that their joint <paramref name="normType"/>-norm is at most
    /// <paramref name="maxNorm"/> (coefficient maxNorm / (norm + 1e-6), capped at 1). Parameters without a gradient
    /// are ignored.
    /// </summary>
    /// <param name="parameters">Parameters whose gradients are clipped.</param>
    /// <param name="maxNorm">Largest allowed total norm, ≥ 0.</param>
    /// <param name="normType">p of the p-norm (&gt; 0), or <see cref="double.PositiveInfinity"/> for the max norm. Default 2.</param>
    /// <param name="errorIfNonfinite">Throw when the total norm is NaN or infinite (the gradients are then left unchanged).</param>
    /// <returns>The total norm of the gradients before clipping (0 when no parameter has a gradient).</returns>
    /// <exception cref="TorchException">The norm is non-finite and <paramref name="errorIfNonfinite"/> is set.</exception>
    /// <remarks>PyTorch: <c>torch.nn.utils.clip_grad_norm_</c>.</remarks>
    public static unsafe double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (double.IsNaN(maxNorm) || maxNorm < 0) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "max_norm must be a non-negative number");
        if (double.IsNaN(normType) || normType <= 0) throw new ArgumentOutOfRangeException(nameof(normType), normType, "norm_type must be positive (or +infinity)");
        var ps = parameters.ToArray();
        var hs = new nint[ps.Length];
        for (var i = 0; i < ps.Length; i++) hs[i] = ps[i].Handle;
        double total;
        fixed (nint* p = hs) NativeMethods.Check(NativeMethods.thx_clip_grad_norm(p, hs.Length, maxNorm, normType, errorIfNonfinite ? 1 : 0, &total), "clip_grad_norm_");
        GC.KeepAlive(ps);
        return total;
    }

    /// <summary>Clamps every gradient element to [-<paramref name="clipValue"/>, <paramref name="clipValue"/>].</summary>
    /// <param name="parameters">Parameters whose gradients are clipped; those without a gradient are ignored.</param>
    /// <param name="clipValue">Largest allowed magnitude, ≥ 0.</param>
    /// <remarks>PyTorch: <c>torch.nn.utils.clip_grad_value_</c>.</remarks>
    public static unsafe void ClipGradValue(IEnumerable<Tensor> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (double.IsNaN(clipValue) || clipValue < 0) throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, "clip_value must be a non-negative number");
        var ps = parameters.ToArray();
        var hs = new nint[ps.Length];
        for (var i = 0; i < ps.Length; i++) hs[i] = ps[i].Handle;
        fixed (nint* p = hs) NativeMethods.Check(NativeMethods.thx_clip_grad_value(p, hs.Length, clipValue), "clip_grad_value_");
        GC.KeepAlive(ps);
    }
}
