using Thorax.Native;

namespace Thorax.Optim;

/// <summary>Shared by <see cref="Adam"/> and <see cref="AdamW"/>: defaults, validation, lazy state and the native update.</summary>
internal static class AdamKernel
{
    internal static IEnumerable<KeyValuePair<string, object>> Defaults(double lr, (double, double) betas, double eps, double wd, bool amsgrad, bool maximize) =>
        new KeyValuePair<string, object>[]
        {
            new("lr", lr), new("betas", betas), new("eps", eps), new("weight_decay", wd), new("amsgrad", amsgrad), new("maximize", maximize),
        };

    internal static void Validate(ParamGroup g)
    {
        var lr = g.GetDouble("lr");
        if (!(lr >= 0)) throw new ArgumentException($"invalid learning rate: {lr}");
        var eps = g.GetDouble("eps");
        if (!(eps >= 0)) throw new ArgumentException($"invalid epsilon value: {eps}");
        var (b1, b2) = g.GetPair("betas");
        if (!(b1 >= 0 && b1 < 1)) throw new ArgumentException($"invalid beta parameter at index 0: {b1}");
        if (!(b2 >= 0 && b2 < 1)) throw new ArgumentException($"invalid beta parameter at index 1: {b2}");
        var wd = g.GetDouble("weight_decay");
        if (!(wd >= 0)) throw new ArgumentException($"invalid weight_decay value: {wd}");
        g.GetBool("amsgrad");
        g.GetBool("maximize");
    }

    /// <summary>One Adam(W) update of the given parameters; <paramref name="state"/> returns (creating) a parameter's state.</summary>
    internal static unsafe void Step(ParamGroup g, int[] indices, Tensor[] parameters, Tensor[] grads,
        Func<int, Dictionary<string, Tensor>> state, bool decoupled)
    {
        var n = parameters.Length;
        var amsgrad = g.GetBool("amsgrad");
        var (beta1, beta2) = g.GetPair("betas");
        var ps = new nint[n];
        var gs = new nint[n];
        var m = new nint[n];
        var v = new nint[n];
        var mx = amsgrad ? new nint[n] : null;
        var steps = new long[n];
        var keep = new List<Tensor>(n * 4);
        for (var k = 0; k < n; k++)
        {
            var p = parameters[k];
            var s = state(indices[k]);
            if (s.Count == 0)
            {
                // PyTorch 1.13: state['step'] = torch.tensor(0.) (float32, CPU); moments zeros_like(param).
                s["step"] = Torch.Scalar(0).DetachFromScope();
                s["exp_avg"] = Torch.ZerosLike(p).DetachFromScope();
                s["exp_avg_sq"] = Torch.ZerosLike(p).DetachFromScope();
            }
            if (amsgrad && !s.ContainsKey("max_exp_avg_sq")) s["max_exp_avg_sq"] = Torch.ZerosLike(p).DetachFromScope();
            var step = s.TryGetValue("step", out var st) ? st : throw new OptimizerStateException($"state.{indices[k]}.step", "Adam state has no step counter");
            step.Add_(1);
            steps[k] = checked((long)step.Item());
            ps[k] = p.Handle;
            gs[k] = grads[k].Handle;
            m[k] = Get(s, "exp_avg", indices[k]).Handle;
            v[k] = Get(s, "exp_avg_sq", indices[k]).Handle;
            if (mx is not null) mx[k] = Get(s, "max_exp_avg_sq", indices[k]).Handle;
            keep.Add(p);
        }
        int rc;
        fixed (nint* pp = ps)
        fixed (nint* pg = gs)
        fixed (nint* pm = m)
        fixed (nint* pv = v)
        fixed (nint* px = mx)
        fixed (long* pst = steps)
        {
            rc = NativeMethods.thx_adam_step(pp, pg, pm, pv, px, n, pst, g.GetDouble("lr"), beta1, beta2, g.GetDouble("eps"),
                g.GetDouble("weight_decay"), amsgrad ? 1 : 0, decoupled ? 1 : 0, g.GetBool("maximize") ? 1 : 0);
        }
        GC.KeepAlive(keep);
        GC.KeepAlive(grads);
        NativeMethods.Check(rc, decoupled ? "adamw_step" : "adam_step");
    }

    private static Tensor Get(Dictionary<string, Tensor> s, string key, int index) =>
        s.TryGetValue(key, out var t) ? t : throw new OptimizerStateException($"state.{index}.{key}", "missing Adam state tensor");
}
