using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Thorax.Training.Optim;

/// <summary>
/// TorchSharp's <c>Adam</c> with the same arithmetic, options, groups and state objects, but whose <c>step</c> keeps
/// every native scalar it passes to libtorch alive until the call returns. Use it (or <see cref="SafeAdamW"/>,
/// <see cref="PyTorchSgd"/>) instead of <c>torch.optim.Adam</c> in any process where another thread may allocate.
/// </summary>
/// <remarks>
/// <para>TorchSharp 0.107's <c>Adam.step</c> writes <c>exp_avg.mul_(beta1).add_(grad, alpha: 1 - beta1)</c>: each
/// number becomes a temporary <c>Scalar</c> (a native <c>c10::Scalar</c> freed by its finalizer) whose only reference
/// is the handle already handed to the native call. When a garbage collection started by another thread (a data
/// loader worker, the finalizer thread, the test runner) runs during that call, the scalar is finalized and freed while
/// libtorch still reads it: the step fails with <c>Expected false to be true ... toFloat</c> or <c>argument alpha
/// must not be a floating point number</c>, or the process dies with SIGSEGV. Thorax saw this about once in eight
/// <c>saliency train</c> runs and every time with <see cref="Diagnostics.GcStress"/> on.</para>
/// <para>Here every scalar is a local disposed after the last native call that uses it, which keeps it reachable for
/// the whole call, and no overload that supplies a scalar of its own (<c>add_(Scalar)</c> passes <c>alpha = 1</c>) is
/// used; temporary tensors live in the step's dispose scope as before. The update is bit-identical to
/// TorchSharp's (and PyTorch 1.13's single-tensor Adam).</para>
/// </remarks>
public sealed class SafeAdam : Adam
{
    /// <summary>One group over <paramref name="parameters"/>; arguments as <c>torch.optim.Adam</c>.</summary>
    public SafeAdam(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weight_decay = 0, bool amsgrad = false, bool maximize = false)
        : base(parameters, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize) { }

    /// <summary>Several groups; options a group leaves unset come from the arguments.</summary>
    public SafeAdam(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weight_decay = 0, bool amsgrad = false, bool maximize = false)
        : base(groups, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize) { }

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var o = (Options)group.Options;
        foreach (var param in group.Parameters)
        {
            var state = (State)_state[param.Handle];
            var grad = param.grad;
            if (grad is null) continue;
            if (o.maximize!.Value) grad = -grad;
            state.step += 1;
            var wd = o.weight_decay!.Value;
            if (wd != 0)
            {
                using var alpha = wd.ToScalar();
                grad = grad.add(param, alpha);
            }
            AdamSteps.Moments(state.exp_avg, state.exp_avg_sq, grad, o.beta1!.Value, o.beta2!.Value, conj: true);
            if (o.amsgrad!.Value)
            {
                var t0 = state.max_exp_avg_sq;
                state.max_exp_avg_sq = torch.maximum(t0, state.exp_avg_sq).DetachFromDisposeScope();
                t0.Dispose();
            }
            AdamSteps.Update(param, state.exp_avg, o.amsgrad.Value ? state.max_exp_avg_sq : state.exp_avg_sq, state.step,
                o.beta1.Value, o.beta2.Value, o.eps!.Value, o.LearningRate!.Value);
        }
    }, closure);
}

/// <summary>
/// TorchSharp's <c>AdamW</c> (decoupled weight decay) with a step that keeps its native scalars alive; see
/// <see cref="SafeAdam"/> for why. Bit-identical to TorchSharp's <c>AdamW.step</c>.
/// </summary>
public sealed class SafeAdamW : AdamW
{
    /// <summary>One group over <paramref name="parameters"/>; arguments as <c>torch.optim.AdamW</c>.</summary>
    public SafeAdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weight_decay = 0, bool amsgrad = false, bool maximize = false)
        : base(parameters, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize) { }

    /// <summary>Several groups; options a group leaves unset come from the arguments.</summary>
    public SafeAdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weight_decay = 0, bool amsgrad = false, bool maximize = false)
        : base(groups, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize) { }

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var o = (Options)group.Options;
        var lr = o.LearningRate!.Value;
        foreach (var param in group.Parameters)
        {
            var state = (State)_state[param.Handle];
            var grad = param.grad;
            if (grad is null) continue;
            if (o.maximize!.Value) grad = -grad;
            state.step += 1;
            using (var decay = (1 - lr * o.weight_decay!.Value).ToScalar()) param.mul_(decay);
            AdamSteps.Moments(state.exp_avg, state.exp_avg_sq, grad, o.beta1!.Value, o.beta2!.Value, conj: false);
            if (o.amsgrad!.Value)
            {
                var t0 = state.max_exp_avg_sq;
                state.max_exp_avg_sq = torch.maximum(t0, state.exp_avg_sq).DetachFromDisposeScope();
                t0.Dispose();
            }
            AdamSteps.Update(param, state.exp_avg, o.amsgrad.Value ? state.max_exp_avg_sq : state.exp_avg_sq, state.step,
                o.beta1.Value, o.beta2.Value, o.eps!.Value, lr);
        }
    }, closure);
}

/// <summary>The two halves of an Adam-style update, TorchSharp's arithmetic with every scalar held until used.</summary>
internal static class AdamSteps
{
    /// <summary><c>m = m·β1 + (1−β1)·g</c>; <c>v = v·β2 + (1−β2)·g·g</c> (in place).</summary>
    public static void Moments(Tensor expAvg, Tensor expAvgSq, Tensor grad, double beta1, double beta2, bool conj)
    {
        using var b1 = beta1.ToScalar();
        using var a1 = (1 - beta1).ToScalar();
        using var b2 = beta2.ToScalar();
        using var a2 = (1 - beta2).ToScalar();
        expAvg.mul_(b1).add_(grad, a1);
        expAvgSq.mul_(b2).addcmul_(grad, conj ? grad.conj() : grad, a2);
    }

    /// <summary><c>p −= lr/(1−β1^t) · m / (sqrt(v)/sqrt(1−β2^t) + ε)</c> (in place).</summary>
    public static void Update(Tensor param, Tensor expAvg, Tensor second, long step, double beta1, double beta2, double eps, double lr)
    {
        var bc1 = 1 - Math.Pow(beta1, step);
        var bc2 = 1 - Math.Pow(beta2, step);
        using var root = Math.Sqrt(bc2).ToScalar();
        using var e = eps.ToScalar();
        using var size = (-(lr / bc1)).ToScalar();
        using var one = 1.ToScalar(); // add_(Scalar) would pass a temporary alpha = 1 of its own
        var denom = second.sqrt().div_(root).add_(e, one);
        param.addcdiv_(expAvg, denom, size);
    }
}
