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
        var args = new AdamSteps.Args(o.beta1!.Value, o.beta2!.Value, o.eps!.Value, o.LearningRate!.Value, o.weight_decay!.Value, o.amsgrad!.Value, Decoupled: false);
        AdamSteps.Group(group.Parameters, o.maximize!.Value, (param, grad) =>
        {
            var state = (State)_state[param.Handle];
            state.step += 1;
            AdamSteps.Step(param, grad, state.step, state.exp_avg, state.exp_avg_sq, ref state.max_exp_avg_sq, args);
        });
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
        var args = new AdamSteps.Args(o.beta1!.Value, o.beta2!.Value, o.eps!.Value, o.LearningRate!.Value, o.weight_decay!.Value, o.amsgrad!.Value, Decoupled: true);
        AdamSteps.Group(group.Parameters, o.maximize!.Value, (param, grad) =>
        {
            var state = (State)_state[param.Handle];
            state.step += 1;
            AdamSteps.Step(param, grad, state.step, state.exp_avg, state.exp_avg_sq, ref state.max_exp_avg_sq, args);
        });
    }, closure);
}

/// <summary>One parameter's Adam / AdamW update, TorchSharp's arithmetic with every scalar held until used.</summary>
internal static class AdamSteps
{
    /// <summary>A group's hyperparameters; <paramref name="Decoupled"/>: AdamW's weight decay (scale the weights), else
    /// Adam's (add <c>wd·param</c> to the gradient).</summary>
    public readonly record struct Args(double Beta1, double Beta2, double Eps, double Lr, double WeightDecay, bool Amsgrad, bool Decoupled);

    /// <summary>
    /// The loop both optimizers' steps share: every parameter of a group that has a gradient is handed to
    /// <paramref name="update"/> with that gradient, negated first when the group maximizes (the negation, like every
    /// temporary of the step, lives in the step's dispose scope). <paramref name="update"/> counts the step in the
    /// parameter's state (the state classes of <c>Adam</c> and <c>AdamW</c> differ) and calls <see cref="Step"/>.
    /// </summary>
    public static void Group(IEnumerable<Parameter> parameters, bool maximize, Action<Parameter, Tensor> update)
    {
        foreach (var param in parameters)
        {
            var grad = param.grad;
            if (grad is null) continue;
            if (maximize) grad = -grad;
            update(param, grad);
        }
    }

    /// <summary>
    /// Decay, <c>m = m·β1 + (1−β1)·g</c>, <c>v = v·β2 + (1−β2)·g·g</c>, AMSGrad's running maximum, then
    /// <c>p −= lr/(1−β1^t) · m / (sqrt(v̂)/sqrt(1−β2^t) + ε)</c>, in place; <paramref name="step"/> is already counted.
    /// </summary>
    public static void Step(Tensor param, Tensor grad, long step, Tensor expAvg, Tensor expAvgSq, ref Tensor maxExpAvgSq, Args a)
    {
        if (a.Decoupled)
        {
            using var decay = (1 - a.Lr * a.WeightDecay).ToScalar();
            param.mul_(decay);
        }
        else if (a.WeightDecay != 0)
        {
            using var wd = a.WeightDecay.ToScalar();
            grad = grad.add(param, wd);
        }
        using var b1 = a.Beta1.ToScalar();
        using var a1 = (1 - a.Beta1).ToScalar();
        using var b2 = a.Beta2.ToScalar();
        using var a2 = (1 - a.Beta2).ToScalar();
        expAvg.mul_(b1).add_(grad, a1);
        // TorchSharp's Adam multiplies by grad.conj() (the same values for real tensors), its AdamW by grad.
        expAvgSq.mul_(b2).addcmul_(grad, a.Decoupled ? grad : grad.conj(), a2);
        var second = expAvgSq;
        if (a.Amsgrad)
        {
            var t0 = maxExpAvgSq;
            maxExpAvgSq = torch.maximum(t0, expAvgSq).DetachFromDisposeScope();
            t0.Dispose();
            second = maxExpAvgSq;
        }
        var bc1 = 1 - Math.Pow(a.Beta1, step);
        var bc2 = 1 - Math.Pow(a.Beta2, step);
        using var root = Math.Sqrt(bc2).ToScalar();
        using var e = a.Eps.ToScalar();
        using var size = (-(a.Lr / bc1)).ToScalar();
        using var one = 1.ToScalar(); // add_(Scalar) would pass a temporary alpha = 1 of its own
        var denom = second.sqrt().div_(root).add_(e, one);
        param.addcdiv_(expAvg, denom, size);
    }
}
