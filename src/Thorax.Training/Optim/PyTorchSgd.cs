using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Thorax.Training.Optim;

/// <summary>
/// TorchSharp's <c>SGD</c> with PyTorch's handling of <c>maximize</c> and a step that keeps its native scalars alive
/// (see <see cref="SafeAdam"/>): the gradient is negated <em>before</em> weight
/// decay and momentum, so weight decay still shrinks the weights. Identical to <c>torch.optim.SGD</c> in every other
/// respect (same options, groups and state objects); use it when a group sets both <c>maximize</c> and
/// <c>weight_decay</c>.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's <c>SGD.step</c> adds <c>weight_decay·param</c> to the un-negated gradient and then moves the
/// parameters along <c>+lr·d</c> when maximising, so the decay term pushes the weights away from zero
/// (<c>param += lr·(g + wd·param)</c> instead of PyTorch's <c>param -= lr·(−g + wd·param)</c>); the momentum buffer
/// accumulates the same wrong-signed term. With <c>weight_decay = 0</c> the two agree. The golden case
/// <c>sgd_nesterov_maximize</c> (tests/data/golden/optim/optimizers.json) shows the difference from step 1 on.
/// PyTorch: <c>torch.optim.SGD</c> (single-tensor path, 1.13 and 2.x).
/// </remarks>
public sealed class PyTorchSgd : SGD
{
    /// <summary>One group over <paramref name="parameters"/>; arguments as <c>torch.optim.SGD</c>.</summary>
    public PyTorchSgd(IEnumerable<Parameter> parameters, double lr, double momentum = 0, double dampening = 0, double weight_decay = 0,
        bool nesterov = false, bool maximize = false)
        : base(parameters, lr, momentum, dampening, weight_decay, nesterov, maximize) { }

    /// <summary>Several groups; options a group leaves unset come from the arguments.</summary>
    public PyTorchSgd(IEnumerable<ParamGroup> groups, double lr, double momentum = 0, double dampening = 0, double weight_decay = 0,
        bool nesterov = false, bool maximize = false)
        : base(groups, lr, momentum, dampening, weight_decay, nesterov, maximize) { }

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var o = group.Options;
        var momentum = o.momentum!.Value;
        var dampening = o.dampening!.Value;
        var weightDecay = o.weight_decay!.Value;
        var nesterov = o.nesterov!.Value;
        var maximize = o.maximize!.Value;
        var lr = o.LearningRate!.Value;
        foreach (var param in group.Parameters)
        {
            var state = (State)_state[param.Handle];
            var d = param.grad;
            if (d is null) continue;
            if (maximize) d = d.neg();
            // Every scalar is a local held until its native call returns (see SafeAdam's remarks).
            if (weightDecay != 0)
            {
                using var wd = weightDecay.ToScalar();
                d = d.add(param, wd);
            }
            if (momentum != 0)
            {
                using var m = momentum.ToScalar();
                var buf = state.momentum_buffer;
                if (buf is null)
                {
                    buf = d.clone().detach().DetachFromDisposeScope();
                    state.momentum_buffer = buf;
                }
                else
                {
                    using var keep = (1 - dampening).ToScalar();
                    buf.mul_(m).add_(d, keep);
                }
                d = nesterov ? d.add(buf, m) : buf;
            }
            using var step = (-lr).ToScalar();
            param.add_(d, step);
        }
    }, closure);
}
