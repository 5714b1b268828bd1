using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;

namespace Thorax.Training.Optim;

/// <summary>
/// PyTorch-named access to the parameter groups of TorchSharp's optimisers (<c>torch.optim.SGD</c>, <c>Adam</c>,
/// <c>AdamW</c> and subclasses such as <see cref="PyTorchSgd"/>): learning rate, <c>initial_lr</c>, SGD
/// <c>momentum</c> or Adam <c>betas</c>, and the whole hyperparameter set as PyTorch's <c>param_groups</c> names.
/// </summary>
/// <remarks>
/// TorchSharp keeps a group's hyperparameters in typed option records (<c>SGD.Options</c>, <c>Adam.Options</c>, ...)
/// and always fills <c>InitialLearningRate</c> (with the group's learning rate when it is added). PyTorch only
/// has <c>initial_lr</c> once a scheduler set it; this class remembers which groups a Thorax scheduler (or a restored
/// checkpoint) gave an <c>initial_lr</c>, so <see cref="HasInitialLr"/> and the saved <c>param_groups</c> follow
/// PyTorch's <c>setdefault</c> semantics.
/// </remarks>
public static class OptimizerGroups
{
    private static readonly ConditionalWeakTable<ParamGroup, object> InitialLrSet = new();

    /// <summary>The parameter groups of <paramref name="optimizer"/>, in order (live: changes act on the next step).</summary>
    /// <exception cref="ArgumentException">The optimiser exposes no parameter groups (a native TorchSharp optimiser such as LBFGS).</exception>
    public static IReadOnlyList<ParamGroup> Of(torch.optim.Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var groups = optimizer.ParamGroups?.ToList()
            ?? throw new ArgumentException($"{optimizer.GetType().Name} exposes no parameter groups", nameof(optimizer));
        var r = new ParamGroup[groups.Count];
        for (var i = 0; i < groups.Count; i++)
            r[i] = groups[i] as ParamGroup ?? throw new ArgumentException($"parameter group {i} of {optimizer.GetType().Name} is a {groups[i]?.GetType().Name ?? "null"}, not a TorchSharp ParamGroup", nameof(optimizer));
        return r;
    }

    /// <summary>The parameters of every group in order; their positions are PyTorch's state-dict indices.</summary>
    public static IReadOnlyList<Parameter> Parameters(torch.optim.Optimizer optimizer) => Of(optimizer).SelectMany(g => g.Parameters).ToList();

    /// <summary>True when a Thorax scheduler or a restored checkpoint set the group's <c>initial_lr</c>.</summary>
    public static bool HasInitialLr(ParamGroup group) => InitialLrSet.TryGetValue(group, out _);

    /// <summary>Sets the group's <c>initial_lr</c> (TorchSharp's <c>InitialLearningRate</c>) and marks it as set.</summary>
    public static void SetInitialLr(ParamGroup group, double value)
    {
        group.InitialLearningRate = value;
        InitialLrSet.AddOrUpdate(group, InitialLrSet);
    }

    /// <summary>Python's <c>group.setdefault('initial_lr', group['lr'])</c>.</summary>
    internal static void SetDefaultInitialLr(ParamGroup group)
    {
        if (!HasInitialLr(group)) SetInitialLr(group, group.LearningRate);
    }

    /// <summary>True when the optimiser's groups have SGD-style <c>momentum</c>.</summary>
    public static bool HasMomentum(torch.optim.Optimizer optimizer) => optimizer is torch.optim.IMomentum;

    /// <summary>True when the optimiser's groups have Adam-style <c>betas</c>.</summary>
    public static bool HasBetas(torch.optim.Optimizer optimizer) => optimizer is torch.optim.IBetas;

    /// <summary>The group's momentum: β1 of <c>betas</c> for Adam-style groups, else SGD's <c>momentum</c>.</summary>
    /// <exception cref="ArgumentException">The group has neither.</exception>
    public static double GetMomentum(ParamGroup group) => group switch
    {
        torch.optim.IBetas b => b.Betas.Item1,
        torch.optim.IMomentum m => m.Momentum,
        _ => throw new ArgumentException($"parameter group {group.GetType().FullName} has neither momentum nor betas", nameof(group)),
    };

    /// <summary>Sets β1 of <c>betas</c> (Adam-style groups) or SGD's <c>momentum</c>.</summary>
    public static void SetMomentum(ParamGroup group, double value)
    {
        switch (group)
        {
            case torch.optim.IBetas b:
                b.Betas = (value, b.Betas.Item2);
                break;
            case torch.optim.IMomentum m:
                m.Momentum = value;
                break;
            default:
                throw new ArgumentException($"parameter group {group.GetType().FullName} has neither momentum nor betas", nameof(group));
        }
    }

    /// <summary>
    /// The group's hyperparameters under PyTorch's names and in PyTorch 1.13's order (<c>lr</c>, <c>momentum</c>,
    /// <c>dampening</c>, <c>weight_decay</c>, <c>nesterov</c>, <c>maximize</c> for SGD; <c>lr</c>, <c>betas</c>,
    /// <c>eps</c>, <c>weight_decay</c>, <c>amsgrad</c>, <c>maximize</c> for Adam/AdamW), plus <c>initial_lr</c> when
    /// set (see <see cref="HasInitialLr"/>). Values are double, bool or <c>(double, double)</c>.
    /// </summary>
    /// <exception cref="NotSupportedException">The group's options are of another optimiser type.</exception>
    public static List<KeyValuePair<string, object>> Read(ParamGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var r = new List<KeyValuePair<string, object>>();
        void Add(string k, object? v, string field)
        {
            if (v is null) throw new InvalidOperationException($"hyperparameter '{k}' ({field}) of the parameter group is unset; add the group to its optimiser first");
            r.Add(new(k, v));
        }
        switch (group.Options)
        {
            case SGD.Options o:
                Add("lr", o.LearningRate, "LearningRate");
                Add("momentum", o.momentum, "momentum");
                Add("dampening", o.dampening, "dampening");
                Add("weight_decay", o.weight_decay, "weight_decay");
                Add("nesterov", o.nesterov, "nesterov");
                Add("maximize", o.maximize, "maximize");
                break;
            case Adam.Options o:
                AddAdam(o.LearningRate, o.beta1, o.beta2, o.eps, o.weight_decay, o.amsgrad, o.maximize);
                break;
            case AdamW.Options o:
                AddAdam(o.LearningRate, o.beta1, o.beta2, o.eps, o.weight_decay, o.amsgrad, o.maximize);
                break;
            default:
                throw new NotSupportedException($"parameter groups with {group.Options?.GetType().FullName ?? "no"} options are not supported (SGD, Adam and AdamW are)");
        }
        if (HasInitialLr(group)) r.Add(new("initial_lr", group.InitialLearningRate));
        return r;

        void AddAdam(double? lr, double? b1, double? b2, double? eps, double? wd, bool? ams, bool? max)
        {
            Add("lr", lr, "LearningRate");
            if (b1 is null || b2 is null) Add("betas", null, "beta1/beta2");
            r.Add(new("betas", (b1!.Value, b2!.Value)));
            Add("eps", eps, "eps");
            Add("weight_decay", wd, "weight_decay");
            Add("amsgrad", ams, "amsgrad");
            Add("maximize", max, "maximize");
        }
    }

    /// <summary>Hyperparameter names PyTorch saves that do not change the arithmetic here (skipped on load).</summary>
    internal static readonly HashSet<string> Ignorable = new(StringComparer.Ordinal)
    {
        "foreach", "capturable", "differentiable", "fused", "max_lr", "min_lr", "max_momentum", "base_momentum",
    };

    /// <summary>
    /// Checks <paramref name="values"/> (PyTorch names) against <paramref name="group"/>'s optimiser type and returns
    /// an action that writes them; nothing changes before the action runs. Every hyperparameter of the type is required;
    /// PyTorch-only flags (<c>foreach</c>, <c>capturable</c>, ...) and scheduler bookkeeping are ignored.
    /// </summary>
    /// <param name="group">The live group.</param>
    /// <param name="values">Saved name/value pairs (double, bool or (double, double)).</param>
    /// <param name="path">Prefix for error keys, e.g. <c>param_groups.0</c>.</param>
    /// <exception cref="OptimizerStateException">A value is missing, unknown, of the wrong kind or out of range (the key is named).</exception>
    internal static Action PrepareWrite(ParamGroup group, IReadOnlyList<KeyValuePair<string, object>> values, string path)
    {
        var map = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (k, v) in values)
        {
            if (Ignorable.Contains(k)) continue;
            map[k] = v;
        }
        var used = new HashSet<string>(StringComparer.Ordinal) { "lr", "initial_lr" };
        double Num(string k, bool nonNegative = true)
        {
            used.Add(k);
            if (!map.TryGetValue(k, out var v)) throw new OptimizerStateException($"{path}.{k}", "missing from the saved parameter group");
            if (v is not double d) throw new OptimizerStateException($"{path}.{k}", $"expected a number, got {v}");
            if (nonNegative && !(d >= 0)) throw new OptimizerStateException($"{path}.{k}", $"must be a non-negative number, got {d}");
            return d;
        }
        bool Flag(string k)
        {
            used.Add(k);
            if (!map.TryGetValue(k, out var v)) throw new OptimizerStateException($"{path}.{k}", "missing from the saved parameter group");
            return v is bool b ? b : throw new OptimizerStateException($"{path}.{k}", $"expected true or false, got {v}");
        }
        (double, double) Pair(string k)
        {
            used.Add(k);
            if (!map.TryGetValue(k, out var v)) throw new OptimizerStateException($"{path}.{k}", "missing from the saved parameter group");
            if (v is not ValueTuple<double, double> p) throw new OptimizerStateException($"{path}.{k}", $"expected a pair of numbers, got {v}");
            if (!(p.Item1 >= 0 && p.Item1 < 1 && p.Item2 >= 0 && p.Item2 < 1)) throw new OptimizerStateException($"{path}.{k}", $"betas must lie in [0, 1), got ({p.Item1}, {p.Item2})");
            return p;
        }
        var lr = Num("lr");
        double? initial = map.ContainsKey("initial_lr") ? Num("initial_lr") : null;
        Action write;
        switch (group.Options)
        {
            case SGD.Options o:
            {
                var (m, d, wd, n, mx) = (Num("momentum"), Num("dampening", nonNegative: false), Num("weight_decay"), Flag("nesterov"), Flag("maximize"));
                if (n && (m <= 0 || d != 0)) throw new OptimizerStateException($"{path}.nesterov", "Nesterov momentum requires a momentum and zero dampening");
                write = () => (o.momentum, o.dampening, o.weight_decay, o.nesterov, o.maximize) = (m, d, wd, n, mx);
                break;
            }
            case Adam.Options o:
            {
                var (b, e, wd, a, mx) = (Pair("betas"), Num("eps"), Num("weight_decay"), Flag("amsgrad"), Flag("maximize"));
                write = () => (o.beta1, o.beta2, o.eps, o.weight_decay, o.amsgrad, o.maximize) = (b.Item1, b.Item2, e, wd, a, mx);
                break;
            }
            case AdamW.Options o:
            {
                var (b, e, wd, a, mx) = (Pair("betas"), Num("eps"), Num("weight_decay"), Flag("amsgrad"), Flag("maximize"));
                write = () => (o.beta1, o.beta2, o.eps, o.weight_decay, o.amsgrad, o.maximize) = (b.Item1, b.Item2, e, wd, a, mx);
                break;
            }
            default:
                throw new OptimizerStateException(path, $"parameter groups with {group.Options?.GetType().FullName ?? "no"} options are not supported (SGD, Adam and AdamW are)");
        }
        foreach (var k in map.Keys)
            if (!used.Contains(k)) throw new OptimizerStateException($"{path}.{k}", $"unknown hyperparameter for {group.Options.GetType().DeclaringType?.Name ?? "this optimiser"}");
        return () =>
        {
            write();
            group.LearningRate = lr;
            if (initial is { } i) SetInitialLr(group, i);
        };
    }
}
