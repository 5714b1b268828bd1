using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Thorax.Training.Optim;

/// <summary>
/// Gradient clipping with argument checks and PyTorch's <c>error_if_nonfinite</c>, on top of TorchSharp's
/// <c>torch.nn.utils.clip_grad_norm_</c> / <c>clip_grad_value_</c> (libtorch's C++ implementations, which match
/// PyTorch 1.13 on tests/data/golden/optim/clip.json).
/// </summary>
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
    /// <param name="errorIfNonfinite">Throw when the total norm is NaN or infinite (the gradients are then left unchanged).
    /// TorchSharp's function has no such flag; the total norm is computed here first (PyTorch's formula) when it is set.</param>
    /// <returns>The total norm of the gradients before clipping (0 when no parameter has a gradient).</returns>
    /// <exception cref="ArithmeticException">The norm is non-finite and <paramref name="errorIfNonfinite"/> is set.</exception>
    /// <remarks>PyTorch: <c>torch.nn.utils.clip_grad_norm_</c>.</remarks>
    public static double ClipGradNorm(IEnumerable<Parameter> parameters, double maxNorm, double normType = 2, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (double.IsNaN(maxNorm) || maxNorm < 0) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "max_norm must be a non-negative number");
        if (double.IsNaN(normType) || normType <= 0) throw new ArgumentOutOfRangeException(nameof(normType), normType, "norm_type must be positive (or +infinity)");
        var ps = parameters.ToArray();
        if (errorIfNonfinite)
        {
            var total = TotalNorm(ps, normType);
            if (!double.IsFinite(total))
                throw new ArithmeticException($"the total norm of order {normType} of the gradients is non-finite ({total}), so they cannot be clipped");
        }
        return torch.nn.utils.clip_grad_norm_(ps, maxNorm, normType);
    }

    /// <summary>Clamps every gradient element to [-<paramref name="clipValue"/>, <paramref name="clipValue"/>].</summary>
    /// <param name="parameters">Parameters whose gradients are clipped; those without a gradient are ignored.</param>
    /// <param name="clipValue">Largest allowed magnitude, ≥ 0.</param>
    /// <remarks>PyTorch: <c>torch.nn.utils.clip_grad_value_</c>.</remarks>
    public static void ClipGradValue(IEnumerable<Parameter> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (double.IsNaN(clipValue) || clipValue < 0) throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, "clip_value must be a non-negative number");
        torch.nn.utils.clip_grad_value_(parameters.ToArray(), clipValue);
    }

    /// <summary>The joint norm of the gradients, PyTorch's way: the norm of the per-gradient norms (max for infinity).</summary>
    private static double TotalNorm(Parameter[] ps, double normType)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var norms = new List<Tensor>();
        foreach (var p in ps)
        {
            var g = p.grad;
            if (g is null) continue;
            norms.Add(double.IsPositiveInfinity(normType) ? g.abs().max() : g.norm((float)normType));
        }
        if (norms.Count == 0) return 0;
        var stacked = torch.stack(norms);
        var total = double.IsPositiveInfinity(normType) ? stacked.max() : stacked.norm((float)normType);
        return total.to(ScalarType.Float64).item<double>();
    }
}
