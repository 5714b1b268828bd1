using Thorax.Native;

namespace Thorax.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum, weight decay and maximisation,
/// with PyTorch 1.13's arithmetic (same operation order, so the same rounding). Per-parameter state:
/// <c>momentum_buffer</c> (same shape as the parameter) once momentum is non-zero.
/// </summary>
/// <remarks>PyTorch: <c>torch.optim.SGD</c> (single-tensor path).</remarks>
public sealed class Sgd : Optimizer
{
    /// <summary>One group over <paramref name="parameters"/> with <paramref name="options"/>.</summary>
    public Sgd(IEnumerable<Tensor> parameters, SgdOptions options)
        : this(new[] { new ParamGroup(parameters) }, options) { }

    /// <summary>Several groups; keys a group does not set come from <paramref name="options"/>.</summary>
    public Sgd(IEnumerable<ParamGroup> groups, SgdOptions options)
        : base(groups, (options ?? throw new ArgumentNullException(nameof(options))).ToDefaults()) { }

    private protected override void ValidateGroup(ParamGroup g)
    {
        var lr = g.GetDouble("lr");
        if (!(lr >= 0)) throw new ArgumentException($"invalid learning rate: {lr}");
        var momentum = g.GetDouble("momentum");
        if (!(momentum >= 0)) throw new ArgumentException($"invalid momentum value: {momentum}");
        var wd = g.GetDouble("weight_decay");
        if (!(wd >= 0)) throw new ArgumentException($"invalid weight_decay value: {wd}");
        if (g.GetBool("nesterov") && (momentum <= 0 || g.GetDouble("dampening") != 0))
            throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening");
        g.GetBool("maximize");
    }

    private protected override unsafe void StepGroup(ParamGroup g, int[] indices, Tensor[] parameters, Tensor[] grads)
    {
        var n = parameters.Length;
        var ps = Handles(parameters);
        var gs = Handles(grads);
        var bufs = new nint[n];
        var had = new bool[n];
        for (var k = 0; k < n; k++)
        {
            if (GetState(indices[k]) is { } s && s.TryGetValue("momentum_buffer", out var b))
            {
                bufs[k] = b.Handle;
                had[k] = true;
            }
        }
        int rc;
        fixed (nint* pp = ps)
        fixed (nint* pg = gs)
        fixed (nint* pb = bufs)
        {
            rc = NativeMethods.thx_sgd_step(pp, pg, pb, n, g.GetDouble("lr"), g.GetDouble("momentum"), g.GetDouble("dampening"),
                g.GetDouble("weight_decay"), g.GetBool("nesterov") ? 1 : 0, g.GetBool("maximize") ? 1 : 0);
        }
        // Buffers created by this call belong to the optimiser, even when a later parameter failed.
        for (var k = 0; k < n; k++)
            if (!had[k] && bufs[k] != 0) State(indices[k])["momentum_buffer"] = Own(new Tensor(bufs[k]));
        GC.KeepAlive(parameters);
        GC.KeepAlive(grads);
        NativeMethods.Check(rc, "sgd_step");
    }
}
